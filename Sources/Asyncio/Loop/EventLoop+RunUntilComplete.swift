extension EventLoop {
    /// Runs `body` as a task and the loop until it finishes; returns its result or rethrows its error
    /// (asyncio's `run_until_complete(coro)`).
    /// - Throws: the body's error; ``EventLoopError/stoppedBeforeComplete`` if ``stop()`` ended the run
    ///   first; ``EventLoopError/closed`` / ``EventLoopError/alreadyRunning`` as ``runForever()``.
    public func runUntilComplete<T>(_ body: sending @escaping () async throws -> T) throws -> T {
        try checkRunnable()
        return try runUntilComplete(createTask(body) as Future<T>)
    }

    /// Runs the loop until `future` is done; returns its result or throws its error.
    public func runUntilComplete<T>(_ future: Future<T>) throws -> T {
        try checkRunnable()
        let id = future.addDoneCallback { [unowned self] _ in stopping = true }
        defer { future.removeDoneCallback(id) }
        try runForever()
        guard future.isDone else { throw EventLoopError.stoppedBeforeComplete }
        return try future.result()
    }

    /// Runs the loop until `task` is done; returns its result or throws its error.
    public func runUntilComplete<T>(_ task: LoopTask<T>) throws -> T {
        try runUntilComplete(task as Future<T>)
    }

    /// Checks the loop can run here and moves it to this thread (see ``adopt()``).
    private func checkRunnable() throws {
        if isClosed { throw EventLoopError.closed }
        if let other = EventLoop.current, other !== self { throw EventLoopError.anotherLoopRunning }
        try adopt()
    }

    /// Cancels every task still pending and runs the loop until they have all finished; failures other
    /// than cancellation go to the exception handler (the clean-up half of asyncio's `run`).
    public func cancelAllTasks() throws {
        try checkRunnable()
        let pending = takeAllPendingTasks()  // watched below until they end
        guard !pending.isEmpty else { return }
        for task in pending { task.cancel(message: nil) }
        let allDone = Future<Void>(loop: self)
        var remaining = pending.count
        for task in pending {
            watch(task) {
                remaining -= 1
                if remaining == 0 { try? allDone.setResult(()) }
            }
        }
        // The tasks left the registry above only so that new ones can be told apart; they are awaited here.
        try runUntilComplete(allDone)
    }

    private func watch(_ task: any TaskRecord, _ onDone: @escaping () -> Void) {
        task.observeCompletion { [unowned self] failure in
            if let failure, !failure.isCancellation {
                report(ExceptionContext(
                    message: "Unhandled error during shutdown", error: failure, source: task.description))
            }
            onDone()
        }
    }
}
