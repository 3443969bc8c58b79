import CLibUV
#if canImport(Glibc)
import Glibc
#endif

/// One connected libuv stream, TCP or Unix-domain (asyncio's transport): shared by a ``StreamReader``
/// and a ``StreamWriter`` in the streams API, or driving a ``StreamProtocol`` in the protocol API
/// (``EventLoop/createServer(host:port:backlog:reusePort:timeouts:_:)``, ``EventLoop/createConnection(host:port:_:)``).
///
/// ``close()`` flushes: what was written is delivered before the connection closes (asyncio's
/// `close()`); ``abort()`` discards it and closes at once.
///
/// Loop-confined: every libuv callback runs on the loop thread, and every public member checks that
/// it is called there (a call from another thread is a precondition failure naming it), hence
/// `@unchecked Sendable`. Its libuv handle's owner (`UVHandle`) keeps it alive while the connection is open.
public final class StreamTransport: UVHandleOwner, @unchecked Sendable {
    let loop: EventLoop
    let handle: UVHandle
    @inline(__always)
    var stream: UnsafeMutablePointer<uv_stream_t> { handle.pointer.assumingMemoryBound(to: uv_stream_t.self) }
    let isTCP: Bool

    // reading
    private static let readBufferSize = 64 * 1024
    private let readBuffer = UnsafeMutableRawPointer.allocate(byteCount: StreamTransport.readBufferSize, alignment: 16)
    weak var reader: StreamReader?
    /// The protocol driven by this transport (protocol API); released after `connectionLost`.
    var userProtocol: (any StreamProtocol)?
    private(set) var reading = false
    private var writingPaused = false
    /// Close as soon as the peer's EOF is read (a subprocess's stdout/stderr pipe, as asyncio's read
    /// pipe transports do); buffered data stays in the reader.
    var closesAtEOF = false
    /// Called once the handle is closed (the server forgets the connection).
    var onClosed: (() -> Void)?

    // writing
    /// Bytes handed to libuv and not yet written.
    private(set) var bufferedBytes = 0
    /// Write and shutdown requests libuv has not called back yet: a flushing close waits for them.
    private var pendingRequests = 0
    var highWaterMark = 64 * 1024
    var lowWaterMark = 16 * 1024
    private let drainWaiters = WaitList()
    /// ``close()`` or ``abort()`` was called, or the connection was lost: no more writes.
    private(set) var closing = false
    /// ``writeEOF()`` was called: no more writes.
    private var eofWritten = false
    var connectionError: (any Error)?
    private let closedWaiters = WaitList()

    // servers: idleness, timeouts, graceful shutdown (ConnectionWatchdog.swift)
    /// Bytes arrived since the last write (or since the connection began): a message is under way.
    var receivedSinceWrite = false
    /// The timeouts' timer and bookkeeping; nil without timeouts.
    var watchdog: ConnectionWatchdog?
    /// A server is shutting down: close as soon as the connection is idle.
    var closesWhenIdle = false
    var idleCheckPending = false
    /// Why the transport closed itself without a connection error (a read timeout): what
    /// ``waitClosed()`` throws and the protocol's ``StreamProtocol/connectionLost(_:)`` gets.
    var closeReason: (any Error)?

    private init(loop: EventLoop, handle: UVHandle, isTCP: Bool) {
        self.loop = loop
        self.handle = handle
        self.isTCP = isTCP
        handle.attach(self)
    }

    deinit { readBuffer.deallocate() }

    /// A TCP handle on `loop` (on the loop thread); with a `family`, the socket is created at once
    /// (so options can be set before `bind`).
    /// - Throws: ``IOError`` (`socket`, e.g. `EMFILE`) when libuv cannot create it.
    static func tcp(on loop: EventLoop, family: Int32? = nil) throws(IOError) -> StreamTransport {
        let handle = try UVHandle("socket", family.map { $0 == AF_INET6 ? "tcp6" : "tcp4" } ?? "tcp", type: UV_TCP, loop: loop) { raw in
            let tcp = raw.assumingMemoryBound(to: uv_tcp_t.self)
            guard let family else { return uv_tcp_init(loop.uvLoop, tcp) }
            return uv_tcp_init_ex(loop.uvLoop, tcp, UInt32(family))
        }
        return StreamTransport(loop: loop, handle: handle, isTCP: true)
    }

    /// A pipe handle (Unix-domain socket or a child's standard stream) on `loop`, on its thread.
    /// - Throws: ``IOError`` (`uv_pipe_init`) when libuv cannot create it.
    static func pipe(on loop: EventLoop) throws(IOError) -> StreamTransport {
        let handle = try UVHandle("uv_pipe_init", "pipe", type: UV_NAMED_PIPE, loop: loop) { raw in
            uv_pipe_init(loop.uvLoop, raw.assumingMemoryBound(to: uv_pipe_t.self), 0)
        }
        return StreamTransport(loop: loop, handle: handle, isTCP: false)
    }

    // MARK: reading

    /// Starts delivering data (internal: the reader and the protocol API call it on the loop thread).
    func startReading() {
        guard !reading, !closing, handle.isOpen else { return }
        let status = uv_read_start(stream, StreamTransport.allocCallback, StreamTransport.readCallback)
        if status == 0 {
            reading = true
        } else if status != UV_ENOTCONN.rawValue {  // ENOTCONN: the peer's EOF was read, nothing more comes
            readFailed(status)
        }
    }

    func stopReading() {
        guard reading else { return }
        reading = false
        if handle.isOpen { _ = uv_read_stop(stream) }  // cannot fail: it only stops watching
    }

    private static let allocCallback: uv_alloc_cb = { raw, _, buffer in
        let transport = UVHandle.owner(of: raw, as: StreamTransport.self)
        buffer.unsafelyUnwrapped.pointee = uv_buf_init(
            transport.readBuffer.assumingMemoryBound(to: CChar.self), UInt32(StreamTransport.readBufferSize))
    }

    private static let readCallback: uv_read_cb = { raw, nread, _ in
        UVHandle.owner(of: raw, as: StreamTransport.self).didRead(nread)
    }

    @inline(__always)
    private func didRead(_ nread: Int) {
        if nread > 0 {
            receivedSinceWrite = true
            if let watchdog { watchdog.activity() }
            if closesWhenIdle { noteMaybeIdle() }
        }
        if let userProtocol {
            protocolRead(userProtocol, nread)
        } else if nread > 0 {
            reader?.received(UnsafeRawBufferPointer(start: readBuffer, count: nread))
        } else if nread == Int(UV_EOF.rawValue) {
            stopReading()
            reader?.receivedEOF()
            if closesAtEOF { closeAfterFlush() }
        } else if nread < 0 {
            readFailed(Int32(truncatingIfNeeded: nread))
        }
    }

    /// A read result in the protocol API: data goes straight from libuv's buffer to the protocol.
    private func protocolRead(_ userProtocol: any StreamProtocol, _ nread: Int) {
        if nread > 0 {
            userProtocol.dataReceived(UnsafeRawBufferPointer(start: readBuffer, count: nread))
        } else if nread == Int(UV_EOF.rawValue) {
            stopReading()
            if !userProtocol.eofReceived() { closeAfterFlush() }
        } else if nread < 0 {
            readFailed(Int32(truncatingIfNeeded: nread))
        }
    }

    /// The connection broke while reading: the reader gets the error; a protocol's transport closes
    /// at once (nothing buffered can be delivered any more).
    private func readFailed(_ status: Int32) {
        stopReading()
        let error = IOError("read", peerDescription, status: status)
        if connectionError == nil { connectionError = error }
        reader?.failed(error)
        wakeWriters()
        if userProtocol != nil { closeNow() }
    }

    /// Stops delivering data to the protocol until ``resumeReading()`` (asyncio's `pause_reading()`).
    public func pauseReading() {
        loop.preconditionOnLoopThread("StreamTransport.pauseReading")
        stopReading()
    }

    /// Resumes delivering data (asyncio's `resume_reading()`). A failure to restart reading is
    /// delivered as a read error (to the protocol's ``StreamProtocol/connectionLost(_:)``).
    public func resumeReading() {
        loop.preconditionOnLoopThread("StreamTransport.resumeReading")
        startReading()
    }

    /// Whether data is being read (asyncio's `is_reading()`).
    public var isReading: Bool {
        loop.preconditionOnLoopThread("StreamTransport.isReading")
        return reading
    }

    // MARK: writing

    /// Writes `bytes` now if the socket takes them (`uv_try_write`, no copy) and copies the rest into
    /// the write buffer. In the protocol API, crossing the high-water mark calls the protocol's
    /// ``StreamProtocol/pauseWriting()``, and falling back to the low-water mark ``StreamProtocol/resumeWriting()``.
    /// - Throws: ``StreamClosedError`` after ``close()`` or ``writeEOF()``, or the ``IOError`` that
    ///   broke the connection (`EPIPE`, `ECONNRESET`).
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        loop.preconditionOnLoopThread("StreamTransport.write")
        try send(bytes)
    }

    /// Writes `bytes` (see ``write(_:)-(UnsafeRawBufferPointer)``).
    public func write(_ bytes: [UInt8]) throws {
        loop.preconditionOnLoopThread("StreamTransport.write")
        try bytes.withUnsafeBytes { try send($0) }
    }

    /// Writes a slice without copying it first.
    public func write(_ bytes: ArraySlice<UInt8>) throws {
        loop.preconditionOnLoopThread("StreamTransport.write")
        try bytes.withUnsafeBytes { try send($0) }
    }

    /// Writes the UTF-8 bytes of `text`.
    public func write(_ text: String) throws {
        loop.preconditionOnLoopThread("StreamTransport.write")
        try send(text)
    }

    func send(_ text: String) throws {
        var text = text
        try text.withUTF8 { try send(UnsafeRawBufferPointer($0)) }
    }

    /// The write path behind every `write` (callers have checked the thread).
    func send(_ bytes: UnsafeRawBufferPointer) throws {
        if closing { throw connectionError ?? StreamClosedError() }
        if let connectionError { throw connectionError }
        if eofWritten { throw StreamClosedError() }
        guard bytes.count > 0 else { return }
        receivedSinceWrite = false
        if let watchdog { watchdog.activity() }
        if closesWhenIdle { noteMaybeIdle() }
        var offset = 0
        if pendingRequests == 0 {
            var buffer = uv_buf_init(UnsafeMutablePointer(mutating: bytes.baseAddress!.assumingMemoryBound(to: CChar.self)), UInt32(bytes.count))
            let written = uv_try_write(stream, &buffer, 1)
            if written == Int32(bytes.count) { return }
            if written > 0 {
                offset = Int(written)
            } else if written != UV_EAGAIN.rawValue {
                let error = IOError("write", peerDescription, status: written)
                connectionError = error
                wakeWriters()
                throw error
            }
        }
        let remaining = bytes.count - offset
        let request = UVRequest(UV_WRITE, byteCount: remaining)
        request.bytes.unsafelyUnwrapped.copyMemory(from: bytes.baseAddress! + offset, byteCount: remaining)
        var buffer = uv_buf_init(request.bytes.unsafelyUnwrapped.assumingMemoryBound(to: CChar.self), UInt32(remaining))
        try request.start("write", peerDescription) { raw in
            uv_write(raw.assumingMemoryBound(to: uv_write_t.self), stream, &buffer, 1, StreamTransport.writeCallback)
        }
        bufferedBytes += remaining
        pendingRequests += 1
        if bufferedBytes == remaining, let watchdog { watchdog.writesQueued() }
        if bufferedBytes > highWaterMark, !writingPaused, let userProtocol {
            writingPaused = true
            userProtocol.pauseWriting()
        }
    }

    private static let writeCallback: uv_write_cb = { raw, status in
        let stream = raw.unsafelyUnwrapped.pointee.handle  // read before completing: that may free the request
        let request = UVRequest.complete(raw, result: Int(status))
        UVHandle.owner(of: stream, as: StreamTransport.self).writeCompleted(size: request.byteCount, status: status)
    }

    private func writeCompleted(size: Int, status: Int32) {
        bufferedBytes -= size
        pendingRequests -= 1
        if let watchdog { watchdog.writeProgressed() }
        if bufferedBytes == 0 && closesWhenIdle { noteMaybeIdle() }
        if status < 0 { writeFailed(IOError("write", peerDescription, status: status)) }
        if closing {
            if pendingRequests == 0 || connectionError != nil { closeNow() }
            return
        }
        if bufferedBytes <= lowWaterMark || connectionError != nil {
            wakeWriters()
            if writingPaused, let userProtocol {
                writingPaused = false
                userProtocol.resumeWriting()
            }
        }
    }

    /// Records a failed write or shutdown (not one cancelled by our own close). During a flushing
    /// close it ends the flush: the error reaches ``waitClosed()`` and the protocol's
    /// ``StreamProtocol/connectionLost(_:)``, and — unless it is the peer going away (`EPIPE`,
    /// `ECONNRESET`, `ECONNABORTED`), as asyncio does — the loop's exception handler.
    private func writeFailed(_ error: IOError) {
        guard error.code != .ECANCELED, connectionError == nil else { return }
        connectionError = error
        if closing && ![IOError.Code.EPIPE, .ECONNRESET, .ECONNABORTED].contains(error.code) {
            loop.report(ExceptionContext(
                message: "Fatal write error while flushing a closing transport", error: error, source: peerDescription))
        }
    }

    private func wakeWriters() { drainWaiters.wakeAll() }

    /// Sets the flow-control marks (asyncio's `set_write_buffer_limits`): above `high`, writers wait
    /// in `drain()` (streams) or the protocol is paused, until the buffer is at or below `low`.
    public func setWriteBufferLimits(high: Int, low: Int? = nil) {
        loop.preconditionOnLoopThread("StreamTransport.setWriteBufferLimits")
        setLimits(high: high, low: low)
    }

    func setLimits(high: Int, low: Int?) {
        highWaterMark = high
        lowWaterMark = low ?? high / 4
    }

    /// Bytes handed to libuv and not yet written (asyncio's `get_write_buffer_size()`).
    public var writeBufferSize: Int {
        loop.preconditionOnLoopThread("StreamTransport.writeBufferSize")
        return bufferedBytes
    }

    /// Waits while the write buffer is above the high-water mark (flow control).
    nonisolated(nonsending) func drain(_ what: String) async throws {
        if let connectionError { throw connectionError }
        while bufferedBytes > highWaterMark && connectionError == nil && !closing {
            try await drainWaiters.wait(on: loop, what)
        }
        if let connectionError { throw connectionError }
    }

    /// Half-closes after the buffered data: no more writes; the peer reads EOF (asyncio's `write_eof()`).
    /// Calling it twice does nothing.
    /// - Throws: ``StreamClosedError`` after ``close()``; ``IOError`` when libuv refuses the shutdown.
    public func writeEOF() throws {
        loop.preconditionOnLoopThread("StreamTransport.writeEOF")
        try shutdown()
    }

    /// Half-closes: no more writes; the peer reads EOF once the buffered data is written.
    func shutdown() throws {
        if closing { throw StreamClosedError() }
        if eofWritten { return }
        let request = UVRequest(UV_SHUTDOWN)
        try request.start("shutdown", peerDescription) { raw in
            uv_shutdown(raw.assumingMemoryBound(to: uv_shutdown_t.self), stream) { raw, status in
                let stream = raw.unsafelyUnwrapped.pointee.handle  // read before completing: that frees the request
                UVRequest.complete(raw, result: Int(status))
                UVHandle.owner(of: stream, as: StreamTransport.self).shutdownCompleted(status: status)
            }
        }
        eofWritten = true
        pendingRequests += 1
    }

    private func shutdownCompleted(status: Int32) {
        pendingRequests -= 1
        if status < 0 { writeFailed(IOError("shutdown", peerDescription, status: status)) }
        if closing && (pendingRequests == 0 || connectionError != nil) { closeNow() }
    }

    // MARK: closing

    /// Closes the transport once everything written has been delivered (asyncio's `close()`): reading
    /// stops at once, writes are refused, the handle closes when the last write completes (at once
    /// if none is pending). A write error during that flush closes it at once and is reported
    /// (``waitClosed()`` throws it). The protocol's ``StreamProtocol/connectionLost(_:)`` follows the
    /// close. Harmless if already closing.
    public func close() {
        loop.preconditionOnLoopThread("StreamTransport.close")
        closeAfterFlush()
    }

    /// ``close()`` for internal callers (on the loop thread).
    func closeAfterFlush() {
        guard !closing else { return }
        closing = true
        stopReading()
        wakeWriters()
        if pendingRequests == 0 { closeNow() }
    }

    /// Closes the handle now: pending writes are cancelled.
    func closeNow() {
        closing = true
        reading = false
        handle.close()
    }

    /// Closes at once, discarding buffered writes (asyncio's `abort()`); a TCP connection is reset,
    /// so the peer sees `ECONNRESET`. Also ends a flushing ``close()``. Harmless if already closed.
    public func abort() {
        loop.preconditionOnLoopThread("StreamTransport.abort")
        abortNow()
    }

    /// ``abort()`` for internal callers.
    func abortNow() {
        closing = true
        reading = false
        handle.closeReset()
    }

    /// The last callback of the handle: wakes every waiter, tells the reader and the protocol.
    func handleDidClose(_ handle: UVHandle) {
        closing = true
        reading = false
        watchdog?.stop()
        watchdog = nil
        closedWaiters.wakeAll()
        reader?.receivedEOF()
        drainWaiters.wakeAll()
        if let userProtocol {
            self.userProtocol = nil  // breaks the usual protocol <-> transport cycle
            userProtocol.connectionLost(connectionError ?? closeReason)
        }
        let onClosed = self.onClosed
        self.onClosed = nil
        onClosed?()
    }

    /// Whether ``close()`` or ``abort()`` was called, or the connection was lost (asyncio's `is_closing()`).
    public var isClosing: Bool {
        loop.preconditionOnLoopThread("StreamTransport.isClosing")
        return closing
    }

    /// Waits until the connection is closed — after the flush of a ``close()`` — (asyncio's
    /// `wait_closed()` on a writer).
    /// - Throws: the error that ended the connection (a write failing during the flush, a reset...).
    nonisolated(nonsending) public func waitClosed() async throws {
        loop.preconditionOnLoopThread("StreamTransport.waitClosed")
        try await waitUntilClosed("StreamTransport.waitClosed")
    }

    nonisolated(nonsending) func waitUntilClosed(_ what: String) async throws {
        while handle.state != .closed { try await closedWaiters.wait(on: loop, what) }
        if let error = connectionError ?? closeReason { throw error }
    }

    // MARK: addresses

    /// Disables Nagle's algorithm on a TCP socket (asyncio does so on every TCP transport).
    func setNoDelay() throws(IOError) {
        guard isTCP, handle.isOpen else { return }
        let status = uv_tcp_nodelay(handle.pointer.assumingMemoryBound(to: uv_tcp_t.self), 1)
        if status < 0 { throw IOError("setsockopt", "TCP_NODELAY", status: status) }
    }

    /// The remote address (TCP only), as asyncio's `get_extra_info("peername")`; nil once closed.
    public var peerAddress: SocketAddress? {
        loop.preconditionOnLoopThread("StreamTransport.peerAddress")
        return address(peer: true)
    }

    /// The local address (TCP only), as asyncio's `get_extra_info("sockname")`; nil once closed.
    public var socketAddress: SocketAddress? {
        loop.preconditionOnLoopThread("StreamTransport.socketAddress")
        return address(peer: false)
    }

    /// The peer's or the local address; nil for a pipe, a closed handle, or when the system call fails.
    func address(peer: Bool) -> SocketAddress? {
        guard isTCP, handle.isOpen else { return nil }
        var storage = sockaddr_storage()
        var length = Int32(MemoryLayout<sockaddr_storage>.size)
        let tcp = handle.pointer.assumingMemoryBound(to: uv_tcp_t.self)
        let status = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                peer ? uv_tcp_getpeername(tcp, $0, &length) : uv_tcp_getsockname(tcp, $0, &length)
            }
        }
        return status == 0 ? SocketAddress(storage: storage) : nil
    }

    var peerDescription: String { cachedPeer?.description ?? (isTCP ? "socket" : "unix socket") }

    /// The peer address, read once the connection is made (asyncio's `peername` extra info): after
    /// both sides shut down, `getpeername` would fail.
    private(set) lazy var cachedPeer: SocketAddress? = address(peer: true)
}
