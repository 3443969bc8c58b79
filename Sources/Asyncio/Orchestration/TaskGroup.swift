/// The group handed to the body of ``EventLoop/taskGroup(_:)`` (asyncio's `TaskGroup`): start children
/// with ``createTask(name:_:)``. Loop-confined: ``createTask(name:_:)`` from another thread traps
/// naming the call. Hence `@unchecked Sendable`.
public final class LoopTaskGroup: @unchecked Sendable {
    private enum State { case open, shuttingDown, finished }

    let loop: EventLoop
    private var state = State.open
    private var children: [any AnyLoopTask] = []
    private var running = 0
    private(set) var errors: [any Error] = []
    private var allDone: LoopWaiter?
    var cancelBody: () -> Void = {}

    init(loop: EventLoop) { self.loop = loop }

    /// Starts `body` as a child task of the group.
    /// - Throws: ``TaskGroupClosedError`` once the group finished or is shutting down after a failure.
    @discardableResult
    public func createTask<T>(name: String? = nil, _ body: sending @escaping () async throws -> T) throws -> LoopTask<T> {
        loop.preconditionOnLoopThread("LoopTaskGroup.createTask")
        switch state {
        case .finished: throw TaskGroupClosedError(reason: "finished")
        case .shuttingDown: throw TaskGroupClosedError(reason: "shutting down")
        case .open: break
        }
        let task = try loop.createTask(name: name, body)
        children.append(task)
        running += 1
        task.observeCompletion { [self] failure in
            running -= 1
            if let failure, !failure.isCancellation {
                errors.append(failure)
                abort()
            }
            if running == 0 { allDone?.resume() }
        }
        return task
    }

    /// First failure: cancel every other child, then the body (asyncio's order, so the children's
    /// cancellations run first).
    func abort() {
        guard state == .open else { return }
        state = .shuttingDown
        cancelChildren()
        cancelBody()
    }

    func cancelChildren() {
        for child in children where !child.isDone { child.cancel(message: nil) }
    }

    /// Waits until every child finished, cancelling them if the waiting task is cancelled meanwhile.
    /// Returns whether the waiting task was cancelled.
    nonisolated(nonsending) func waitForChildren() async -> Bool {
        var outerCancelled = false
        while running > 0 {
            do {
                if outerCancelled {
                    try await loop.suspendIgnoringCancellation("TaskGroup") { allDone = $0 }
                } else {
                    try await loop.suspend("TaskGroup") { allDone = $0 }
                }
            } catch {
                outerCancelled = true
                cancelChildren()
            }
        }
        state = .finished
        return outerCancelled
    }
}

extension EventLoop {
    /// Runs `body` with a task group (asyncio's `async with asyncio.TaskGroup() as tg:`): `body` starts
    /// children with `group.createTask { }`, and this call returns once the body and every child are
    /// done.
    ///
    /// When a child fails, the body and the other children are cancelled, all are awaited, and every
    /// error (cancellations aside) is thrown together as an ``ExceptionGroup``: the children's errors in
    /// the order they failed, then the body's (asyncio's order). Cancelling the calling
    /// task cancels the body and the children; it throws ``CancelledError`` once they finished (or the
    /// ``ExceptionGroup`` if some failed). `body` runs as a Swift task of its own on this loop, part of
    /// the calling loop task (same ``currentTask()`` and context variables; it inherits task-locals), so
    /// that the group can cancel it without cancelling the caller for good.
    nonisolated(nonsending) public func taskGroup<T: Sendable>(
        _ body: @escaping @Sendable (LoopTaskGroup) async throws -> T
    ) async throws -> T {
        try checkUsable("taskGroup")
        let group = LoopTaskGroup(loop: self)
        // Part of the calling loop task (its executor), so that currentTask() and context variables
        // are the caller's inside the body.
        let bodyTask = Task(executorPreference: runningTask?.asTaskExecutor ?? self) { try await body(group) }
        group.cancelBody = { bodyTask.cancel() }
        var callerCancelled = false
        let outcome = await withTaskCancellationHandler {
            await bodyTask.result
        } onCancel: {
            bodyTask.cancel()
        }
        if Task.isCancelled { callerCancelled = true }
        var bodyError: (any Error)?
        if case .failure(let error) = outcome, !error.isCancellation {
            bodyError = error
            group.abort()
        }
        if callerCancelled { group.cancelChildren() }
        if await group.waitForChildren() { callerCancelled = true }
        // As asyncio: the children's errors in the order they failed, the body's last.
        let errors = group.errors + (bodyError.map { [$0] } ?? [])
        if !errors.isEmpty { throw ExceptionGroup("unhandled errors in a TaskGroup", errors) }
        if callerCancelled { throw taskCancellation() }
        return try outcome.get()
    }
}

/// ``EventLoop/taskGroup(_:)`` on the running loop.
nonisolated(nonsending) public func taskGroup<T: Sendable>(
    _ body: @escaping @Sendable (LoopTaskGroup) async throws -> T
) async throws -> T {
    try await EventLoop.running().taskGroup(body)
}
