import CLibUV
#if canImport(Glibc)
import Glibc
#endif

/// One connected libuv stream (TCP socket or Unix-domain socket) shared by a ``StreamReader`` and a
/// ``StreamWriter``. Loop-confined (every libuv callback runs on the loop thread), hence
/// `@unchecked Sendable`. It retains itself while its handle is open; the close callback frees the
/// handle and releases it.
final class StreamTransport: LoopResource, @unchecked Sendable {
    let loop: EventLoop
    let handle: UnsafeMutableRawPointer
    var stream: UnsafeMutablePointer<uv_stream_t> { handle.assumingMemoryBound(to: uv_stream_t.self) }
    var uvHandle: UnsafeMutablePointer<uv_handle_t> { handle.assumingMemoryBound(to: uv_handle_t.self) }
    let isTCP: Bool

    // reading
    private static let readBufferSize = 64 * 1024
    private let readBuffer = UnsafeMutableRawPointer.allocate(byteCount: StreamTransport.readBufferSize, alignment: 16)
    weak var reader: StreamReader?
    private var reading = false

    // writing
    /// Bytes handed to libuv and not yet written.
    private(set) var writeBufferSize = 0
    var highWaterMark = 64 * 1024
    var lowWaterMark = 16 * 1024
    private let drainWaiters = WaitList()
    private(set) var closed = false
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
        reading = true
        uv_read_start(stream, { handle, _, buffer in
            let transport = Unmanaged<StreamTransport>.fromOpaque(handle!.pointee.data).takeUnretainedValue()
            buffer!.pointee = uv_buf_init(transport.readBuffer.assumingMemoryBound(to: CChar.self), UInt32(StreamTransport.readBufferSize))
        }, { stream, nread, _ in
            let transport = StreamTransport.from(stream)
            if nread > 0 {
                transport.reader?.received(UnsafeRawBufferPointer(start: transport.readBuffer, count: nread))
            } else if nread == Int(UV_EOF.rawValue) {
                transport.stopReading()
                transport.reader?.receivedEOF()
            } else if nread < 0 {
                transport.stopReading()
                let error = IOError("read", transport.peerDescription, status: Int32(nread))
                transport.connectionError = error
                transport.reader?.failed(error)
                transport.wakeWriters()
            }
        })
    }

    func stopReading() {
        guard reading else { return }
        reading = false
        if !closed { uv_read_stop(stream) }
    }

    // MARK: writing

    /// Writes `bytes` now if the socket accepts them (`uv_try_write`), queues the rest.
    func write(_ bytes: UnsafeRawBufferPointer) throws {
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
    }

    private func writeCompleted(size: Int, status: Int32) {
        writeBufferSize = Swift.max(0, writeBufferSize - size)
        if status < 0 && status != UV_ECANCELED.rawValue && connectionError == nil {
            connectionError = IOError("write", peerDescription, status: status)
        }
        if writeBufferSize <= lowWaterMark || connectionError != nil { wakeWriters() }
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

    func close() {
        guard !closed else { return }
        closed = true
        reading = false
        loop.unregister(self)
        uv_close(uvHandle) { handle in
            let transport = Unmanaged<StreamTransport>.fromOpaque(handle!.pointee.data).takeRetainedValue()
            transport.handleClosed = true
            transport.closedWaiters.wakeAll()
            transport.reader?.receivedEOF()
            transport.drainWaiters.wakeAll()
            handle!.deallocate()
        }
    }

    nonisolated(nonsending) func waitClosed() async throws {
        while !handleClosed { try await closedWaiters.wait(on: loop, "StreamWriter.waitClosed") }
    }

    func closeForLoopShutdown() { close() }

    // MARK: addresses

    var peerAddress: SocketAddress? {
        guard isTCP, !closed else { return nil }
        var storage = sockaddr_storage()
        var length = Int32(MemoryLayout<sockaddr_storage>.size)
        let status = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { uv_tcp_getpeername(handle.assumingMemoryBound(to: uv_tcp_t.self), $0, &length) }
        }
        return status == 0 ? SocketAddress(storage: storage) : nil
    }

    var socketAddress: SocketAddress? {
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
