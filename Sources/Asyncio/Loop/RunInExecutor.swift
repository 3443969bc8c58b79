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
        try await runInExecutorFuture(executor, work).value
    }

    /// Submits blocking `work` to a thread pool and returns a future for its result at once — what
    /// asyncio's `loop.run_in_executor` returns. Await it, gather many (``gather(_:)-([Future<T>])``),
    /// or add done callbacks. Cancelling the future drops the result; the call itself runs to its end.
    /// - Throws: ``ExecutorShutDownError`` if the pool was shut down, ``EventLoopError/closed``.
    ///   Off the loop thread it traps.
    public func runInExecutorFuture<T: Sendable>(
        _ executor: ThreadPoolExecutor? = nil, _ work: @escaping @Sendable () throws -> T
    ) throws -> Future<T> {
        try checkUsable("runInExecutor")
        let pool = executor ?? defaultExecutor
        let future = Future<T>(loop: self)
        // Only the loop thread touches the future: the worker hands the result over with callSoonThreadsafe.
        let confined = UncheckedBox(future)
        externalWaits += 1
        do {
            try pool.submit { [self] in
                let result = Result { try work() }
                _ = try? callSoonThreadsafe { [self] in
                    externalWaits -= 1
                    let future = confined.value
                    guard !future.isDone else { return }
                    switch result {
                    case .success(let value): future.complete(value: value)
                    case .failure(let error): future.complete(error: error)
                    }
                }
            }
        } catch {
            externalWaits -= 1
            throw error
        }
        return future
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

func activeProcessorCount() -> Int {
    Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
}
