import DequeModule

/// A FIFO of tasks waiting on a primitive (lock, semaphore, event, condition, queue, barrier).
///
/// Loop-confined, like the primitive that owns it; it checks nothing itself: the owner's entry points
/// check confinement (their ``LoopBinding``) before they touch it. A waiter cancelled while queued leaves the list; a
/// waiter woken and then cancelled before it could run calls `handOn` (the primitive gives what it
/// was granted to the next waiter, or wakes it) and throws ``CancelledError``: nothing is lost or
/// held twice (asyncio's `_wake_up_next` on cancellation).
final class WaitList {
    private var waiters = Deque<LoopWaiter>()
    /// Waiters cancelled while queued that are still in `waiters`: a cancellation only counts them
    /// (O(1), where removing from the middle would make cancelling n waiters O(n²)); they are skipped
    /// when they reach the front, and swept out when they are the majority (bounded memory).
    private var cancelledInQueue = 0

    /// Whether no task waits.
    var isEmpty: Bool { waiters.count == cancelledInQueue }
    /// How many tasks wait.
    var count: Int { waiters.count - cancelledInQueue }

    /// Suspends the calling task (on `loop`) until woken by ``wakeFirst()`` / ``wakeAll()``, or
    /// throws the error given to ``failAll(_:)``.
    nonisolated(nonsending) func wait(on loop: EventLoop, _ what: @autoclosure () -> String, handOn: () -> Void = {}) async throws {
        try await loop.suspend(what()) { waiter in
            waiters.append(waiter)
            waiter.cancelTarget = self
        }
        if Task.isCancelled {
            handOn()
            throw loop.taskCancellation()
        }
    }

    /// Counts `waiter` (being cancelled, not yet finished) as gone; sweeps the queue when most of it is gone.
    private func forgetCancelled(_ waiter: LoopWaiter) {
        cancelledInQueue += 1
        if cancelledInQueue >= 32 && cancelledInQueue * 2 > waiters.count {
            waiters.removeAll { $0.isFinished || $0 === waiter }
            cancelledInQueue = 0
        }
    }

    /// Queues a waiter that cannot be cancelled (see ``EventLoop/suspendIgnoringCancellation(_:_:)``).
    func appendUncancellable(_ waiter: LoopWaiter) {
        waiters.append(waiter)
    }

    /// Wakes the longest-waiting task; returns false if none waits.
    @discardableResult
    func wakeFirst() -> Bool {
        while let waiter = waiters.popFirst() {
            if waiter.resume() { return true }
            cancelledInQueue -= 1  // one that was cancelled while queued
        }
        return false
    }

    /// Wakes every waiting task, in FIFO order.
    func wakeAll() {
        while wakeFirst() {}
    }

    /// Makes every waiting task throw `error`.
    func failAll(_ error: any Error) {
        while let waiter = waiters.popFirst() { waiter.fail(error) }
        cancelledInQueue = 0
    }
}

extension WaitList: WaiterCancellationTarget {
    func waiterWasCancelled(_ waiter: LoopWaiter) { forgetCancelled(waiter) }
}
