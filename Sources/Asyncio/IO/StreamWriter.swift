/// The writing half of a connection (asyncio's `StreamWriter`).
///
/// `write` never blocks: the bytes written during one loop iteration go out together, in one write
/// to the socket before the loop polls again (a large write goes out at once), and what the socket
/// does not take is buffered; ``drain()`` waits while that buffer is above the high-water mark (flow control: a slow peer cannot grow the
/// writer's memory without bound if the writer drains). ``close()`` delivers what is buffered, then
/// closes. Loop-confined: every member checks that it runs on the loop thread (a call from another
/// thread is a precondition failure naming it), hence `@unchecked Sendable`.
public final class StreamWriter: @unchecked Sendable {
    let transport: StreamTransport

    init(transport: StreamTransport) {
        self.transport = transport
        _ = transport.cachedPeer  // remember the peer while the connection is up
    }

    @inline(__always)
    private func check(_ what: @autoclosure () -> String) { transport.loop.preconditionOnLoopThread(what()) }

    /// Writes `bytes` (buffering what the socket does not take now).
    /// - Throws: ``StreamClosedError`` or the ``IOError`` that broke the connection (`EPIPE`, `ECONNRESET`).
    public func write(_ bytes: [UInt8]) throws {
        check("StreamWriter.write")
        try transport.enqueue(array: bytes)
    }

    /// Writes a slice of bytes without copying it first.
    public func write(_ bytes: ArraySlice<UInt8>) throws {
        check("StreamWriter.write")
        try bytes.withUnsafeBytes { try transport.enqueue($0) }
    }

    /// Writes the UTF-8 bytes of `text`.
    public func write(_ text: String) throws {
        check("StreamWriter.write")
        var text = text
        try text.withUTF8 { try transport.enqueue(UnsafeRawBufferPointer($0)) }
    }

    /// Writes each element of `lines` in turn (asyncio's `writelines`).
    public func writeLines(_ lines: [[UInt8]]) throws {
        check("StreamWriter.writeLines")
        for line in lines { try line.withUnsafeBytes { try transport.enqueue($0) } }
    }

    /// Waits until the write buffer is at or below the high-water mark (asyncio's `drain()`).
    /// - Throws: the error that broke the connection.
    nonisolated(nonsending) public func drain() async throws {
        check("StreamWriter.drain")
        if let error = transport.connectionError { throw error }
        if transport.bufferedBytes <= transport.highWaterMark { return }  // nothing to wait for
        try await transport.drain("StreamWriter.drain")
    }

    /// Bytes buffered and not yet written to the socket.
    public var writeBufferSize: Int {
        check("StreamWriter.writeBufferSize")
        return transport.bufferedBytes
    }

    /// Sets the flow-control marks: ``drain()`` waits above `high` until the buffer is at or below `low`.
    public func setWriteBufferLimits(high: Int, low: Int? = nil) {
        check("StreamWriter.setWriteBufferLimits")
        transport.setLimits(high: high, low: low)
    }

    /// Half-closes the connection after buffered data: the peer reads EOF (asyncio's `write_eof()`).
    public func writeEOF() throws {
        check("StreamWriter.writeEOF")
        try transport.shutdown()
    }

    /// Closes the connection once the buffered data is delivered (asyncio's `close()`); harmless if
    /// already closed. ``waitClosed()`` waits for the end of it.
    public func close() {
        check("StreamWriter.close")
        transport.closeAfterFlush()
    }

    /// Whether ``close()`` was called, or the connection was lost.
    public var isClosing: Bool {
        check("StreamWriter.isClosing")
        return transport.closing
    }

    /// Waits until the connection is fully closed, its buffered data delivered (asyncio's `wait_closed()`).
    /// - Throws: the error that ended the connection (a write failing during the flush, a reset...).
    nonisolated(nonsending) public func waitClosed() async throws {
        check("StreamWriter.waitClosed")
        try await transport.waitUntilClosed("StreamWriter.waitClosed")
    }

    /// The remote address (TCP only), as it was when the connection was made.
    public var peerAddress: SocketAddress? {
        check("StreamWriter.peerAddress")
        return transport.cachedPeer
    }

    /// The underlying transport (asyncio's `writer.transport`).
    public var underlyingTransport: StreamTransport {
        check("StreamWriter.underlyingTransport")
        return transport
    }

    /// The local address (TCP only).
    public var socketAddress: SocketAddress? {
        check("StreamWriter.socketAddress")
        return transport.address(peer: false)
    }
}
