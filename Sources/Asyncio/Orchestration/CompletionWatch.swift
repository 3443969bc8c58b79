/// Watches a set of tasks finish, for `gather`, `wait` and `asCompleted`: calls `onEach` on the loop
/// thread as each one finishes (in completion order), with the task's position.
func watchCompletion(of tasks: [any AnyLoopTask], _ onEach: @escaping (Int, (any Error)?) -> Void) {
    for (index, task) in tasks.enumerated() {
        guard let observable = task as? any TaskRecord else { continue }
        observable.observeCompletion { failure in onEach(index, failure) }
    }
}

extension EventLoop {
    /// Waits (cancellably) until `isComplete` is true, re-checking each time one of `tasks` finishes.
    /// If the waiting task is cancelled, `onCancel` runs first (it cancels the tasks); then, when
    /// `settledAfterCancel` is given, the wait goes on, ignoring cancellation, until it holds, before
    /// ``CancelledError`` is thrown: asyncio's gathering future ends only once a child has ended
    /// cancelled (or, with `return_exceptions`, once every child has ended).
    nonisolated(nonsending) func waitForTasks(
        _ tasks: [any AnyLoopTask], _ what: String, until isComplete: @escaping (_ failure: (any Error)?) -> Bool,
        onCancel: @escaping () -> Void = {}, settledAfterCancel: (() -> Bool)? = nil
    ) async throws {
        do {
            try await suspend(what) { waiter in
                watchCompletion(of: tasks) { _, failure in
                    if isComplete(failure) { waiter.resume() }
                }
                waiter.onCancel = onCancel
            }
        } catch let cancelled as CancelledError {
            if let settledAfterCancel, !settledAfterCancel() {
                try await suspendIgnoringCancellation(what) { waiter in
                    watchCompletion(of: tasks) { _, _ in if settledAfterCancel() { waiter.resume() } }
                }
            }
            throw cancelled
        }
    }
}

extension EventLoop {
    /// Traps, naming `what`, unless every one of `loops` (the loops of the tasks or futures given to an
    /// orchestration call) is this loop: waiting on another loop's task is a programmer error, as using
    /// a primitive bound to another loop (asyncio raises `ValueError`). One compare per task.
    @inline(__always)
    func preconditionOwns<Loops: Sequence<EventLoop>>(_ loops: Loops, _ what: @autoclosure () -> String) {
        for loop in loops where _slowPath(loop !== self) { foreignTask(what(), of: loop) }
    }

    @inline(never)
    private func foreignTask(_ what: String, of other: EventLoop) -> Never {
        preconditionFailure("\(what): a task or future given to it belongs to a different event loop (\(other)) than the one it runs on (\(self))")
    }
}
