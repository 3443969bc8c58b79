import CLibUV
#if canImport(Glibc)
import Glibc
#endif

/// One `uv_fs_t` in flight, with the memory it needs (path, buffer) kept alive until libuv calls
/// back, even if the waiting task was cancelled meanwhile. Loop thread only.
final class FileRequest: @unchecked Sendable {
    let request = UnsafeMutablePointer<uv_fs_t>.allocate(capacity: 1)
    var buffer: UnsafeMutableRawPointer?
    var waiter: LoopWaiter?
    var result = 0
    var finished = false
    var onFinish: ((UnsafeMutablePointer<uv_fs_t>) -> Void)?

    deinit {
        buffer?.deallocate()
        request.deallocate()
    }

    static let callback: uv_fs_cb = { raw in
        guard let raw else { return }
        let box = Unmanaged<FileRequest>.fromOpaque(raw.pointee.data).takeRetainedValue()
        box.result = Int(raw.pointee.result)
        if box.result >= 0 { box.onFinish?(raw) }  // on failure the request's outputs are not set
        uv_fs_req_cleanup(raw)
        box.finished = true
        box.waiter?.resume()
    }
}

extension EventLoop {
    /// Runs one libuv file-system request and returns its result (bytes, a descriptor, 0...).
    /// - Throws: ``IOError`` naming `operation`, `path` and the errno name.
    nonisolated(nonsending) func fileRequest(
        _ operation: String, _ path: String, bufferSize: Int = 0,
        start: (UnsafeMutablePointer<uv_fs_t>, UnsafeMutableRawPointer?) -> Int32,
        onFinish: ((UnsafeMutablePointer<uv_fs_t>) -> Void)? = nil
    ) async throws -> (result: Int, request: FileRequest) {
        try checkUsable(operation)
        let box = FileRequest()
        if bufferSize > 0 { box.buffer = UnsafeMutableRawPointer.allocate(byteCount: bufferSize, alignment: 16) }
        box.onFinish = onFinish
        box.request.pointee.data = Unmanaged.passRetained(box).toOpaque()
        let status = start(box.request, box.buffer)
        if status < 0 {
            Unmanaged<FileRequest>.fromOpaque(box.request.pointee.data).release()
            throw IOError(operation, path, status: status)
        }
        externalWaits += 1
        defer { externalWaits -= 1 }
        if !box.finished {
            try await suspend(operation) { waiter in
                box.waiter = waiter
                waiter.onCancel = { uv_cancel(UnsafeMutableRawPointer(box.request).assumingMemoryBound(to: uv_req_t.self)) }
            }
        }
        if box.result < 0 { throw IOError(operation, path, status: Int32(box.result)) }
        return (box.result, box)
    }
}
