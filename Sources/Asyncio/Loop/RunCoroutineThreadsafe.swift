import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The handle of work submitted to a loop from another thread (Python's `concurrent.futures.Future`
/// returned by `asyncio.run_coroutine_threadsafe`): wait for it synchronously (with a timeout), await
/// it from any async context, or cancel it. Thread-safe.
public final class ConcurrentFuture<Value: Sendable>: Sendable {
    private struct State {
        var outcome: Result<Value, any Error>?
        var continuations: [CheckedContinuation<Value, any Error>] = []
        var cancelTask: (@Sendable () -> Void)?
        var cancelRequested = false
    }
    private let state = Mutex(State())
    /// Posted once when done (a POSIX semaphore is itself thread-safe).
    private nonisolated(unsafe) let done = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)

    init() { sem_init(done, 0, 0) }
    deinit { sem_destroy(done); done.deallocate() }

    func complete(_ outcome: Result<Value, any Error>) {
        let waiting = state.withLock { s -> [CheckedContinuation<Value, any Error>]? in
            guard s.outcome == nil else { return nil }
            s.outcome = outcome
            defer { s.continuations.removeAll() }
            return s.continuations
        }
        guard let waiting else { return }
        sem_post(done)
        for continuation in waiting { continuation.resume(with: outcome) }
    }

    func attach(cancel: @escaping @Sendable () -> Void) {
        let cancelNow = state.withLock { s -> Bool in
            s.cancelTask = cancel
            return s.cancelRequested
        }
        if cancelNow { cancel() }
    }

    /// Whether the work finished (result, error or cancelled).
    public var isDone: Bool { state.withLock { $0.outcome != nil } }

    /// Blocks the calling thread until the work finishes or `timeout` passes, then returns its result
    /// or throws its error. Never call it on the loop's own thread (it would wait for itself).
    /// - Throws: ``TimeoutError`` after `timeout`; the work's error; ``CancelledError``.
    public func result(timeout: Duration? = nil) throws -> Value {
        if let timeout {
            var deadline = timespec()
            clock_gettime(CLOCK_REALTIME, &deadline)
            let total = Int(deadline.tv_nsec) + Int(timeout.clampedNanoseconds % 1_000_000_000)
            deadline.tv_sec += Int(timeout.clampedNanoseconds / 1_000_000_000) + total / 1_000_000_000
            deadline.tv_nsec = total % 1_000_000_000
            while sem_timedwait(done, &deadline) != 0 {
                if errno == ETIMEDOUT { throw TimeoutError() }
            }
        } else {
            while sem_wait(done) != 0 {}
        }
        sem_post(done)  // leave it signalled for later callers
        return try state.withLock { $0.outcome! }.get()
    }

    /// Waits asynchronously (from any executor or another loop) for the result.
    public var value: Value {
        get async throws {
            try await withCheckedThrowingContinuation { continuation in
                let ready = state.withLock { s -> Result<Value, any Error>? in
                    if let outcome = s.outcome { return outcome }
                    s.continuations.append(continuation)
                    return nil
                }
                if let ready { continuation.resume(with: ready) }
            }
        }
    }

    /// Cancels the work, safe from any thread: as Python's `concurrent.futures.Future.cancel()`, this
    /// handle ends cancelled at once (``result(timeout:)`` and ``value`` throw ``CancelledError``
    /// without waiting), and the task on the loop is cancelled through the loop's inbox. Does nothing
    /// once the work finished.
    public func cancel() {
        let cancelTask = state.withLock { s -> (@Sendable () -> Void)? in
            guard s.outcome == nil else { return nil }
            s.cancelRequested = true
            return s.cancelTask
        }
        cancelTask?()
        complete(.failure(CancelledError()))
    }
}

extension EventLoop {
    /// Submits `body` from any thread to run as a task on this loop, and returns a thread-safe handle
    /// (asyncio's `run_coroutine_threadsafe`).
    /// - Throws: ``EventLoopError/closed``.
    public func runCoroutineThreadsafe<T: Sendable>(
        _ body: @escaping @Sendable () async throws -> T
    ) throws -> ConcurrentFuture<T> {
        let handle = ConcurrentFuture<T>()
        try callSoonThreadsafe { [self] in
            let task = try createTask(body)
            task.addDoneCallback { finished in handle.complete(finished.outcome ?? .failure(CancelledError())) }
            handle.attach { [self] in _ = try? callSoonThreadsafe { task.cancel() } }
        }
        return handle
    }
}
