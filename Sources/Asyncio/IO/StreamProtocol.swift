/// The callbacks of a connection in the protocol API (asyncio's `asyncio.Protocol`): no task per
/// read, the loop calls the protocol directly from libuv's callbacks — the fast path for servers.
///
/// Every method runs on the loop thread; all have default implementations (do nothing; `eofReceived`
/// returns `false`, so the transport closes at EOF). Keep a reference to the transport from
/// ``connectionMade(_:)`` to write; the transport releases the protocol after ``connectionLost(_:)``.
public protocol StreamProtocol: AnyObject {
    /// The connection is up; `transport` is how to write, pause reading or close.
    func connectionMade(_ transport: StreamTransport)
    /// Bytes arrived. The buffer is libuv's read buffer, valid only during the call (copy what you
    /// keep; writing it back with ``StreamTransport/write(_:)-(UnsafeRawBufferPointer)`` is fine).
    func dataReceived(_ bytes: UnsafeRawBufferPointer)
    /// The peer half-closed. Return `true` to keep the transport open for writing (half-close),
    /// `false` (the default) to close it.
    func eofReceived() -> Bool
    /// The connection is closed: `error` is nil after a regular close or EOF, the ``IOError`` otherwise
    /// (e.g. `ECONNRESET`).
    func connectionLost(_ error: (any Error)?)
    /// The transport's write buffer went above its high-water mark: stop producing.
    func pauseWriting()
    /// The write buffer drained to its low-water mark: go on producing.
    func resumeWriting()
}

extension StreamProtocol {
    public func connectionMade(_ transport: StreamTransport) {}
    public func dataReceived(_ bytes: UnsafeRawBufferPointer) {}
    public func eofReceived() -> Bool { false }
    public func connectionLost(_ error: (any Error)?) {}
    public func pauseWriting() {}
    public func resumeWriting() {}
}
