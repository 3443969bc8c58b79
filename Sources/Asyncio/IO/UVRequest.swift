import CLibUV

/// One libuv request in flight — `uv_fs_t`, `uv_getaddrinfo_t`, `uv_getnameinfo_t`, `uv_connect_t`,
/// `uv_write_t`, `uv_shutdown_t`, `uv_udp_send_t` — all in one pattern:
///
/// 1. `let request = UVRequest(UV_WRITE, byteCount: n)`: the request's memory (sized by
///    `uv_req_size`), with `n` bytes of its own after it (what a write sends, what a read fills).
/// 2. ``start(_:_:_:)`` calls the libuv function. The request keeps itself alive from there to its
///    callback (`req.data` holds a retain), so the memory libuv writes to outlives a cancelled waiter.
///    A failed start (libuv refused it: it will never call back) drops that retain and throws ``IOError``.
/// 3. The libuv callback calls ``complete(_:result:)`` exactly once: it takes the retain back,
///    records the status, runs ``onDone`` (which reads the outputs while they are valid, before the
///    callback frees libuv's own: `uv_fs_req_cleanup`, `uv_freeaddrinfo`), and resumes the task that
///    waits in ``wait(on:_:onCancel:)``.
/// 4. The memory is freed when the last reference goes: after the callback and after the waiter. A
///    callback that needs a field of the request after ``complete(_:result:)`` (`req->handle`) reads
///    it first, or keeps the returned request alive while it uses it.
///
/// Loop-confined (libuv calls back on the loop thread).
final class UVRequest {
    /// The `uv_*_t` memory.
    let pointer: UnsafeMutableRawPointer
    /// The bytes allocated with the request (nil when none were asked for).
    let bytes: UnsafeMutableRawPointer?
    /// How many bytes ``bytes`` holds.
    let byteCount: Int
    /// libuv's status (negative: an error) or, for file requests, the result (bytes, a descriptor).
    private(set) var result = 0
    /// Whether libuv called back.
    private(set) var isDone = false
    private var waiter: LoopWaiter?
    /// Reads the request's outputs in libuv's callback, on success or failure, whether or not a task
    /// still waits (a scandir's entries, the addresses of a getaddrinfo).
    var onDone: ((UVRequest) -> Void)?

    /// Allocates a request of `type` with `byteCount` bytes of its own (one allocation for both).
    init(_ type: uv_req_type, byteCount: Int = 0) {
        let size = (uv_req_size(type) + 15) & ~15
        pointer = .allocate(byteCount: size + byteCount, alignment: 16)
        bytes = byteCount > 0 ? pointer + size : nil
        self.byteCount = byteCount
    }

    deinit { pointer.deallocate() }

    /// The request as libuv's base type.
    @inline(__always)
    var request: UnsafeMutablePointer<uv_req_t> { pointer.assumingMemoryBound(to: uv_req_t.self) }

    /// Starts the request: `body` calls the libuv function with the request's memory.
    /// - Throws: ``IOError`` (`operation`, `target`, libuv's status) when libuv refuses it.
    @inline(__always)
    func start(
        _ operation: @autoclosure () -> String, _ target: @autoclosure () -> String,
        _ body: (UnsafeMutableRawPointer) -> Int32
    ) throws(IOError) {
        request.pointee.data = Unmanaged.passRetained(self).toOpaque()
        let status = body(pointer)
        if status < 0 {
            Unmanaged.passUnretained(self).release()
            throw IOError(operation(), target(), status: status)
        }
    }

    /// The request behind `raw`, from its libuv callback (call exactly once per started request):
    /// records `result`, runs ``onDone``, resumes a waiting task.
    @inline(__always)
    @discardableResult
    static func complete<Raw>(_ raw: UnsafeMutablePointer<Raw>?, result: Int) -> UVRequest {
        let data = UnsafeMutableRawPointer(raw.unsafelyUnwrapped).assumingMemoryBound(to: uv_req_t.self).pointee.data
        let request = Unmanaged<UVRequest>.fromOpaque(data.unsafelyUnwrapped).takeRetainedValue()
        request.result = result
        request.isDone = true
        if let onDone = request.onDone {
            request.onDone = nil
            onDone(request)
        }
        if let waiter = request.waiter {
            request.waiter = nil
            waiter.resume()
        }
        return request
    }

    /// Waits until libuv calls back and returns ``result``. Cancelling the waiting task runs
    /// `onCancel` (default: `uv_cancel`, which stops a thread-pool request that has not started; one
    /// that has runs to its end, unobserved) and throws ``CancelledError``.
    nonisolated(nonsending) func wait(
        on loop: EventLoop, _ what: @autoclosure () -> String, onCancel: (() -> Void)? = nil
    ) async throws -> Int {
        if !isDone {
            try await loop.suspend(what()) { waiter in
                self.waiter = waiter
                waiter.onCancel = onCancel ?? { [self] in
                    if !isDone { _ = uv_cancel(request) }  // UV_EBUSY: already running; it will call back
                }
            }
        }
        return result
    }

    /// The callback of every file-system request.
    static let fileCallback: uv_fs_cb = { raw in
        // Nobody may hold the request but its callback (its waiter was cancelled): keep it alive
        // until libuv's own memory in it is freed.
        withExtendedLifetime(UVRequest.complete(raw, result: raw.unsafelyUnwrapped.pointee.result)) {
            uv_fs_req_cleanup(raw)
        }
    }
}
