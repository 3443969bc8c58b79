/// The writing half of a connection (asyncio's `StreamWriter`).
///
/// `write` never blocks: it writes what the socket takes at once and buffers the rest; ``drain()``
/// waits while that buffer is above the high-water mark (flow control: a slow peer cannot grow the
/// writer's memory without bound if the writer drains). Loop-confined, hence `@unchecked Sendable`.
public final class StreamWriter: @unchecked Sendable {
    let transport: StreamTransport

    init(transport: StreamTransport) {
        self.transport = transport
        _ = transport.cachedPeer  // remember the peer while the connection is up
    }

    /// Writes `bytes` (buffering what the socket does not take now).
    /// - Throws: ``StreamClosedError`` or the ``IOError`` that broke the connection.
    public func write(_ bytes: [UInt8]) throws {
        try transport.write(bytes)
    }

    /// Writes a slice of bytes without copying it first.
    public func write(_ bytes: ArraySlice<UInt8>) throws { try transport.write(bytes) }

    /// Writes the UTF-8 bytes of `text`.
    public func write(_ text: String) throws { try transport.write(text) }

    /// Writes each element of `lines` in turn (asyncio's `writelines`).
    public func writeLines(_ lines: [[UInt8]]) throws {
        for line in lines { try write(line) }
    }

    /// Waits until the write buffer is at or below the high-water mark (asyncio's `drain()`).
    /// - Throws: the error that broke the connection.
    nonisolated(nonsending) public func drain() async throws { try await transport.drain() }

    /// Bytes buffered and not yet written to the socket.
    public var writeBufferSize: Int { transport.writeBufferSize }

    /// Sets the flow-control marks: ``drain()`` waits above `high` until the buffer is at or below `low`.
    public func setWriteBufferLimits(high: Int, low: Int? = nil) { transport.setWriteBufferLimits(high: high, low: low) }

    /// Half-closes the connection after buffered data: the peer reads EOF (asyncio's `write_eof()`).
    public func writeEOF() throws { try transport.writeEOF() }

    /// Closes the connection (asyncio's `close()`); harmless if already closed.
    public func close() { transport.close() }

    /// Whether ``close()`` was called.
    public var isClosing: Bool { transport.closed }

    /// Waits until the connection is fully closed (asyncio's `wait_closed()`).
    nonisolated(nonsending) public func waitClosed() async throws { try await transport.waitClosed() }

    /// The remote address (TCP only), as it was when the connection was made.
    public var peerAddress: SocketAddress? { transport.cachedPeer }

    /// The underlying transport (asyncio's `writer.transport`).
    public var underlyingTransport: StreamTransport { transport }

    /// The local address (TCP only).
    public var socketAddress: SocketAddress? { transport.socketAddress }
}
