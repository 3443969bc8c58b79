/// What every loop task offers, whatever its result type: used by ``EventLoop/allTasks()`` and
/// ``currentTask()``.
public protocol AnyLoopTask: AnyObject, Sendable, CustomStringConvertible {
    /// The task's name.
    var name: String { get }
    /// Whether the task finished (result, error or cancelled).
    var isDone: Bool { get }
    /// Whether the task ended cancelled.
    var isCancelled: Bool { get }
    /// The message of the last ``cancel(message:)`` request, if any.
    var cancelMessage: String? { get }
    /// What the task is suspended on right now ("sleep", "Lock.acquire", "Queue.get"...), if anything.
    var waitingOn: String? { get }
    /// Requests cancellation; returns false if the task is already done.
    @discardableResult func cancel(message: String?) -> Bool
}

/// Where a running task finds the loop task it belongs to.
enum TaskContext {
    /// The record of the loop task whose body (or a child of it: `async let`, task-group children)
    /// is running.
    @TaskLocal static var current: TaskRecord?

    /// The ``CancelledError`` a wait throws because the calling task was cancelled: it carries the
    /// task's cancel message and counts as delivered (see ``TaskRecord/cancellationDelivered``).
    static func cancellation() -> CancelledError {
        let record = current
        record?.cancellationDelivered = true
        return CancelledError(message: record?.cancelMessage)
    }
}

/// The non-generic state of a loop task, reachable from its body through ``TaskContext`` without a
/// dynamic cast. Loop-confined, hence `@unchecked Sendable`.
///
/// Ownership: the task holds its future and its record; the future holds the record (to name the
/// task in reports); the record holds the task only while it is pending (``registered``, the loop's
/// registry), so a finished task and its future can be freed in any order, and code that outlives the
/// task (a `Task {}` that inherited ``TaskContext``, a future kept after its task was dropped) reads
/// only the record, never a freed task.
final class TaskRecord: @unchecked Sendable {
    /// The name given at creation, if any.
    let explicitName: String?
    /// The loop's task counter at creation ("Task-N").
    let number: Int
    @exclusivity(unchecked) var cancelMessage: String?
    /// Whether ``LoopTask/cancel(message:)`` was called.
    @exclusivity(unchecked) var cancelRequested = false
    /// Whether one of the task's waits threw ``CancelledError`` because of that request (asyncio: the
    /// `CancelledError` was thrown into the coroutine). A task whose cancellation was requested and
    /// that returns a value without this ends cancelled, as in asyncio.
    @exclusivity(unchecked) var cancellationDelivered = false
    @exclusivity(unchecked) var waitingOn: String?
    /// Context-variable values: a copy of the creator's, or made lazily empty.
    @exclusivity(unchecked) var context: ExecutionContext?

    /// While the task is pending: the task, held by the loop's registry, and its neighbours there.
    @exclusivity(unchecked) var registered: (any AnyLoopTask)?
    @exclusivity(unchecked) var nextPending: TaskRecord?
    /// Invariant that makes `unowned(unsafe)` safe here: `previousPending` is non-nil only while this
    /// record is in the loop's pending list, and then it names the record before it, which the list
    /// holds strongly (through its own predecessor's `nextPending`, or the loop's `firstPendingTask`).
    /// `unregister` clears it, and fixes the neighbours, before a record leaves the list; it is read
    /// only by `register`/`unregister` on the loop thread. (A weak reference would cost a side-table
    /// allocation per task.)
    @exclusivity(unchecked) unowned(unsafe) var previousPending: TaskRecord?

    init(name: String?, number: Int, context: ExecutionContext?) {
        explicitName = name
        self.number = number
        self.context = context
    }

    /// The task's name ("Task-N" unless given; formatted only when asked for).
    var name: String { explicitName ?? "Task-\(number)" }

    var executionContext: ExecutionContext {
        if let context { return context }
        let fresh = ExecutionContext()
        context = fresh
        return fresh
    }
}

/// The loop task running the calling code, if any (asyncio's `current_task()`). Child tasks (`async
/// let`, task-group children) report the loop task that created them.
///
/// Code that outlives its loop task (a bare `Task {}` inherits task-locals, so it may still run after
/// the loop task finished) gets nil.
public func currentTask() -> (any AnyLoopTask)? { TaskContext.current?.registered }

/// Starts `body` as a task on the running loop (asyncio's `asyncio.create_task`); see
/// ``EventLoop/createTask(name:eager:_:)``.
/// - Throws: ``EventLoopError/noRunningLoop`` outside a running loop.
@discardableResult
public func createTask<T>(
    name: String? = nil, eager: Bool = false, _ body: sending @escaping () async throws -> T
) throws -> LoopTask<T> {
    try EventLoop.running().createTask(name: name, eager: eager, body)
}

/// A Swift task that runs on an event loop and has a future's API (asyncio's `Task`).
///
/// Created by ``EventLoop/createTask(name:eager:_:)``. Await it with `try await task.value`; as in
/// asyncio, cancelling the awaiting task cancels this one too. Cancellation is Swift cancellation:
/// a request the body sees at its next suspension (as ``CancelledError``) or through
/// `Task.isCancelled`. A body that catches the error and returns normally ends *not* cancelled. Unlike
/// asyncio's `uncancel`, Swift cancellation cannot be withdrawn: later waits in that body throw again.
///
/// Loop-confined like ``Future``: use it from the loop thread (`@unchecked Sendable` on that basis).
public final class LoopTask<Value>: AnyLoopTask, @unchecked Sendable {
    /// The task's result, as a future.
    public let future: Future<Value>
    /// The task's name ("Task-N" unless given; formatted only when asked for).
    public var name: String { record.name }
    /// The loop the task runs on.
    public var loop: EventLoop { future.loop }
    /// The message of the last cancellation request.
    public var cancelMessage: String? { loop.preconditionOnLoopThread("LoopTask.cancelMessage"); return record.cancelMessage }
    /// What the task waits on now, if it is suspended on the loop.
    public var waitingOn: String? { loop.preconditionOnLoopThread("LoopTask.waitingOn"); return record.waitingOn }
    var swiftTask: Task<Void, Never>?
    let record: TaskRecord

    init(loop: EventLoop, name: String?, number: Int) {
        future = Future(loop: loop)
        record = TaskRecord(name: name, number: number, context: ExecutionContext.captureIfInUse())
        future.owner = record
    }

    /// Whether the task finished.
    public var isDone: Bool { loop.preconditionOnLoopThread("LoopTask.isDone"); return future.status != .pending }
    /// Whether the task ended cancelled.
    public var isCancelled: Bool { loop.preconditionOnLoopThread("LoopTask.isCancelled"); return future.status == .cancelled }

    /// Requests cancellation with an optional message (asyncio's `cancel(msg=)`): the task's current or
    /// next wait throws ``CancelledError`` carrying `message`. Returns false if the task is already done.
    @discardableResult
    public func cancel(message: String? = nil) -> Bool {
        loop.preconditionOnLoopThread("LoopTask.cancel")
        guard future.status == .pending else { return false }
        record.cancelMessage = message
        record.cancelRequested = true
        swiftTask?.cancel()
        return true
    }

    /// Waits for the task and returns its result, or throws its error or ``CancelledError``.
    ///
    /// Cancelling the awaiting task cancels this task, and (as in asyncio) the awaiting task resumes
    /// only once this one has finished: it sees this task's outcome — `CancelledError` if it ended
    /// cancelled, its value if it caught the cancellation and returned. ``waitDone()`` does not cancel.
    nonisolated(nonsending) public var value: Value {
        get async throws {
            loop.preconditionOnLoopThread("LoopTask.value")
            if future.status == .pending {
                do {
                    try await future.waitDone()
                } catch let error as CancelledError {
                    cancel(message: error.message)
                    if !future.isDone { try await future.waitDoneIgnoringCancellation() }
                }
            }
            return try future.result()
        }
    }

    /// Waits until the task is done without cancelling it if the waiting task is cancelled.
    nonisolated(nonsending) public func waitDone() async throws {
        loop.preconditionOnLoopThread("LoopTask.waitDone")
        try await future.waitDone()
    }

    /// The result (asyncio's `result()`); see ``Future/result()``.
    public func result() throws -> Value {
        loop.preconditionOnLoopThread("LoopTask.result")
        return try future.result()
    }

    /// The error, or nil (asyncio's `exception()`); see ``Future/error()``.
    public func error() throws -> (any Error)? {
        loop.preconditionOnLoopThread("LoopTask.error")
        return try future.error()
    }

    /// Adds a done callback, given this task; see ``Future/addDoneCallback(_:)``.
    @discardableResult
    public func addDoneCallback(_ callback: @escaping (LoopTask<Value>) -> Void) -> Int {
        loop.preconditionOnLoopThread("LoopTask.addDoneCallback")
        // Holds the task until the callback has run (the future drops its callbacks when done).
        return future.addDoneCallback { _ in callback(self) }
    }

    /// Removes a done callback; see ``Future/removeDoneCallback(_:)``.
    @discardableResult
    public func removeDoneCallback(_ id: Int) -> Bool {
        loop.preconditionOnLoopThread("LoopTask.removeDoneCallback")
        return future.removeDoneCallback(id)
    }

    func finish(value: Value) {
        if record.cancelRequested && !record.cancellationDelivered {
            // Cancelled, and no wait threw it since: asyncio ends such a task cancelled.
            future.complete(cancelled: cancelMessage)
        } else {
            future.complete(value: value)
        }
        finished()
    }

    /// A task cancelled before its first step never runs its body (asyncio).
    var cancelledBeforeStart: Bool { record.cancelRequested }

    func finish(error: any Error) {
        switch error {
        case let error as CancelledError: future.complete(cancelled: error.message ?? cancelMessage)
        case is CancellationError: future.complete(cancelled: cancelMessage)
        default: future.complete(error: error)
        }
        finished()
    }

    /// Forgets the Swift task (so its memory goes as soon as it ends, not with this object) and
    /// leaves the loop's registry.
    private func finished() {
        swiftTask = nil
        loop.unregister(record)
    }

    /// Safe from any thread: the state is shown only on the loop's thread.
    public var description: String {
        guard loop.isOnLoopThread else { return "LoopTask('\(name)')" }
        let state: String
        switch future.status {
        case .pending: state = record.waitingOn.map { "pending, waiting on \($0)" } ?? "pending"
        case .result: state = "finished"
        case .error: state = "failed: \(future.peekError.map { "\($0)" } ?? "")"
        case .cancelled: state = "cancelled"
        }
        return "LoopTask('\(name)', \(state))"
    }
}

extension EventLoop {
    /// Starts `body` as a task on this loop (asyncio's `create_task`). Its first step runs on the next
    /// iteration; with `eager: true` it starts synchronously, now, up to its first suspension (asyncio's
    /// eager task factory). Every step of the task, and of its `async let` and task-group children,
    /// runs on the loop thread.
    /// - Throws: ``EventLoopError/closed``. Off the loop thread it traps.
    @discardableResult
    public func createTask<T>(
        name: String? = nil, eager: Bool = false, _ body: sending @escaping () async throws -> T
    ) throws -> LoopTask<T> {
        try checkUsable("createTask")
        taskCounter += 1
        let task = LoopTask<T>(loop: self, name: name, number: taskCounter)
        register(task.record, task)
        // The operation is written out in each branch (not stored in a `let`) so that it is emitted
        // with the abstraction `Task` expects: no reabstraction thunks, whose async frames would push a
        // waiting task's frames past the task allocator's first slab (about 1 KiB more per task).
        if eager {
            task.swiftTask = Task.immediate(name: name, executorPreference: self) {
                await TaskContext.$current.withValue(task.record) {
                    if task.cancelledBeforeStart { return task.finish(error: CancelledError(message: task.cancelMessage)) }
                    do { task.finish(value: try await body()) } catch { task.finish(error: error) }
                }
            }
        } else {
            task.swiftTask = Task(name: name, executorPreference: self) {
                await TaskContext.$current.withValue(task.record) {
                    if task.cancelledBeforeStart { return task.finish(error: CancelledError(message: task.cancelMessage)) }
                    do { task.finish(value: try await body()) } catch { task.finish(error: error) }
                }
            }
        }
        if task.isDone { task.swiftTask = nil }  // an eager body that never suspended
        return task
    }

    /// The tasks of this loop that are not done yet, in creation order (asyncio's `all_tasks()`).
    public func allTasks() -> [any AnyLoopTask] {
        preconditionOnLoopThread("EventLoop.allTasks")
        var all: [any AnyLoopTask] = []
        var record = firstPendingTask
        while let current = record {
            if let task = current.registered { all.append(task) }
            record = current.nextPending
        }
        return all
    }

    /// Adds a pending task to the registry (at the end); the registry holds it until it leaves.
    func register(_ record: TaskRecord, _ task: any AnyLoopTask) {
        record.registered = task
        record.previousPending = lastPendingTask
        if let last = lastPendingTask { last.nextPending = record } else { firstPendingTask = record }
        lastPendingTask = record
    }

    /// Empties the registry and returns the tasks that were in it, in creation order (the loop's
    /// clean-up: they are cancelled and watched, or reported, by the caller).
    func takeAllPendingTasks() -> [any AnyLoopTask] {
        var taken: [any AnyLoopTask] = []
        while let record = firstPendingTask {
            if let task = record.registered { taken.append(task) }
            unregister(record)
        }
        return taken
    }

    /// Removes a task from the registry; harmless if it already left.
    func unregister(_ record: TaskRecord) {
        guard record.registered != nil else { return }
        let next = record.nextPending
        if let previous = record.previousPending { previous.nextPending = next } else { firstPendingTask = next }
        if let next { next.previousPending = record.previousPending } else { lastPendingTask = record.previousPending }
        record.nextPending = nil
        record.previousPending = nil
        record.registered = nil
    }
}
