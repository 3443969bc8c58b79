/// Watches a set of tasks finish, for `gather`, `wait` and `asCompleted`: calls `onEach` on the loop
/// thread as each one finishes (in completion order), with the task's position.
func watchCompletion(of tasks: [any AnyLoopTask], _ onEach: @escaping (Int, (any Error)?) -> Void) {
    for (index, task) in tasks.enumerated() {
        guard let observable = task as? any CompletionObservable else { continue }
        observable.observeCompletion { failure in onEach(index, failure) }
    }
}

extension EventLoop {
    /// Waits (cancellably) until `isComplete` is true, re-checking each time one of `tasks` finishes;
    /// if the waiting task is cancelled, `onCancel` runs first.
    nonisolated(nonsending) func waitForTasks(
        _ tasks: [any AnyLoopTask], _ what: String, until isComplete: @escaping (_ failure: (any Error)?) -> Bool,
        onCancel: @escaping () -> Void = {}
    ) async throws {
        try await suspend(what) { waiter in
            watchCompletion(of: tasks) { _, failure in
                if isComplete(failure) { waiter.resume() }
            }
            waiter.onCancel = onCancel
        }
    }
}
