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

    // reading (into the loop's shared buffer: see SharedReadBuffer)
    weak var reader: StreamReader?
    /// The protocol driven by this transport (protocol API); released after `connectionLost`.
    var userProtocol: (any StreamProtocol)?
    @exclusivity(unchecked) private(set) var reading = false
    private var writingPaused = false
    /// Close as soon as the peer's EOF is read (a subprocess's stdout/stderr pipe, as asyncio's read
    /// pipe transports do); buffered data stays in the reader.
    var closesAtEOF = false
    /// Called once the handle is closed (the server forgets the connection).
    var onClosed: (() -> Void)?

    // writing (hot state is `@exclusivity(unchecked)`, as the loop's: touched only on the loop
    // thread, never through overlapping accesses, and each dynamic check costs ~100 instructions)
    /// Bytes written and not yet delivered to the socket: pending in ``pendingOutput`` or handed to
    /// libuv and not written yet.
    @exclusivity(unchecked) private(set) var bufferedBytes = 0
    /// Bytes a ``StreamWriter`` wrote in this loop iteration, to go out in one write before the loop
    /// polls again (see ``enqueue(_:)``).
    @exclusivity(unchecked) private var pendingOutput: [UInt8] = []
    /// The first write of a batch when it came as an array: kept as is (no copy) until a second
    /// write joins the batch (the usual echo: one write per iteration).
    @exclusivity(unchecked) private var pendingArray: [UInt8] = []
    /// Whether a batch is pending.
    @inline(__always)
    private var hasPendingOutput: Bool { !pendingArray.isEmpty || !pendingOutput.isEmpty }
    /// Whether the loop has this transport in its list of transports to flush.
    @exclusivity(unchecked) var flushScheduled = false
    /// Write and shutdown requests libuv has not called back yet: a flushing close waits for them.
    @exclusivity(unchecked) private var pendingRequests = 0
    var highWaterMark = 64 * 1024
    var lowWaterMark = 16 * 1024
    private let drainWaiters = WaitList()
    /// ``close()`` or ``abort()`` was called, or the connection was lost: no more writes.
    @exclusivity(unchecked) private(set) var closing = false
    /// ``writeEOF()`` was called: no more writes.
    @exclusivity(unchecked) private var eofWritten = false
    @exclusivity(unchecked) var connectionError: (any Error)?
    private let closedWaiters = WaitList()

    // servers: idleness, timeouts, graceful shutdown (ConnectionWatchdog.swift)
    /// Bytes arrived since the last write (or since the connection began): a message is under way.
    @exclusivity(unchecked) var receivedSinceWrite = false
    /// The timeouts' timer and bookkeeping; nil without timeouts.
    @exclusivity(unchecked) var watchdog: ConnectionWatchdog?
    /// A server is shutting down: close as soon as the connection is idle.
    @exclusivity(unchecked) var closesWhenIdle = false
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

    /// Lends the loop's shared buffer to the read libuv is about to make; the read callback, which
    /// libuv calls exactly once after it whatever the result, gives it back.
    private static let allocCallback: uv_alloc_cb = { raw, _, buffer in
        let transport = UVHandle.owner(of: raw, as: StreamTransport.self)
        buffer.unsafelyUnwrapped.pointee = transport.loop.sharedReadBuffer.lend()
    }

    private static let readCallback: uv_read_cb = { raw, nread, buffer in
        let transport = UVHandle.owner(of: raw, as: StreamTransport.self)
        let base = buffer?.pointee.base
        // The loop outlives the callback (the transport may close in it): give the buffer back after.
        let loop = transport.loop
        transport.didRead(nread, UnsafeRawPointer(base))
        loop.sharedReadBuffer.giveBack(base)
    }

    @inline(__always)
    private func didRead(_ nread: Int, _ readBuffer: UnsafeRawPointer?) {
        if nread > 0 {
            receivedSinceWrite = true
            if let watchdog { watchdog.activity() }
            if closesWhenIdle { noteMaybeIdle() }
        }
        if let userProtocol {
            protocolRead(userProtocol, nread, readBuffer)
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
    private func protocolRead(_ userProtocol: any StreamProtocol, _ nread: Int, _ readBuffer: UnsafeRawPointer?) {
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

    /// The write path behind every transport `write` (callers have checked the thread): straight to
    /// the socket, after what a ``StreamWriter`` left pending in this iteration.
    func send(_ bytes: UnsafeRawBufferPointer) throws {
        try checkWritable()
        guard bytes.count > 0 else { return }
        if hasPendingOutput { flushPendingOutput() }
        if let connectionError { throw connectionError }
        noteWrite()
        try writeNow(bytes)
    }

    @inline(__always)
    private func checkWritable() throws {
        if closing { throw connectionError ?? StreamClosedError() }
        if let connectionError { throw connectionError }
        if eofWritten { throw StreamClosedError() }
    }

    /// A write was made: the connection is busy, and the timeouts count it as activity.
    @inline(__always)
    private func noteWrite() {
        receivedSinceWrite = false
        if let watchdog { watchdog.activity() }
        if closesWhenIdle { noteMaybeIdle() }
    }

    // MARK: batched writes (the streams API)

    /// Writes of at least this many bytes go to the socket at once (after what is pending) instead of
    /// being copied into the batch.
    static let batchedWriteLimit = 16 * 1024

    /// The path of ``StreamWriter``'s writes: small writes are appended to ``pendingOutput`` and go out
    /// together — one `uv_try_write`, and one `uv_write` of what the socket did not take — before the
    /// loop polls again (``EventLoop/flushPendingWrites()``), so a handler answering sixteen pipelined
    /// requests makes one system call, not sixteen. The bytes count in ``bufferedBytes`` (and
    /// ``StreamWriter/writeBufferSize``) from the moment they are written; ``writeEOF()``, a close and a
    /// direct transport write flush them first, so their order is the order of the calls.
    func enqueue(_ bytes: UnsafeRawBufferPointer) throws {
        try checkWritable()
        guard bytes.count > 0 else { return }
        if bytes.count >= StreamTransport.batchedWriteLimit {
            if hasPendingOutput { flushPendingOutput() }
            if let connectionError { throw connectionError }
            noteWrite()
            return try writeNow(bytes)
        }
        noteWrite()
        if bufferedBytes == 0, let watchdog { watchdog.writesQueued() }
        if pendingOutput.capacity == 0 { pendingOutput = loop.takeOutputBuffer() }
        if !pendingArray.isEmpty {
            pendingOutput.append(contentsOf: pendingArray)
            pendingArray = []
        }
        pendingOutput.append(contentsOf: bytes)
        scheduleFlush(bytes.count)
    }

    /// ``enqueue(_:)`` for an array: the first write of a batch is kept without a copy.
    func enqueue(array bytes: [UInt8]) throws {
        guard !hasPendingOutput, bytes.count < StreamTransport.batchedWriteLimit else {
            return try bytes.withUnsafeBytes { try enqueue($0) }
        }
        try checkWritable()
        guard bytes.count > 0 else { return }
        noteWrite()
        if bufferedBytes == 0, let watchdog { watchdog.writesQueued() }
        pendingArray = bytes
        scheduleFlush(bytes.count)
    }

    @inline(__always)
    private func scheduleFlush(_ count: Int) {
        bufferedBytes += count
        if !flushScheduled {
            flushScheduled = true
            loop.transportsToFlush.append(self)
        }
    }

    /// Hands the pending bytes to the socket (the loop calls it once per iteration for every transport
    /// that has some; closing, half-closing and direct writes call it first). A failure is kept as the
    /// connection's error: the next write or ``drain(_:)`` throws it, as a write would have.
    func flushPendingOutput() {
        guard hasPendingOutput else { return }
        if !pendingArray.isEmpty {  // a batch of one array
            let bytes = pendingArray
            pendingArray = []
            bufferedBytes -= bytes.count
            if handle.isOpen && connectionError == nil {
                do {
                    try bytes.withUnsafeBytes { try writeNow($0) }
                } catch {
                    if connectionError == nil { connectionError = error }
                    wakeWriters()
                }
            }
            if bufferedBytes == 0 {
                if let watchdog { watchdog.writeProgressed() }
                if closesWhenIdle { noteMaybeIdle() }
            }
            return
        }
        let count = pendingOutput.count
        bufferedBytes -= count
        if handle.isOpen && connectionError == nil {
            do {
                try pendingOutput.withUnsafeBytes { try writeNow($0) }
            } catch {
                // The next write or drain throws it, as the write itself would have.
                if connectionError == nil { connectionError = error }
                wakeWriters()
            }
        }
        pendingOutput.removeAll(keepingCapacity: true)
        loop.returnOutputBuffer(pendingOutput)  // an idle connection holds no output buffer
        pendingOutput = []
        if bufferedBytes == 0 {
            if let watchdog { watchdog.writeProgressed() }
            if closesWhenIdle { noteMaybeIdle() }
        }
    }

    /// Drops what is pending (an abort, or the connection is gone).
    private func discardPendingOutput() {
        guard hasPendingOutput else { return }
        bufferedBytes -= pendingOutput.count + pendingArray.count
        pendingOutput = []
        pendingArray = []
    }

    /// Before an abort: what a ``StreamWriter`` wrote in this iteration is offered to the socket once,
    /// without queueing the rest. asyncio's `write()` sends at once when nothing is queued, so bytes
    /// written before `abort()` reach the socket if it takes them; batching must not lose them.
    private func offerPendingOutputOnce() {
        guard !pendingOutput.isEmpty, pendingRequests == 0, handle.isOpen, connectionError == nil else { return }
        pendingOutput.withUnsafeMutableBytes { bytes in
            var buffer = uv_buf_init(bytes.baseAddress!.assumingMemoryBound(to: CChar.self), UInt32(bytes.count))
            _ = uv_try_write(stream, &buffer, 1)  // what the socket does not take is discarded: an abort
        }
    }

    /// Writes `bytes` now if the socket takes them and queues the rest with libuv.
    private func writeNow(_ bytes: UnsafeRawBufferPointer) throws {
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
        // Above the mark with bytes still pending: hand them to the socket now, which may take them.
        if bufferedBytes > highWaterMark && hasPendingOutput { flushPendingOutput() }
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
        flushPendingOutput()
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
        flushPendingOutput()
        closing = true
        stopReading()
        wakeWriters()
        if pendingRequests == 0 { closeNow() }
    }

    /// Closes the handle now: pending writes are cancelled.
    func closeNow() {
        closing = true
        reading = false
        discardPendingOutput()
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
        offerPendingOutputOnce()
        discardPendingOutput()
        handle.closeReset()
    }

    /// The last callback of the handle: wakes every waiter, tells the reader and the protocol.
    func handleDidClose(_ handle: UVHandle) {
        closing = true
        reading = false
        discardPendingOutput()
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
