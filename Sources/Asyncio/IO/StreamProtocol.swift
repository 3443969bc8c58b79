/// The callbacks of a connection in the protocol API (asyncio's `asyncio.Protocol`): no task per
/// read, the loop calls the protocol directly from libuv's callbacks — the fast path for servers.
///
/// Every method runs on the loop thread; all have default implementations (do nothing; `eofReceived`
/// returns `false`, so the transport closes at EOF). Keep a reference to the transport from
/// ``connectionMade(_:)`` to write; the transport releases the protocol after ``connectionLost(_:)``.
public protocol StreamProtocol: AnyObject {
    /// The connection is up; `transport` is how to write, pause reading or close.
    func connectionMade(_ transport: StreamTransport)
    /// Bytes arrived. The buffer is the loop's one read buffer, lent to each read in turn and valid
    /// only during the call (copy what you keep; writing it back with
    /// ``StreamTransport/write(_:)-(UnsafeRawBufferPointer)`` is fine).
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
    /// Whether the connection is between messages — no request under way, nothing owed to the peer —
    /// so that a server's graceful shutdown may close it at once and the idle timeout applies
    /// (``ConnectionTimeouts/idle``). The default is the transport's own account,
    /// ``StreamTransport/isIdle``: nothing received since the last write and nothing left to write. That
    /// fits a protocol that answers each request with writes made in one go; a protocol that answers
    /// over time (a response streamed across several loop iterations, work done before the first
    /// byte is written) or that receives messages needing no answer should say itself, e.g.
    /// `transport.isIdle && !parser.hasPartialMessage && inFlight == 0`.
    ///
    /// Asked when a graceful shutdown begins, and then after each read, each write and whenever the
    /// write buffer empties, in a callback of its own (so never between two writes of one callback);
    /// and by the idle and read timeouts when their timer fires. Must not close or write.
    func isIdle(_ transport: StreamTransport) -> Bool
}

extension StreamProtocol {
    /// Default: does nothing.
    public func connectionMade(_ transport: StreamTransport) {}
    /// Default: does nothing.
    public func dataReceived(_ bytes: UnsafeRawBufferPointer) {}
    /// Default: returns false (the transport closes the connection after the EOF).
    public func eofReceived() -> Bool { false }
    /// Default: does nothing.
    public func connectionLost(_ error: (any Error)?) {}
    /// Default: does nothing.
    public func pauseWriting() {}
    /// Default: does nothing.
    public func resumeWriting() {}
    /// Default: the transport's own account (no request being read, nothing left to write).
    public func isIdle(_ transport: StreamTransport) -> Bool { transport.idleByOwnAccount }
}
