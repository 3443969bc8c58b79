/// One task suspended on something loop-confined (a future, a timer, a lock, a queue...).
///
/// The primitive that suspends registers the waiter and later calls ``resume()`` or
/// ``fail(_:)``, once. If the task is cancelled first, the waiter's ``onCancel`` runs on the loop
/// thread, so the primitive can forget the waiter (or hand on what it was about to get) before the
/// task resumes with ``CancelledError``. Loop-confined: every member is touched on the loop thread
/// only (cancellation from other threads is forwarded through the inbox), hence `@unchecked Sendable`.
final class LoopWaiter: @unchecked Sendable {
    /// The loop task that waits, if any: its cancel message becomes the ``CancelledError``'s.
    let task: (any TaskRecord)?
    private var continuation: UnsafeContinuation<Void, any Error>?
    private var cancelledBeforeSuspending = false
    /// Whether the waiter was already resumed (granted, failed or cancelled).
    private(set) var isFinished = false
    /// Called on the loop thread when the waiting task is cancelled while still waiting, before it resumes.
    var onCancel: (() -> Void)?
    /// The same, for the two commonest waits (a wait list, a future): the object told, without a closure
    /// to allocate per wait. Held until the waiter finishes.
    var cancelTarget: (any WaiterCancellationTarget)?
    /// For a future's wait: whether a cancellation of the waiting task cancels the future too.
    var cancelsTarget = false

    init(task: (any TaskRecord)?) { self.task = task }

    /// The task's cancel message when its cancellation woke this waiter; later requests before the
    /// task runs do not replace it (asyncio: the first `cancel(msg)` cancels the awaited future with
    /// its message, a second one finds that future done).
    private var messageAtCancellation: String??

    /// The message the waiting task was cancelled with.
    var cancelMessage: String? { messageAtCancellation ?? task?.requestedCancelMessage }

    /// Resumes the task normally. Returns false if it had already been resumed.
    @discardableResult
    func resume() -> Bool {
        guard !isFinished, let continuation else { return false }
        isFinished = true
        onCancel = nil
        cancelTarget = nil
        self.continuation = nil
        continuation.resume()
        return true
    }

    /// Resumes the task by throwing `error`. Returns false if it had already been resumed.
    @discardableResult
    func fail(_ error: any Error) -> Bool {
        guard !isFinished, let continuation else { return false }
        isFinished = true
        onCancel = nil
        cancelTarget = nil
        self.continuation = nil
        continuation.resume(throwing: error)
        return true
    }

    /// The task was cancelled (on the loop thread).
    func cancel() {
        guard !isFinished else { return }
        messageAtCancellation = .some(task?.requestedCancelMessage)
        guard continuation != nil else { cancelledBeforeSuspending = true; return }
        let handler = onCancel
        onCancel = nil
        handler?()
        if let target = cancelTarget {
            cancelTarget = nil
            target.waiterWasCancelled(self)
        }
        fail(CancelledByTask())
    }

    fileprivate func install(_ continuation: UnsafeContinuation<Void, any Error>) -> Bool {
        if cancelledBeforeSuspending { continuation.resume(throwing: CancelledByTask()); return false }
        self.continuation = continuation
        return true
    }
}

/// What a waiter tells when its task is cancelled while it waits (see ``LoopWaiter/cancelTarget``).
/// No base protocol: a generic conformer (`Future<Value>`) gets a static witness table.
protocol WaiterCancellationTarget: AnyObject {
    /// `waiter`'s task was cancelled while it waited, on the loop thread, before it resumes.
    func waiterWasCancelled(_ waiter: LoopWaiter)
}

/// Internal marker: the waiting task was cancelled; turned into ``CancelledError`` with the task's message
/// once the task runs again.
struct CancelledByTask: Error {}

// The waits use `_unsafeInheritExecutor_withUnsafe(Throwing)Continuation` (public, emitted into this
// module) rather than `withUnsafe(Throwing)Continuation(isolation:)`: the latter is isolated to its
// `isolation` argument, so every wait switches to the caller's isolation on the way in and again on the
// way out (two `swift_task_switch` calls, each asking the runtime for the task's preferred executor
// under a lock: about 300 instructions per wait). These functions are `nonisolated(nonsending)` and
// already run on the caller's executor, and a resumed continuation enqueues the task on that same
// executor (the loop task, the loop, or an actor whose executor is the loop), so inheriting it is exact.

extension EventLoop {
    /// Suspends the calling task (which must run on this loop) until `register`'s waiter is resumed.
    /// Cancellation of the task runs the waiter's `onCancel` on the loop thread and throws
    /// ``CancelledError`` carrying the task's cancel message.
    ///
    /// Two ways to learn of the cancellation. In a loop task's own Swift task (its body, not a child
    /// of it), only ``LoopTask/cancel(message:)`` can cancel — nothing else holds that Swift task — and
    /// it cancels the waiter it finds in ``TaskRecord/currentWaiter`` itself, on the loop thread; so no
    /// cancellation handler is registered: that saves the runtime's status-record work (a lock taken
    /// twice) and about 200 bytes of frames per wait in the task allocator's first slab. Anywhere else
    /// (children, Swift tasks of the loop, the first step of an eager task, whose Swift task is not
    /// known yet), a cancellation handler wakes the waiter.
    nonisolated(nonsending) func suspend(_ what: @autoclosure () -> String, _ register: (LoopWaiter) -> Void) async throws {
        try checkUsable(what())
        let record = runningTask
        if let record, record.isRunningItsOwnSwiftTask {
            let waiter = LoopWaiter(task: record)
            record.currentWait = what()
            record.currentWaiter = waiter
            defer { record.currentWait = nil; record.currentWaiter = nil }
            if Task.isCancelled { waiter.cancel() }  // cancelled already: the wait throws at once
            do {
                try await _unsafeInheritExecutor_withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<Void, any Error>) in
                    if waiter.install(continuation) { register(waiter) }
                }
            } catch is CancelledByTask {
                record.cancellationDelivered = true
                throw CancelledError(message: waiter.cancelMessage)
            }
            return
        }
        try await suspendWithCancellationHandler(what(), register)
    }

    /// ``suspend(_:_:)`` where a cancellation handler is needed. Not inlined into its callers: its
    /// frames would enlarge theirs in the common case too.
    @inline(never)
    nonisolated(nonsending) private func suspendWithCancellationHandler(
        _ what: @autoclosure () -> String, _ register: (LoopWaiter) -> Void
    ) async throws {
        let record = runningTask
        let waiter = LoopWaiter(task: record)
        record?.currentWait = what()
        defer { record?.currentWait = nil }
        do {
            try await withTaskCancellationHandler {
                try await _unsafeInheritExecutor_withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<Void, any Error>) in
                    if waiter.install(continuation) { register(waiter) }
                }
            } onCancel: {
                if self.isOnLoopThread {
                    waiter.cancel()
                } else {
                    _ = try? self.forwardThreadsafe { waiter.cancel() }
                }
            }
        } catch is CancelledByTask {
            record?.cancellationDelivered = true
            throw CancelledError(message: waiter.cancelMessage)
        }
    }

    /// Suspends like ``suspend(_:_:)`` but ignores cancellation of the calling task: the waiter is
    /// resumed only by whoever registered it.
    nonisolated(nonsending) func suspendIgnoringCancellation(_ what: @autoclosure () -> String, _ register: (LoopWaiter) -> Void) async throws {
        try checkUsable(what())
        let waiter = LoopWaiter(task: nil)
        try await _unsafeInheritExecutor_withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<Void, any Error>) in
            if waiter.install(continuation) { register(waiter) }
        }
    }

    /// ``suspend(_:_:)`` for waits that hold nothing once resumed (a sleep, a future): if the task was
    /// cancelled after its wake-up was scheduled but before it ran, the wait throws ``CancelledError``
    /// anyway, as asyncio delivers a cancellation to the pending step of a task.
    nonisolated(nonsending) func suspendCheckingCancellation(_ what: @autoclosure () -> String, _ register: (LoopWaiter) -> Void) async throws {
        try await suspend(what(), register)
        if Task.isCancelled { throw taskCancellation() }
    }
}
