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

// Where running code finds the loop task it belongs to: every loop task is the task executor of its
// own Swift task (`Task(executorPreference: task)`), and `async let` and task-group children inherit
// their parent's preference. So every job of a loop task, and of its children, reaches the loop through
// `LoopTask.enqueue`, which tags it with the task; the loop sets `runningTask` while it runs a tagged
// job. No task-local value is pushed per task, nor copied into each new task.

extension EventLoop {
    /// The ``CancelledError`` a wait throws because the calling task was cancelled: it carries the
    /// task's cancel message and counts as delivered (see ``TaskRecord/cancellationDelivered``).
    func taskCancellation() -> CancelledError {
        let record = runningTask
        record?.cancellationDelivered = true
        return CancelledError(message: record?.requestedCancelMessage)
    }
}

/// The non-generic face of a loop task: what its body, the loop's registry and the waits need, without a
/// dynamic cast or a generic-metadata lookup. The one internal way from an existential back to a loop
/// task (it replaced `CompletionObservable`, `SwiftTaskOwner` and `TaskRecordOwner`, three protocols
/// that each existed to get a `LoopTask` back from an `any`). Only ``LoopTask`` conforms; everything here is touched on
/// the loop thread only (no confinement checks: the callers are internal and already on it).
///
/// It refines no protocol on purpose (`Sendable` is a marker, without a witness table): a `LoopTask<T>` becomes `any TaskRecord` with a static witness
/// table, whereas a protocol with base protocols makes the runtime instantiate one per conversion
/// (`swift_getWitnessTable`, about 100 instructions, several times per task).
protocol TaskRecord: AnyObject, Sendable {
    /// The task as the public protocol.
    var asLoopTask: any AnyLoopTask { get }
    /// The name given at creation, or "Task-N".
    var name: String { get }
    /// See ``LoopTask/description``.
    var description: String { get }
    /// The message of the last cancellation request (unchecked ``AnyLoopTask/cancelMessage``).
    var requestedCancelMessage: String? { get }
    /// Whether ``LoopTask/cancel(message:)`` was called.
    var cancelRequested: Bool { get }
    /// Whether one of the task's waits threw ``CancelledError`` because of that request (asyncio: the
    /// `CancelledError` was thrown into the coroutine). A task whose cancellation was requested and
    /// that returns a value without this ends cancelled, as in asyncio.
    var cancellationDelivered: Bool { get set }
    /// What the task waits on now (unchecked ``AnyLoopTask/waitingOn``).
    var currentWait: String? { get set }
    /// The waiter of the task's own Swift task while it waits with no cancellation handler (see
    /// ``EventLoop/suspend(_:_:)``): ``LoopTask/cancel(message:)`` cancels it.
    var currentWaiter: LoopWaiter? { get set }
    /// Whether the code running now is the task's own Swift task (not a child of it, nor another Swift
    /// task of the loop that belongs to it).
    var isRunningItsOwnSwiftTask: Bool { get }
    /// Context-variable values: a copy of the creator's, or made lazily empty.
    var executionContext: ExecutionContext { get }
    /// Whether the task has not finished yet (unchecked ``AnyLoopTask/isDone``, negated).
    var isPending: Bool { get }
    /// Requests cancellation; see ``LoopTask/cancel(message:)``.
    @discardableResult func cancel(message: String?) -> Bool
    /// The task's position in its loop's registry of pending tasks, -1 once it left it.
    var pendingSlot: Int { get set }
    /// The loop's task counter when the task was created: its rank in creation order.
    var creationNumber: Int { get }
    /// Calls `callback` once done, with the error if the task failed (retrieving it).
    func observeCompletion(_ callback: @escaping ((any Error)?) -> Void)
    /// The task as the executor its jobs run on (made once: forming it looks up a witness table).
    var unownedExecutor: UnownedTaskExecutor { get }
    /// The task as a task executor, for `Task(executorPreference:)`: Swift tasks that belong to it.
    var asTaskExecutor: any TaskExecutor { get }
    /// The Swift task running the body, as the pointer its jobs have (for the testing trace).
    var swiftTaskPointer: UnsafeRawPointer? { get }
}

/// The loop task running the calling code, if any (asyncio's `current_task()`). Child tasks (`async
/// let`, task-group children) report the loop task that created them.
///
/// Elsewhere it is nil: in a callback, off the loop's thread (a bare `Task {}` runs on Swift's global
/// executor), in a Swift task created with `Task(executorPreference: loop)`, and in code that runs
/// after its loop task finished.
public func currentTask() -> (any AnyLoopTask)? {
    guard let task = EventLoop.current?.runningTask, task.isPending else { return nil }
    return task.asLoopTask
}

/// The tasks of the running loop that are not done yet, in creation order (asyncio's
/// `asyncio.all_tasks()`); see ``EventLoop/allTasks()``.
/// - Throws: ``EventLoopError/noRunningLoop`` outside a running loop (asyncio raises `RuntimeError`).
public func allTasks() throws -> [any AnyLoopTask] {
    try EventLoop.running().allTasks()
}

extension EventLoop {
    /// The loop task of this loop running the calling code, if any (asyncio's
    /// `current_task(loop)`); see the free ``currentTask()``. Nil when the calling code is not part of
    /// one of this loop's tasks.
    public func currentTask() -> (any AnyLoopTask)? {
        preconditionOnLoopThread("EventLoop.currentTask")
        guard let task = runningTask, task.isPending else { return nil }
        return task.asLoopTask
    }
}

/// Starts `body` as a task on the running loop (asyncio's `asyncio.create_task`); see
/// ``EventLoop/createTask(name:eager:_:)``.
/// - Throws: ``EventLoopError/noRunningLoop`` outside a running loop.
@discardableResult
public func createTask<T>(
    name: String? = nil, eager: Bool = false, _ body: sending @escaping () async throws -> T
) throws -> LoopTask<T> {
    try EventLoop.running().createTask(name: name, eager: eager, body)
}

/// A Swift task that runs on an event loop and is a future of its result (asyncio's `Task`).
///
/// Created by ``EventLoop/createTask(name:eager:_:)``. Await it with `try await task.value`; as in
/// asyncio, cancelling the awaiting task cancels this one too. Cancellation is Swift cancellation:
/// a request the body sees at its next suspension (as ``CancelledError``) or through
/// `Task.isCancelled`. A body that catches the error and returns normally ends *not* cancelled. Unlike
/// asyncio's `uncancel`, Swift cancellation cannot be withdrawn: later waits in that body throw again.
///
/// A loop task is one object: the task's state, its future (``future`` is the task itself) and what
/// its body finds through ``currentTask()``. The Swift task running the body holds it until the body
/// ends; the loop's registry holds it while it is pending; nothing in it points back weakly or unsafely.
///
/// It is also the `TaskExecutor` of its body: every job of the body, and of its `async let` and
/// task-group children, is enqueued here and runs on the loop thread, which is how ``currentTask()``
/// knows them. A Swift task created with `Task(executorPreference: task)` likewise runs on the loop as
/// part of `task`.
///
/// Loop-confined like ``Future``: use it from the loop thread (`@unchecked Sendable` on that basis),
/// except ``enqueue(_:)``, which any thread may call.
public final class LoopTask<Value>: Future<Value>, AnyLoopTask, TaskRecord, TaskExecutor, @unchecked Sendable {
    /// The name given at creation, if any.
    private let explicitName: String?
    /// The loop's task counter at creation ("Task-N").
    private let number: Int
    @exclusivity(unchecked) final var requestedCancelMessage: String?
    @exclusivity(unchecked) final var currentWait: String?
    @exclusivity(unchecked) final var currentWaiter: LoopWaiter?
    @exclusivity(unchecked) private var context: ExecutionContext?
    @exclusivity(unchecked) final var pendingSlot = -1
    /// The Swift task running the body, until the body ends.
    @exclusivity(unchecked) var swiftTask: Task<Void, any Error>?
    /// This task as an executor, made once (see ``TaskRecord/unownedExecutor``).
    @exclusivity(unchecked) private var executorStorage: UnownedTaskExecutor?
    // Last, in the padding after the optional above (properties are laid out in declaration order).
    @exclusivity(unchecked) final var cancelRequested = false
    @exclusivity(unchecked) final var cancellationDelivered = false

    init(loop: EventLoop, name: String?, number: Int) {
        explicitName = name
        self.number = number
        context = ExecutionContext.captureIfInUse()
        super.init(loop: loop)
    }

    deinit {
        // Here, while the name is still there: `Future`'s deinit runs after this class's properties are gone.
        if status == .error && !errorRetrieved { reportUnretrievedError(owner: "Task '\(name)'") }
    }

    /// The task's result, as a future: the task itself (a loop task is a future).
    public var future: Future<Value> { self }
    /// The task's name ("Task-N" unless given; formatted only when asked for).
    public var name: String { explicitName ?? "Task-\(number)" }
    /// The message of the last cancellation request.
    public var cancelMessage: String? { loop.preconditionOnLoopThread("LoopTask.cancelMessage"); return requestedCancelMessage }
    /// What the task waits on now, if it is suspended on the loop.
    public var waitingOn: String? { loop.preconditionOnLoopThread("LoopTask.waitingOn"); return currentWait }

    var executionContext: ExecutionContext {
        if let context { return context }
        let fresh = ExecutionContext()
        context = fresh
        return fresh
    }

    var isPending: Bool { status == .pending }
    var asLoopTask: any AnyLoopTask { self }
    var creationNumber: Int { number }
    var asTaskExecutor: any TaskExecutor { self }
    var swiftTaskPointer: UnsafeRawPointer? { swiftTask.map { unsafeBitCast($0, to: UnsafeRawPointer.self) } }

    var isRunningItsOwnSwiftTask: Bool {
        guard let swiftTask else { return false }  // not known yet (an eager first step) or ended
        return withUnsafeCurrentTask { current in
            current.map { unsafeBitCast($0, to: UnsafeRawPointer.self) } == unsafeBitCast(swiftTask, to: UnsafeRawPointer.self)
        }
    }

    var unownedExecutor: UnownedTaskExecutor {
        if let executorStorage { return executorStorage }
        let executor = UnownedTaskExecutor(ordinary: self)
        executorStorage = executor
        return executor
    }

    /// Sets ``unownedExecutor`` from the task as an existential (`executor` is this task), whose witness
    /// table is at hand: `UnownedTaskExecutor(ordinary: self)` would look it up again.
    func setUnownedExecutor(from executor: any TaskExecutor) {
        executorStorage = UnownedTaskExecutor(ordinary: executor)
    }

    /// Runs `job` (a step of this task's body or of one of its children) on the loop thread, after
    /// everything already ready. Safe from any thread: this is how Swift concurrency hands the loop the
    /// task's next step.
    public func enqueue(_ job: consuming ExecutorJob) {
        loop.enqueue(UnownedJob(job), of: self)
    }

    /// The task as the executor of its own Swift task and of its children (`TaskExecutor`).
    public func asUnownedTaskExecutor() -> UnownedTaskExecutor { unownedExecutor }

    /// Whether the task finished.
    public override var isDone: Bool { loop.preconditionOnLoopThread("LoopTask.isDone"); return status != .pending }
    /// Whether the task ended cancelled.
    public override var isCancelled: Bool { loop.preconditionOnLoopThread("LoopTask.isCancelled"); return status == .cancelled }

    /// Requests cancellation with an optional message (asyncio's `cancel(msg=)`): the task's current or
    /// next wait throws ``CancelledError`` carrying `message`. Returns false if the task is already done.
    @discardableResult
    public override func cancel(message: String? = nil) -> Bool {
        loop.preconditionOnLoopThread("LoopTask.cancel")
        guard status == .pending else { return false }
        requestedCancelMessage = message
        cancelRequested = true
        swiftTask?.cancel()  // runs the cancellation handlers of a child's or an eager first step's wait
        currentWaiter?.cancel()  // a wait of the task's own Swift task, which registers none
        return true
    }

    /// Waits for the task and returns its result, or throws its error or ``CancelledError``.
    ///
    /// Cancelling the awaiting task cancels this task, and (as in asyncio) the awaiting task resumes
    /// only once this one has finished: it sees this task's outcome — `CancelledError` if it ended
    /// cancelled, its value if it caught the cancellation and returned. ``waitDone()`` does not cancel.
    nonisolated(nonsending) public override var value: Value {
        get async throws {
            loop.preconditionOnLoopThread("LoopTask.value")
            if status == .pending {
                do {
                    try await waitUntilDone(cancellingFuture: false)
                } catch let error as CancelledError {
                    cancel(message: error.message)
                    if status == .pending { try await waitDoneIgnoringCancellation() }
                }
            }
            return try uncheckedResult()
        }
    }

    /// Waits until the task is done without cancelling it if the waiting task is cancelled.
    nonisolated(nonsending) public override func waitDone() async throws {
        loop.preconditionOnLoopThread("LoopTask.waitDone")
        if status == .pending { try await waitUntilDone(cancellingFuture: false) }
    }

    /// The result (asyncio's `result()`); see ``Future/result()``.
    public override func result() throws -> Value {
        loop.preconditionOnLoopThread("LoopTask.result")
        return try uncheckedResult()
    }

    /// The error, or nil (asyncio's `exception()`); see ``Future/error()``.
    public override func error() throws -> (any Error)? {
        loop.preconditionOnLoopThread("LoopTask.error")
        return try uncheckedError()
    }

    /// A task's result comes from its body: throws ``InvalidStateError`` (asyncio's `Task.set_result`
    /// raises too).
    public override func setResult(_ value: Value) throws {
        loop.preconditionOnLoopThread("LoopTask.setResult")
        throw InvalidStateError("a task's result comes from its body: it does not support setResult")
    }

    /// A task's error comes from its body: throws ``InvalidStateError``.
    public override func setError(_ error: any Error) throws {
        loop.preconditionOnLoopThread("LoopTask.setError")
        throw InvalidStateError("a task's error comes from its body: it does not support setError")
    }

    /// Adds a done callback, given this task; see ``Future/addDoneCallback(_:)``.
    @discardableResult
    public override func addDoneCallback(_ callback: @escaping (LoopTask<Value>) -> Void) -> Int {
        loop.preconditionOnLoopThread("LoopTask.addDoneCallback")
        let context = ExecutionContext.captureIfInUse()
        return onDone { done in
            ExecutionContext.run(in: context) { callback(unsafeDowncast(done, to: LoopTask<Value>.self)) }
        }
    }

    /// Removes a done callback; see ``Future/removeDoneCallback(_:)``.
    @discardableResult
    public override func removeDoneCallback(_ id: Int) -> Bool {
        loop.preconditionOnLoopThread("LoopTask.removeDoneCallback")
        return uncheckedRemoveDoneCallback(id)
    }

    func observeCompletion(_ callback: @escaping ((any Error)?) -> Void) {
        onDone { done in callback(unsafeDowncast(done, to: LoopTask<Value>.self).failure) }
    }

    /// The task's whole life, as the operation of its Swift task: a task cancelled before its first
    /// step never runs its body (asyncio). (The body is not stored in the task: an optional of a
    /// generic closure type would cost a metadata lookup to clear; the operation's closure holds it.)
    nonisolated(nonsending) func run(_ body: () async throws -> Value) async {
        if cancelRequested { return finish(error: CancelledError(message: requestedCancelMessage)) }
        do { finish(value: try await body()) } catch { finish(error: error) }
    }

    fileprivate func finish(value: Value) {
        if cancelRequested && !cancellationDelivered {
            // Cancelled, and no wait threw it since: asyncio ends such a task cancelled.
            complete(cancelled: requestedCancelMessage)
        } else {
            complete(value: value)
        }
        finished()
    }

    fileprivate func finish(error: any Error) {
        switch error {
        case let error as CancelledError: complete(cancelled: error.message ?? requestedCancelMessage)
        case is CancellationError: complete(cancelled: requestedCancelMessage)
        default: complete(error: error)
        }
        finished()
    }

    /// Forgets the Swift task (so its memory goes as soon as it ends, not with this object) and
    /// leaves the loop's registry.
    private func finished() {
        swiftTask = nil
        loop.unregisterPending(self)
    }

    /// Safe from any thread: the state is shown only on the loop's thread.
    public override var description: String {
        guard loop.isOnLoopThread else { return "LoopTask('\(name)')" }
        let state: String
        switch status {
        case .pending: state = currentWait.map { "pending, waiting on \($0)" } ?? "pending"
        case .result: state = "finished"
        case .error: state = "failed: \(peekError.map { "\($0)" } ?? "")"
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
        let (task, executor) = try newTask(T.self, name: name)
        // The task is its own Swift task's executor (see ``runningTask``). The operation is a throwing
        // closure, the type `Task` stores (a non-throwing one would be wrapped in a thunk, one more
        // allocation), written out in each branch so that it is emitted with the abstraction `Task`
        // expects (no reabstraction thunk, whose async frame would sit in the task allocator's first slab).
        if eager {
            // The first step runs here, synchronously, as a step of `task`.
            let creator = runningTask
            runningTask = task
            defer { runningTask = creator }
            task.swiftTask = Task.immediate(name: name, executorPreference: executor) { () async throws in
                await task.run(body)
            }
        } else {
            task.swiftTask = Task(name: name, executorPreference: executor) { () async throws in
                await task.run(body)
            }
        }
        if task.status != .pending { task.swiftTask = nil }  // an eager body that never suspended
        return task
    }

    /// A new pending task of this loop, and the task as an executor (one witness-table lookup — LoopTask
    /// is generic — shared by the Swift task's preference and the executor the loop runs its jobs on).
    @inline(__always)
    private func newTask<T>(_: T.Type, name: String?) throws -> (LoopTask<T>, any TaskExecutor) {
        try checkUsable("createTask")
        taskCounter += 1
        let task = LoopTask<T>(loop: self, name: name, number: taskCounter)
        registerPending(task)
        let executor: any TaskExecutor = task
        task.setUnownedExecutor(from: executor)
        return (task, executor)
    }

    /// ``createTask(name:eager:_:)`` with `eager: true`, for a body that is an object's method rather than
    /// a closure (no closure context to allocate) and runs where it is called (`nonisolated(nonsending)`:
    /// no executor switch to enter it or to come back). AsyncioHTTP starts one per request; the generic
    /// function, called from another module, would also look `LoopTask<T>`'s metadata up at run time on
    /// every call.
    package func createEagerTask(_ body: any EagerTaskBody) throws -> LoopTask<Void> {
        let (task, executor) = try newTask(Void.self, name: nil)
        let creator = runningTask
        runningTask = task
        defer { runningTask = creator }
        task.swiftTask = Task.immediate(executorPreference: executor) { () async throws in
            await task.runInPlace(body)
        }
        if task.status != .pending { task.swiftTask = nil }  // a body that never suspended
        return task
    }

    /// The tasks of this loop that are not done yet, in creation order (asyncio's `all_tasks()`).
    public func allTasks() -> [any AnyLoopTask] {
        preconditionOnLoopThread("EventLoop.allTasks")
        return pendingTasksInCreationOrder().map(\.asLoopTask)
    }

    // The registry of pending tasks is an unordered array: each task knows its index (`pendingSlot`),
    // and a task that leaves is replaced by the last one (which learns its new index). Joining and
    // leaving cost a few instructions whatever the order tasks finish in — a task that stays pending
    // (a program's main task) would keep any ordered scheme from dropping the slots of the tasks
    // created after it. Creation order, wanted only by `allTasks()` and the loop's clean-up, is
    // restored there by sorting on the creation number.

    /// The pending tasks sorted by creation.
    private func pendingTasksInCreationOrder() -> [any TaskRecord] {
        pendingTasks.sorted { $0.creationNumber < $1.creationNumber }
    }

    /// Adds a pending task to the registry; the registry holds it until it leaves.
    func registerPending(_ task: any TaskRecord) {
        task.pendingSlot = pendingTasks.count
        pendingTasks.append(task)
    }

    /// Empties the registry and returns the tasks that were in it, in creation order (the loop's
    /// clean-up: they are cancelled and watched, or reported, by the caller).
    func takeAllPendingTasks() -> [any TaskRecord] {
        let taken = pendingTasksInCreationOrder()
        for task in taken { task.pendingSlot = -1 }
        pendingTasks.removeAll()
        return taken
    }

    /// Removes a task from the registry; harmless if it already left.
    func unregisterPending(_ task: any TaskRecord) {
        let slot = task.pendingSlot
        guard slot >= 0 else { return }
        task.pendingSlot = -1
        let last = pendingTasks.removeLast()
        if slot < pendingTasks.count {
            last.pendingSlot = slot
            pendingTasks[slot] = last
        }
    }
}

/// The body of a task started with ``EventLoop/createEagerTask(_:)``.
package protocol EagerTaskBody: AnyObject, Sendable {
    /// The task's work; it runs on the task's executor (the loop).
    nonisolated(nonsending) func runTask() async
}

extension LoopTask where Value == Void {
    /// ``run(_:)`` for ``EventLoop/createEagerTask(_:)``.
    nonisolated(nonsending) func runInPlace(_ body: any EagerTaskBody) async {
        if cancelRequested { return finish(error: CancelledError(message: requestedCancelMessage)) }
        await body.runTask()
        finish(value: ())
    }
}
