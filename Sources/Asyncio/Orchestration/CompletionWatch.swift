/// Watches a set of tasks finish, for `gather`, `wait` and `asCompleted`: calls `onEach` on the loop
/// thread as each one finishes (in completion order), with the task's position.
func watchCompletion(of tasks: [any AnyLoopTask], _ onEach: @escaping (Int, (any Error)?) -> Void) {
    for (index, task) in tasks.enumerated() {
        guard let observable = task as? any CompletionObservable else { continue }
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
