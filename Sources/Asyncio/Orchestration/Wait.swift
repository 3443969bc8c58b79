/// When ``EventLoop/wait(_:timeout:returnWhen:)`` returns (asyncio's `FIRST_COMPLETED`, ...).
public enum ReturnWhen: Sendable {
    /// As soon as any task finishes.
    case firstCompleted
    /// As soon as any task fails (not counting cancellation), or when all finished.
    case firstException
    /// When every task finished.
    case allCompleted
}

extension EventLoop {
    /// Waits for tasks until `returnWhen` is met or `timeout` passes, and returns those done and those
    /// still pending (asyncio's `wait`). It never cancels the tasks, not on timeout and not when the
    /// waiting task is cancelled.
    nonisolated(nonsending) public func wait<T>(
        _ tasks: [LoopTask<T>], timeout: Duration? = nil, returnWhen: ReturnWhen = .allCompleted
    ) async throws -> (done: [LoopTask<T>], pending: [LoopTask<T>]) {
        try checkUsable("wait")
        preconditionOwns(tasks.lazy.map(\.loop), "wait")
        func satisfied() -> Bool {
            switch returnWhen {
            case .allCompleted: return tasks.allSatisfy(\.isDone)
            case .firstCompleted: return tasks.contains(where: \.isDone)
            case .firstException:
                return tasks.allSatisfy(\.isDone) || tasks.contains { task in
                    if case .failure(let error)? = task.outcome { return !error.isCancellation }
                    return false
                }
            }
        }
        if !tasks.isEmpty && !satisfied() {
            var timer: TimerHandle?
            try await suspend("wait") { waiter in
                watchCompletion(of: tasks) { _, _ in if satisfied() { waiter.resume() } }
                if let timeout {
                    timer = scheduleTimer(at: deadline(after: timeout.signedNanoseconds)) { waiter.resume() }
                }
            }
            timer?.cancel()
        }
        return (tasks.filter(\.isDone), tasks.filter { !$0.isDone })
    }

    /// Iterates `tasks` in the order they finish (asyncio 3.13's `async for t in as_completed(...)`):
    /// each element is a finished task (read it with `result()` or `value`). With a `timeout`, `next()`
    /// throws ``TimeoutError`` once it passes with tasks still pending.
    public func asCompleted<T>(_ tasks: [LoopTask<T>], timeout: Duration? = nil) throws -> AsCompleted<T> {
        try checkUsable("asCompleted")
        preconditionOwns(tasks.lazy.map(\.loop), "asCompleted")
        let finished = Queue<LoopTask<T>>()
        watchCompletion(of: tasks) { index, _ in try? finished.putNowait(tasks[index]) }
        let deadline = timeout.map { nowNanoseconds &+ $0.clampedNanoseconds }
        return AsCompleted(loop: self, finished: finished, total: tasks.count, deadline: deadline)
    }

    /// Waits for `task` but, if the waiting task is cancelled, leaves `task` running (asyncio's
    /// `shield`): the wait throws ``CancelledError`` at once and `task` goes on.
    nonisolated(nonsending) public func shield<T>(_ task: LoopTask<T>) async throws -> T {
        try checkUsable("shield")
        preconditionOwns(CollectionOfOne(task.loop), "shield")
        try await task.waitDone()
        return try task.result()
    }

    /// Starts `operation` as a task and shields it; see ``shield(_:)``.
    nonisolated(nonsending) public func shield<T>(_ operation: sending @escaping () async throws -> T) async throws -> T {
        try checkUsable("shield")
        return try await shield(createTask(operation))
    }
}

/// ``EventLoop/wait(_:timeout:returnWhen:)`` on the running loop (asyncio's `asyncio.wait`).
nonisolated(nonsending) public func wait<T>(
    _ tasks: [LoopTask<T>], timeout: Duration? = nil, returnWhen: ReturnWhen = .allCompleted
) async throws -> (done: [LoopTask<T>], pending: [LoopTask<T>]) {
    try await EventLoop.running().wait(tasks, timeout: timeout, returnWhen: returnWhen)
}

/// ``EventLoop/asCompleted(_:timeout:)`` on the running loop (asyncio's `asyncio.as_completed`).
public func asCompleted<T>(_ tasks: [LoopTask<T>], timeout: Duration? = nil) throws -> AsCompleted<T> {
    try EventLoop.running().asCompleted(tasks, timeout: timeout)
}

/// ``EventLoop/shield(_:)-(LoopTask<T>)`` on the running loop (asyncio's `asyncio.shield`).
nonisolated(nonsending) public func shield<T>(_ task: LoopTask<T>) async throws -> T {
    try await EventLoop.running().shield(task)
}

/// ``EventLoop/shield(_:)-(()->T)`` on the running loop.
nonisolated(nonsending) public func shield<T>(_ operation: sending @escaping () async throws -> T) async throws -> T {
    try await EventLoop.running().shield(operation)
}

/// The tasks of ``EventLoop/asCompleted(_:timeout:)`` in completion order.
///
/// Loop-confined: iterate it from a task of the loop that made it; `next()` from another thread traps
/// naming the call (making an iterator touches nothing and is allowed anywhere).
public struct AsCompleted<T>: AsyncSequence, @unchecked Sendable {
    let loop: EventLoop
    let finished: Queue<LoopTask<T>>
    let total: Int
    let deadline: UInt64?

    /// The iterator for `for try await` over this sequence.
    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(sequence: self) }

    /// Yields the next finished task.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let sequence: AsCompleted<T>
        var yielded = 0

        /// The next element, or nil at the end (`AsyncIteratorProtocol`).
        nonisolated(nonsending) public mutating func next() async throws -> LoopTask<T>? {
            sequence.loop.preconditionOnLoopThread("AsCompleted.next")
            guard yielded < sequence.total else { return nil }
            let queue = sequence.finished
            let task: LoopTask<T>
            if let deadline = sequence.deadline {
                let remaining = Int64(deadline) - Int64(sequence.loop.nowNanoseconds)
                if queue.isEmpty && remaining <= 0 { throw TimeoutError() }
                task = try await sequence.loop.withTimeout(.nanoseconds(Swift.max(0, remaining))) { _ in
                    UncheckedBox(try await queue.get())
                }.value
            } else {
                task = try await queue.get()
            }
            yielded += 1
            return task
        }
    }
}

/// Carries a loop-confined value between tasks (or a task and its creator) of the same loop: both
/// sides run on the loop thread, so no concurrent access is possible.
struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
