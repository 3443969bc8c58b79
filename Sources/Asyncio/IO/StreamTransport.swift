import CLibUV
#if canImport(Glibc)
import Glibc
#endif

/// One connected libuv stream, TCP or Unix-domain (asyncio's transport): shared by a ``StreamReader``
/// and a ``StreamWriter`` in the streams API, or driving a ``StreamProtocol`` in the protocol API
/// (``EventLoop/createServer(host:port:backlog:reusePort:_:)``, ``EventLoop/createConnection(host:port:_:)``).
///
/// Loop-confined: every libuv callback runs on the loop thread and its methods must be called there,
/// hence `@unchecked Sendable`. It retains itself while its handle is open; the close callback frees
/// the handle and releases it.
public final class StreamTransport: LoopResource, @unchecked Sendable {
    let loop: EventLoop
    let handle: UnsafeMutableRawPointer
    var stream: UnsafeMutablePointer<uv_stream_t> { handle.assumingMemoryBound(to: uv_stream_t.self) }
    var uvHandle: UnsafeMutablePointer<uv_handle_t> { handle.assumingMemoryBound(to: uv_handle_t.self) }
    let isTCP: Bool

    // reading
    private static let readBufferSize = 64 * 1024
    private let readBuffer = UnsafeMutableRawPointer.allocate(byteCount: StreamTransport.readBufferSize, alignment: 16)
    weak var reader: StreamReader?
    /// The protocol driven by this transport (protocol API); released after `connectionLost`.
    var userProtocol: (any StreamProtocol)?
    private var reading = false
    private var writingPaused = false
    /// Close as soon as the peer's EOF is read (a subprocess's stdout/stderr pipe, as asyncio's read
    /// pipe transports do); buffered data stays in the reader.
    var closesAtEOF = false
    /// Called once the handle is closed (the server forgets the connection).
    var onClosed: (() -> Void)?

    // writing
    /// Bytes handed to libuv and not yet written.
    public private(set) var writeBufferSize = 0
    var highWaterMark = 64 * 1024
    var lowWaterMark = 16 * 1024
    private let drainWaiters = WaitList()
    private(set) var closed = false
    /// Whether ``close()`` was called (or the connection was lost).
    public var isClosing: Bool { closed }
    private(set) var connectionError: (any Error)?
    private let closedWaiters = WaitList()
    private var handleClosed = false

    /// The server this transport listens for, when it is a listener.
    weak var server: StreamServer?

    /// Allocates and initialises a TCP or pipe handle on `loop`; with a `family`, the TCP socket is
    /// created at once (so options can be set before `bind`).
    init(loop: EventLoop, tcp: Bool, family: Int32? = nil) {
        self.loop = loop
        isTCP = tcp
        if tcp {
            let tcpHandle = UnsafeMutablePointer<uv_tcp_t>.allocate(capacity: 1)
            if let family { uv_tcp_init_ex(loop.uvLoop, tcpHandle, UInt32(family)) } else { uv_tcp_init(loop.uvLoop, tcpHandle) }
            handle = UnsafeMutableRawPointer(tcpHandle)
        } else {
            let pipeHandle = UnsafeMutablePointer<uv_pipe_t>.allocate(capacity: 1)
            uv_pipe_init(loop.uvLoop, pipeHandle, 0)
            handle = UnsafeMutableRawPointer(pipeHandle)
        }
        uvHandle.pointee.data = Unmanaged.passRetained(self).toOpaque()
        loop.register(self)
    }

    deinit { readBuffer.deallocate() }

    static func from(_ stream: UnsafeMutablePointer<uv_stream_t>?) -> StreamTransport {
        Unmanaged<StreamTransport>.fromOpaque(stream!.pointee.data).takeUnretainedValue()
    }

    // MARK: reading

    func startReading() {
        guard !reading, !closed else { return }
        reading = uv_read_start(stream, { handle, _, buffer in
            let transport = Unmanaged<StreamTransport>.fromOpaque(handle!.pointee.data).takeUnretainedValue()
            buffer!.pointee = uv_buf_init(transport.readBuffer.assumingMemoryBound(to: CChar.self), UInt32(StreamTransport.readBufferSize))
        }, { stream, nread, _ in
            let transport = StreamTransport.from(stream)
            if let userProtocol = transport.userProtocol {
                transport.protocolRead(userProtocol, nread)
            } else if nread > 0 {
                transport.reader?.received(UnsafeRawBufferPointer(start: transport.readBuffer, count: nread))
            } else if nread == Int(UV_EOF.rawValue) {
                transport.stopReading()
                transport.reader?.receivedEOF()
                if transport.closesAtEOF { transport.close() }
            } else if nread < 0 {
                transport.stopReading()
                let error = IOError("read", transport.peerDescription, status: Int32(nread))
                transport.connectionError = error
                transport.reader?.failed(error)
                transport.wakeWriters()
            }
        }) == 0
    }

    func stopReading() {
        guard reading else { return }
        reading = false
        if !closed { uv_read_stop(stream) }
    }

    /// A read result in the protocol API: data goes straight from libuv's buffer to the protocol.
    private func protocolRead(_ userProtocol: any StreamProtocol, _ nread: Int) {
        if nread > 0 {
            userProtocol.dataReceived(UnsafeRawBufferPointer(start: readBuffer, count: nread))
        } else if nread == Int(UV_EOF.rawValue) {
            stopReading()
            if !userProtocol.eofReceived() { close() }
        } else if nread < 0 {
            stopReading()
            connectionError = IOError("read", peerDescription, status: Int32(nread))
            close()
        }
    }

    /// Stops delivering data to the protocol until ``resumeReading()`` (asyncio's `pause_reading()`).
    public func pauseReading() { stopReading() }

    /// Resumes delivering data (asyncio's `resume_reading()`).
    public func resumeReading() { startReading() }

    /// Whether data is being read (asyncio's `is_reading()`).
    public var isReading: Bool { reading }

    // MARK: writing

    /// Writes `bytes` now if the socket takes them (`uv_try_write`, no copy) and copies the rest into
    /// the write buffer. In the protocol API, crossing the high-water mark calls the protocol's
    /// ``StreamProtocol/pauseWriting()``, and falling back to the low-water mark ``StreamProtocol/resumeWriting()``.
    /// - Throws: ``StreamClosedError`` after ``close()``, or the ``IOError`` that broke the connection.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        if closed { throw connectionError ?? StreamClosedError() }
        if let connectionError { throw connectionError }
        guard bytes.count > 0 else { return }
        var offset = 0
        if writeBufferSize == 0 {
            var buffer = uv_buf_init(UnsafeMutablePointer(mutating: bytes.baseAddress!.assumingMemoryBound(to: CChar.self)), UInt32(bytes.count))
            let written = uv_try_write(stream, &buffer, 1)
            if written == Int32(bytes.count) { return }
            if written > 0 { offset = Int(written) } else if written != UV_EAGAIN.rawValue {
                let error = IOError("write", peerDescription, status: written)
                connectionError = error
                throw error
            }
        }
        let remaining = bytes.count - offset
        let pending = PendingWrite(copying: UnsafeRawBufferPointer(rebasing: bytes[offset...]))
        let request = UnsafeMutablePointer<uv_write_t>.allocate(capacity: 1)
        request.pointee.data = Unmanaged.passRetained(pending).toOpaque()
        var buffer = uv_buf_init(pending.bytes.assumingMemoryBound(to: CChar.self), UInt32(remaining))
        writeBufferSize += remaining
        let status = uv_write(request, stream, &buffer, 1) { request, status in
            guard let request else { return }
            // libuv has already cleared request.bufs here: the size travels with the pending write.
            let pending = Unmanaged<PendingWrite>.fromOpaque(request.pointee.data).takeRetainedValue()
            let transport = StreamTransport.from(request.pointee.handle)
            request.deallocate()
            transport.writeCompleted(size: pending.count, status: status)
        }
        if status < 0 {
            writeBufferSize -= remaining
            Unmanaged<PendingWrite>.fromOpaque(request.pointee.data).release()
            request.deallocate()
            throw IOError("write", peerDescription, status: status)
        }
        if writeBufferSize > highWaterMark, !writingPaused, let userProtocol {
            writingPaused = true
            userProtocol.pauseWriting()
        }
    }

    /// Writes `bytes` (see ``write(_:)-(UnsafeRawBufferPointer)``).
    public func write(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try write($0) } }

    /// Writes a slice without copying it first.
    public func write(_ bytes: ArraySlice<UInt8>) throws { try bytes.withUnsafeBytes { try write($0) } }

    /// Writes the UTF-8 bytes of `text`.
    public func write(_ text: String) throws {
        var text = text
        try text.withUTF8 { try write(UnsafeRawBufferPointer($0)) }
    }

    /// Sets the flow-control marks (asyncio's `set_write_buffer_limits`): above `high`, writers wait
    /// in `drain()` (streams) or the protocol is paused, until the buffer is at or below `low`.
    public func setWriteBufferLimits(high: Int, low: Int? = nil) {
        highWaterMark = high
        lowWaterMark = low ?? high / 4
    }

    private func writeCompleted(size: Int, status: Int32) {
        writeBufferSize = Swift.max(0, writeBufferSize - size)
        if status < 0 && status != UV_ECANCELED.rawValue && connectionError == nil {
            connectionError = IOError("write", peerDescription, status: status)
        }
        if writeBufferSize <= lowWaterMark || connectionError != nil {
            wakeWriters()
            if writingPaused, let userProtocol {
                writingPaused = false
                userProtocol.resumeWriting()
            }
        }
    }

    private func wakeWriters() { drainWaiters.wakeAll() }

    /// Waits while the write buffer is above the high-water mark (flow control).
    nonisolated(nonsending) func drain() async throws {
        if let connectionError { throw connectionError }
        while writeBufferSize > highWaterMark && connectionError == nil && !closed {
            try await drainWaiters.wait(on: loop, "StreamWriter.drain")
        }
        if let connectionError { throw connectionError }
    }

    /// Half-closes after the buffered data: no more writes; the peer reads EOF (asyncio's `write_eof()`).
    public func writeEOF() throws { try shutdown() }

    /// Half-closes: no more writes; the peer reads EOF.
    func shutdown() throws {
        if closed { throw StreamClosedError() }
        let request = UnsafeMutablePointer<uv_shutdown_t>.allocate(capacity: 1)
        let status = uv_shutdown(request, stream) { request, _ in request?.deallocate() }
        if status < 0 {
            request.deallocate()
            throw IOError("shutdown", peerDescription, status: status)
        }
    }

    // MARK: closing

    /// Closes the transport (asyncio's `close()`): buffered writes are abandoned once the handle
    /// closes; the protocol's ``StreamProtocol/connectionLost(_:)`` follows on a later iteration.
    /// Harmless if already closed.
    public func close() {
        guard !closed else { return }
        closed = true
        reading = false
        loop.unregister(self)
        uv_close(uvHandle) { handle in StreamTransport.handleDidClose(handle) }
    }

    /// The close callback: wakes every waiter, tells the protocol, frees the handle, releases the
    /// transport's self-retain.
    private static func handleDidClose(_ handle: UnsafeMutablePointer<uv_handle_t>?) {
        let transport = Unmanaged<StreamTransport>.fromOpaque(handle!.pointee.data).takeRetainedValue()
        transport.handleClosed = true
        transport.closedWaiters.wakeAll()
        transport.reader?.receivedEOF()
        transport.drainWaiters.wakeAll()
        if let userProtocol = transport.userProtocol {
            transport.userProtocol = nil  // breaks the usual protocol <-> transport cycle
            userProtocol.connectionLost(transport.connectionError)
        }
        transport.onClosed?()
        transport.onClosed = nil
        handle!.deallocate()
    }

    /// Waits until the handle is closed (asyncio's `wait_closed()` on a writer).
    nonisolated(nonsending) public func waitClosed() async throws {
        while !handleClosed { try await closedWaiters.wait(on: loop, "StreamWriter.waitClosed") }
    }

    func closeForLoopShutdown() { close() }

    // MARK: addresses

    /// Closes at once, resetting a TCP connection (asyncio's `abort()`): the peer sees `ECONNRESET`.
    public func abort() {
        guard !closed else { return }
        if isTCP {
            closed = true
            reading = false
            loop.unregister(self)
            let status = uv_tcp_close_reset(handle.assumingMemoryBound(to: uv_tcp_t.self)) { handle in
                StreamTransport.handleDidClose(handle)
            }
            if status < 0 {  // e.g. a shutdown is in flight: close plainly
                uv_close(uvHandle) { handle in StreamTransport.handleDidClose(handle) }
            }
        } else {
            close()
        }
    }

    /// Disables Nagle's algorithm on a TCP socket (asyncio does so on every TCP transport).
    func setNoDelay() {
        if isTCP { uv_tcp_nodelay(handle.assumingMemoryBound(to: uv_tcp_t.self), 1) }
    }

    /// The remote address (TCP only), as asyncio's `get_extra_info("peername")`.
    public var peerAddress: SocketAddress? {
        guard isTCP, !closed else { return nil }
        var storage = sockaddr_storage()
        var length = Int32(MemoryLayout<sockaddr_storage>.size)
        let status = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { uv_tcp_getpeername(handle.assumingMemoryBound(to: uv_tcp_t.self), $0, &length) }
        }
        return status == 0 ? SocketAddress(storage: storage) : nil
    }

    /// The local address (TCP only), as asyncio's `get_extra_info("sockname")`.
    public var socketAddress: SocketAddress? {
        guard isTCP, !closed else { return nil }
        var storage = sockaddr_storage()
        var length = Int32(MemoryLayout<sockaddr_storage>.size)
        let status = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { uv_tcp_getsockname(handle.assumingMemoryBound(to: uv_tcp_t.self), $0, &length) }
        }
        return status == 0 ? SocketAddress(storage: storage) : nil
    }

    var peerDescription: String { cachedPeer?.description ?? (isTCP ? "socket" : "unix socket") }

    /// The peer address, read once the connection is made (asyncio's `peername` extra info): after
    /// both sides shut down, `getpeername` would fail.
    private(set) lazy var cachedPeer: SocketAddress? = peerAddress
}

/// Bytes handed to `uv_write`, kept alive (and their size known) until its callback.
private final class PendingWrite {
    let bytes: UnsafeMutableRawPointer
    let count: Int

    init(copying source: UnsafeRawBufferPointer) {
        count = source.count
        bytes = UnsafeMutableRawPointer.allocate(byteCount: count, alignment: 1)
        bytes.copyMemory(from: source.baseAddress!, byteCount: count)
    }

    deinit { bytes.deallocate() }
}
