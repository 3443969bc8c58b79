extension EventLoop {
    /// Waits for every task and returns their results in argument order (asyncio's `gather`).
    ///
    /// The first error (in completion order) is thrown as soon as it happens and the other tasks keep
    /// running, as in asyncio. Cancelling the gathering task cancels every task and throws
    /// ``CancelledError`` once one of them has ended cancelled (or all have ended), as asyncio's
    /// gathering future. Tasks that already finished are fine.
    nonisolated(nonsending) public func gather<T>(_ tasks: [LoopTask<T>]) async throws -> [T] {
        // A task is its own future: no array of futures is made.
        try await gather(futures: tasks) { for task in tasks { task.cancel() } }
    }

    /// Waits for every future and returns their results in argument order (asyncio's `gather` of
    /// futures, e.g. those of ``runInExecutorFuture(_:_:)``). The first error is thrown as soon as it
    /// happens; cancelling the gathering task cancels every future.
    nonisolated(nonsending) public func gather<T>(_ futures: [Future<T>]) async throws -> [T] {
        try await gather(futures: futures) { for future in futures { future.cancel() } }
    }

    /// The core of both: generic over the element class so that `[LoopTask<T>]` is used as it is. Plain
    /// loops over the array, no key paths, lazy maps or `map` (in this unspecialized code each of those
    /// costs a generic-metadata lookup or a coroutine-frame allocation per element).
    nonisolated(nonsending) private func gather<T, F: Future<T>>(futures: [F], onCancel: @escaping () -> Void) async throws -> [T] {
        try checkUsable("gather")
        var pending = 0
        for future in futures {
            if _slowPath(future.loop !== self) { preconditionOwns(CollectionOfOne(future.loop), "gather") }
            if future.status == .pending { pending += 1 }
        }
        if pending > 0 {
            // Every future is watched, the done ones too (their callbacks come soon): a failure already
            // there ends the gather as one arriving now would (asyncio).
            let state = GatherState(remaining: futures.count)
            do {
                try await suspend("gather") { waiter in
                    // One callback shared by every future (it is given the future): no allocation per future.
                    let onEach: (AnyObject) -> Void = { done in
                        state.remaining -= 1
                        if state.firstFailure == nil, let error = unsafeDowncast(done, to: Future<T>.self).failure {
                            state.firstFailure = error
                        }
                        if state.firstFailure != nil || state.remaining == 0 { waiter.resume() }
                    }
                    for future in futures { future.onDone(onEach) }
                    waiter.onCancel = onCancel
                }
            } catch let cancelled as CancelledError {
                // As asyncio's gathering future: cancelled, it ends once a child has ended cancelled
                // (or every child has ended), so the children's cancellation has happened first.
                let settled = {
                    futures.contains { $0.status == .cancelled } || futures.allSatisfy { $0.status != .pending }
                }
                if !settled() {
                    try await suspendIgnoringCancellation("gather") { waiter in
                        for future in futures where future.status == .pending {
                            future.onDone { _ in if settled() { waiter.resume() } }
                        }
                    }
                }
                throw cancelled
            }
            if let firstFailure = state.firstFailure { throw firstFailure }
        }
        // (Everything done before the call: the first failure in argument order is thrown here.)
        var results: [T] = []
        results.reserveCapacity(futures.count)
        for future in futures { results.append(try future.uncheckedResult()) }
        return results
    }

    /// Runs each operation as a task on this loop and gathers their results in order; see
    /// ``gather(_:)-([LoopTask<T>])``.
    nonisolated(nonsending) public func gather<T>(_ operations: [() async throws -> T]) async throws -> [T] {
        try checkUsable("gather")
        return try await gather(operations.map { try createTask(confined: UncheckedBox($0)) })
    }

    /// Runs operations of different result types as tasks and returns their results as a tuple
    /// (asyncio's `gather(a(), b(), c())`); first error thrown, the others keep running.
    nonisolated(nonsending) public func gather<each T>(
        _ operations: repeat @escaping () async throws -> each T
    ) async throws -> (repeat each T) {
        try checkUsable("gather")
        return try await gatherTasks(repeat try createTask(confined: UncheckedBox(each operations)))
    }

    /// Starts a task from an operation that, like the task, stays on this loop's thread (the caller
    /// is on it: `createTask` checks), so it needs no `Sendable` guarantee: `gather`'s operations are
    /// plain closures, as asyncio's coroutines are.
    func createTask<T>(confined operation: UncheckedBox<() async throws -> T>) throws -> LoopTask<T> {
        try createTask { try await operation.value() }
    }

    /// Waits for tasks of different result types; see ``gather(_:)-([LoopTask<T>])``.
    nonisolated(nonsending) func gatherTasks<each T>(_ tasks: repeat LoopTask<each T>) async throws -> (repeat each T) {
        var all: [any AnyLoopTask] = []
        for task in repeat each tasks { all.append(task) }
        var firstFailure: (any Error)?
        var remaining = all.count
        try await waitForTasks(all, "gather", until: { failure in
            remaining -= 1
            if let failure, firstFailure == nil { firstFailure = failure }
            return firstFailure != nil || remaining == 0
        }, onCancel: { for task in all { task.cancel(message: nil) } },
           settledAfterCancel: { all.contains(where: \.isCancelled) || all.allSatisfy(\.isDone) })
        if let firstFailure { throw firstFailure }
        return (repeat try (each tasks).result())
    }

    /// Waits for every task and returns every outcome, errors included, in argument order (asyncio's
    /// `gather(..., return_exceptions=True)`). Cancelling the gathering task cancels every task and
    /// throws ``CancelledError`` once all of them have ended.
    nonisolated(nonsending) public func gatherResults<T>(_ tasks: [LoopTask<T>]) async throws -> [Result<T, any Error>] {
        try checkUsable("gatherResults")
        preconditionOwns(tasks.lazy.map(\.loop), "gatherResults")
        if tasks.contains(where: { !$0.isDone }) {
            var remaining = tasks.count
            try await waitForTasks(tasks, "gather", until: { _ in
                remaining -= 1
                return remaining == 0
            }, onCancel: { for task in tasks { task.cancel() } }, settledAfterCancel: { tasks.allSatisfy(\.isDone) })
        }
        return tasks.map { $0.outcome ?? .failure(InvalidStateError("task not done")) }
    }

    /// Runs each operation as a task and returns every outcome in order; see ``gatherResults(_:)-([LoopTask<T>])``.
    nonisolated(nonsending) public func gatherResults<T>(
        _ operations: [() async throws -> T]
    ) async throws -> [Result<T, any Error>] {
        try checkUsable("gatherResults")
        return try await gatherResults(operations.map { try createTask(confined: UncheckedBox($0)) })
    }
}

/// ``EventLoop/gather(_:)-([LoopTask<T>])`` on the running loop.
nonisolated(nonsending) public func gather<T>(_ tasks: [LoopTask<T>]) async throws -> [T] {
    try await EventLoop.running().gather(tasks)
}

/// `EventLoop.gather(_:)` (an array of operations) on the running loop.
nonisolated(nonsending) public func gather<T>(_ operations: [() async throws -> T]) async throws -> [T] {
    let loop = try EventLoop.running()
    return try await loop.gather(operations.map { try loop.createTask(confined: UncheckedBox($0)) })
}

/// `EventLoop.gather(_:)` (operations as parameters) on the running loop.
nonisolated(nonsending) public func gather<each T>(
    _ operations: repeat @escaping () async throws -> each T
) async throws -> (repeat each T) {
    let loop = try EventLoop.running()
    return try await loop.gatherTasks(repeat try loop.createTask(confined: UncheckedBox(each operations)))
}

/// ``EventLoop/gather(_:)-([Future<T>])`` on the running loop.
nonisolated(nonsending) public func gather<T>(_ futures: [Future<T>]) async throws -> [T] {
    try await EventLoop.running().gather(futures)
}

/// ``EventLoop/gatherResults(_:)-([LoopTask<T>])`` on the running loop (asyncio's
/// `gather(..., return_exceptions=True)`).
nonisolated(nonsending) public func gatherResults<T>(_ tasks: [LoopTask<T>]) async throws -> [Result<T, any Error>] {
    try await EventLoop.running().gatherResults(tasks)
}

/// `EventLoop.gatherResults(_:)` (operations) on the running loop.
nonisolated(nonsending) public func gatherResults<T>(
    _ operations: [() async throws -> T]
) async throws -> [Result<T, any Error>] {
    try await EventLoop.running().gatherResults(operations)
}

/// The counters of one `gather` wait, shared by the callbacks of its futures (loop-confined; a class with
/// unchecked exclusivity rather than captured variables, which are boxed and checked on every access).
private final class GatherState {
    @exclusivity(unchecked) var remaining: Int
    @exclusivity(unchecked) var firstFailure: (any Error)?
    init(remaining: Int) { self.remaining = remaining }
}
