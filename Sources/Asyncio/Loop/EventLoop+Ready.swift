extension EventLoop {
    // MARK: - Scheduling

    /// Schedules `callback` to run on a later iteration of the loop, after every callback already
    /// scheduled (FIFO). An error it throws goes to the ``exceptionHandler``.
    /// - Throws: ``EventLoopError/closed``. Off the loop thread it traps (use ``callSoonThreadsafe(_:)``
    ///   there).
    @discardableResult
    public func callSoon(_ callback: @escaping () throws -> Void) throws -> Handle {
        try checkUsable("callSoon")
        return Handle(storage: .local(self, enqueueCallback(ExecutionContext.bind(callback))))
    }

    /// Loop-thread fast path behind `callSoon`, future callbacks and wake-ups: no checks.
    @inline(__always)
    @discardableResult
    func enqueueCallback(_ callback: consuming @escaping () throws -> Void) -> UInt64 {
        nextSequence &+= 1
        appendReady(.callback(sequence: nextSequence, body: callback))
        return nextSequence
    }

    /// Loop-thread fast path for a future's done callbacks: `body(future)` joins the FIFO, no checks.
    @inline(__always)
    func enqueueDoneCallback(_ body: @escaping (AnyObject) -> Void, for future: AnyObject) {
        appendReady(.doneCallback(future, body: body))
    }

    /// Appends to the ready FIFO from the loop thread, behind everything other threads submitted before
    /// (in the happens-before sense): those items are taken from the inbox first, and while some of them
    /// wait in the backlog (a flood larger than one iteration admits), `item` queues behind them. So a
    /// thread-safe callback takes its place when it arrives, as asyncio's `call_soon_threadsafe` appends
    /// to the ready queue at once. The common case costs one relaxed load.
    @inline(__always)
    func appendReady(_ item: consuming ReadyItem) {
        if _slowPath(inbox.mayHaveItems) {
            inbox.appendBehindArrivals(item, to: &ready)
        } else {
            ready.append(item)
        }
    }

    /// Schedules `callback` from any thread (asyncio's `call_soon_threadsafe`): it takes its place in the
    /// ready FIFO when it is submitted — at once on the loop thread; from another thread, when it
    /// arrives, ahead of anything the loop schedules afterwards — and wakes a loop blocked in its poll.
    ///
    /// Never waits. Under a flood each loop iteration admits a bounded batch of arrivals (see the
    /// README's "Threads, executors and the rules that matter"), so timers and I/O keep their latency;
    /// the rest arrive, in order, over the next iterations. With an ``inboxCapacity`` that many
    /// callbacks waiting makes the inbox full: use `callSoonThreadsafeWaitingForRoom(_:)`
    /// to wait for room instead of failing.
    /// - Throws: ``EventLoopError/closed`` once the loop is closed; ``EventLoopError/inboxFull`` when
    ///   the loop has an ``inboxCapacity`` and that many items (or producers waiting for room) are ahead.
    @discardableResult
    public func callSoonThreadsafe(_ callback: @escaping @Sendable () throws -> Void) throws -> Handle {
        let flag = SharedCancellation()
        if isRunningHere {
            appendReady(.shared(flag, body: ExecutionContext.bindSendable(callback)))
        } else {
            let item = Inbox.Item.callback(flag, ExecutionContext.bindSendable(callback))
            switch inbox.offer(item) {
            case .accepted: break
            case .closed: throw EventLoopError.closed
            case .full:
                // The loop's own thread, before it runs the loop, is never refused.
                guard isOnLoopThread else { throw EventLoopError.inboxFull }
                guard inbox.push(item) else { throw EventLoopError.closed }
            }
        }
        return Handle(storage: .shared(flag))
    }

    /// ``callSoonThreadsafe(_:)`` that waits for room in a bounded inbox: the calling thread **blocks**
    /// while ``inboxCapacity`` items sent from other threads have not yet arrived, and is released, in
    /// the order producers started waiting, as the loop takes them in. Without a capacity, and on the
    /// loop's own thread (which never waits for itself), it is ``callSoonThreadsafe(_:)``.
    ///
    /// For producer threads of your own. From async code the `async` overload is chosen, which suspends
    /// instead: never block a Swift concurrency pool thread, nor another loop's thread.
    /// - Throws: ``EventLoopError/closed`` if the loop is closed, before or while waiting (then the
    ///   callback never runs).
    @discardableResult
    public func callSoonThreadsafeWaitingForRoom(_ callback: @escaping @Sendable () throws -> Void) throws -> Handle {
        if isOnLoopThread || isRunningHere { return try forwardThreadsafe(callback) }
        let flag = SharedCancellation()
        guard inbox.pushBlocking(.callback(flag, ExecutionContext.bindSendable(callback))) else {
            throw EventLoopError.closed
        }
        return Handle(storage: .shared(flag))
    }

    /// ``callSoonThreadsafe(_:)`` that waits for room in a bounded inbox: the calling task **suspends**
    /// while ``inboxCapacity`` items sent from other threads have not yet arrived, and resumes, in the
    /// order producers started waiting, as the loop takes them in. Without a capacity, and on the loop's
    /// own thread, it does not suspend.
    /// - Throws: ``EventLoopError/closed`` if the loop is closed, before or while waiting;
    ///   ``CancelledError`` if the task is cancelled while it waits. Either way the callback never runs.
    @discardableResult
    public func callSoonThreadsafeWaitingForRoom(_ callback: @escaping @Sendable () throws -> Void) async throws -> Handle {
        if isOnLoopThread || isRunningHere { return try forwardThreadsafe(callback) }
        let flag = SharedCancellation()
        try await inbox.pushWaiting(.callback(flag, ExecutionContext.bindSendable(callback)))
        return Handle(storage: .shared(flag))
    }

    /// The loop's own cross-thread traffic (cancellations, results coming back, `stop()`): like
    /// ``callSoonThreadsafe(_:)``, but counted without being refused by an ``inboxCapacity``.
    /// - Throws: ``EventLoopError/closed`` once the loop is closed.
    @discardableResult
    func forwardThreadsafe(_ callback: @escaping @Sendable () throws -> Void) throws -> Handle {
        let flag = SharedCancellation()
        if isRunningHere {
            appendReady(.shared(flag, body: ExecutionContext.bindSendable(callback)))
        } else {
            guard inbox.push(.callback(flag, ExecutionContext.bindSendable(callback))) else { throw EventLoopError.closed }
        }
        return Handle(storage: .shared(flag))
    }

    func cancelReady(sequence: UInt64) {
        if sequence > lastRunSequence { cancelledSequences.insert(sequence) }
    }
}
