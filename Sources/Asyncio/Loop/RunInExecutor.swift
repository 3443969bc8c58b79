import Synchronization
#if canImport(Glibc)
import Glibc
#endif

extension EventLoop {
    /// Runs blocking `work` on a thread pool and awaits its result on the loop (asyncio's
    /// `loop.run_in_executor(executor, func)`): `executor` nil means the loop's default pool.
    ///
    /// Results and errors come back on the loop thread. Cancelling the awaiting task stops the wait
    /// at once and throws ``CancelledError``; the blocking call itself cannot be interrupted and runs
    /// to its end on its thread (its result is dropped).
    /// - Throws: ``ExecutorShutDownError`` if the pool was shut down, ``EventLoopError/closed``.
    nonisolated(nonsending) public func runInExecutor<T: Sendable>(
        _ executor: ThreadPoolExecutor? = nil, _ work: @escaping @Sendable () throws -> T
    ) async throws -> T {
        try checkUsable("runInExecutor")
        let pool = executor ?? defaultExecutor
        let result = ResultSlot<T>()
        externalWaits += 1
        defer { externalWaits -= 1 }
        var submitError: (any Error)?
        try await suspend("runInExecutor") { waiter in
            let resume: @Sendable () -> Void = { [self] in
                _ = try? callSoonThreadsafe { waiter.resume() }
            }
            do {
                try pool.submit {
                    result.store(Result { try work() })
                    resume()
                }
            } catch {
                submitError = error
                waiter.resume()
            }
        }
        if let submitError { throw submitError }
        return try result.take().get()
    }

    /// The loop's default pool (asyncio's default executor): `min(32, cores + 4)` threads, started on
    /// demand and shut down when the loop closes.
    var defaultExecutor: ThreadPoolExecutor {
        if let pool = defaultExecutorStorage { return pool }
        let pool = ThreadPoolExecutor(maxWorkers: min(32, activeProcessorCount() + 4))
        defaultExecutorStorage = pool
        return pool
    }

    /// Runs blocking `work` on the default pool in the caller's context-variable context (asyncio's
    /// `asyncio.to_thread`).
    nonisolated(nonsending) public func toThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        let context = ExecutionContext.captureIfInUse().map(UncheckedBox.init)
        return try await runInExecutor(nil) {
            guard let context else { return try work() }
            return try ExecutionContext.$callbackContext.withValue(context.value) { try work() }
        }
    }
}

/// ``EventLoop/toThread(_:)`` on the running loop.
nonisolated(nonsending) public func toThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await EventLoop.running().toThread(work)
}

/// Hands a worker thread's result to the loop thread.
final class ResultSlot<T: Sendable>: Sendable {
    private let slot = Mutex<Result<T, any Error>?>(nil)
    func store(_ result: Result<T, any Error>) { slot.withLock { $0 = result } }
    func take() -> Result<T, any Error> {
        slot.withLock { $0.take() } ?? .failure(InvalidStateError("executor result missing"))
    }
}

func activeProcessorCount() -> Int {
    Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
}
