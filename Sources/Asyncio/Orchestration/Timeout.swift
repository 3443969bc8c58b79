/// The scope of a running ``EventLoop/withTimeout(_:_:)`` / ``EventLoop/withDeadline(_:_:)`` (asyncio's `Timeout` object):
/// query or move its deadline while inside. Loop-confined: every member used from another thread traps
/// naming the call. Hence `@unchecked Sendable`.
public final class TimeoutScope: @unchecked Sendable {
    let loop: EventLoop
    private var timer: TimerHandle?
    private var onExpiry: (() -> Void)?
    private(set) var hasExpired = false
    private var currentDeadline: LoopClock.Instant?

    /// Whether the deadline passed and the body was cancelled because of it (asyncio's `expired()`).
    public var expired: Bool {
        loop.preconditionOnLoopThread("TimeoutScope.expired")
        return hasExpired
    }
    /// The deadline as an instant of the loop's clock, or nil for none (asyncio's `when()`).
    public var deadline: LoopClock.Instant? {
        loop.preconditionOnLoopThread("TimeoutScope.deadline")
        return currentDeadline
    }

    init(loop: EventLoop) { self.loop = loop }

    /// Moves the deadline (nil: no deadline), like asyncio's `reschedule(when)`. A deadline already in
    /// the past expires on the next loop iteration.
    public func reschedule(to newDeadline: LoopClock.Instant?) {
        loop.preconditionOnLoopThread("TimeoutScope.reschedule")
        precondition(!hasExpired, "cannot reschedule a timeout that already expired")
        timer?.cancel()
        timer = nil
        currentDeadline = newDeadline
        if let newDeadline {
            timer = loop.scheduleTimer(at: Int64(clamping: newDeadline.nanoseconds)) { [self] in
                hasExpired = true
                onExpiry?()
            }
        }
    }

    /// Moves the deadline to `delay` from now.
    public func reschedule(after delay: Duration) {
        loop.preconditionOnLoopThread("TimeoutScope.reschedule")
        reschedule(to: loop.clock.now.advanced(by: delay))
    }

    func arm(_ deadline: LoopClock.Instant?, onExpiry: @escaping () -> Void) {
        self.onExpiry = onExpiry
        reschedule(to: deadline)
    }

    func disarm() {
        timer?.cancel()
        timer = nil
        onExpiry = nil
    }
}

extension EventLoop {
    /// Runs `body` with a deadline `delay` from now (asyncio's `async with asyncio.timeout(delay)`);
    /// nil means no deadline (it can be set later through the scope).
    ///
    /// When the deadline passes, `body` is cancelled, awaited to its end, and ``TimeoutError`` is thrown.
    /// If `body` returns a value at the same moment, the value is returned, not lost. `body` runs as a
    /// Swift task of its own on this loop, part of the calling loop task (same ``currentTask()`` and
    /// context variables; it inherits task-locals), because a Swift task cannot be un-cancelled: the
    /// timeout cancels only that task, and the caller can go on afterwards.
    /// Cancelling the caller cancels `body` and throws ``CancelledError``.
    nonisolated(nonsending) public func withTimeout<T: Sendable>(
        _ delay: Duration?, _ body: @escaping @Sendable (TimeoutScope) async throws -> T
    ) async throws -> T {
        try checkUsable("withTimeout")
        return try await withDeadline(delay.map { clock.now.advanced(by: $0) }, body)
    }

    /// Runs `body` until `deadline` (asyncio's `asyncio.timeout_at(when)`); see ``withTimeout(_:_:)``.
    nonisolated(nonsending) public func withDeadline<T: Sendable>(
        _ deadline: LoopClock.Instant?, _ body: @escaping @Sendable (TimeoutScope) async throws -> T
    ) async throws -> T {
        try checkUsable("withDeadline")
        let scope = TimeoutScope(loop: self)
        // Part of the calling loop task (its executor), so that currentTask() and context variables
        // are the caller's inside the body.
        let child = Task(executorPreference: runningTask?.asTaskExecutor ?? self) { try await body(scope) }
        scope.arm(deadline) { child.cancel() }
        let outcome = await withTaskCancellationHandler {
            await child.result
        } onCancel: {
            child.cancel()
        }
        scope.disarm()
        switch outcome {
        case .success(let value):
            return value
        case .failure(let error) where error.isCancellation && scope.hasExpired && !Task.isCancelled:
            throw TimeoutError()
        case .failure(let error):
            throw error
        }
    }

    /// Runs `body` and returns its result, or cancels it and throws ``TimeoutError`` after `timeout`
    /// (asyncio's `wait_for(coro, timeout)`); nil waits forever. See ``withTimeout(_:_:)``. A zero or
    /// negative timeout throws ``TimeoutError`` at once and `body` never starts (asyncio 3.12+).
    nonisolated(nonsending) public func waitFor<T: Sendable>(
        timeout: Duration?, _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        try checkUsable("waitFor")
        if let timeout, timeout <= .zero {
            throw TimeoutError()
        }
        return try await withTimeout(timeout) { _ in try await body() }
    }

    /// Waits for `task` (asyncio's `wait_for(task, timeout)`): after `timeout` cancels it, waits until
    /// it has finished, and throws ``TimeoutError`` — unless it finished with a value after all (that
    /// value is returned) or with another error (that error is thrown). Cancelling the waiting task
    /// cancels `task` too, and likewise waits for it to end before throwing ``CancelledError`` (or
    /// returning the value it still produced). A zero or negative timeout does not wait: a done task
    /// gives its result, a pending one is cancelled at once (and awaited, as above).
    nonisolated(nonsending) public func waitFor<T>(_ task: LoopTask<T>, timeout: Duration?) async throws -> T {
        try checkUsable("waitFor")
        preconditionOwns(CollectionOfOne(task.loop), "waitFor")
        if let timeout, timeout <= .zero {
            if task.isDone { return try task.result() }
            task.cancel()
            return try await resultAfterTimeout(of: task)
        }
        do {
            try await withTimeout(timeout) { [self] _ in
                do {
                    try await task.waitDone()
                } catch let error as CancelledError {
                    // The timeout, or the caller's cancellation: cancel the task and wait for it to end,
                    // as asyncio's `await task` inside the timeout does. A value it still produced wins.
                    task.cancel(message: error.message)
                    if !task.isDone {
                        try await suspendIgnoringCancellation("waitFor") { waiter in
                            task.onDone { _ in waiter.resume() }
                        }
                    }
                    switch task.outcome {
                    case .success?: return
                    case .failure(let failure)? where !failure.isCancellation: throw failure
                    default: throw error
                    }
                }
            }
        } catch is TimeoutError {
            return try await resultAfterTimeout(of: task)
        }
        return try task.result()
    }

    /// Waits (ignoring cancellation) for a task the timeout cancelled; its value if it still produced
    /// one, its error if it failed otherwise, ``TimeoutError`` if it ended cancelled.
    nonisolated(nonsending) private func resultAfterTimeout<T>(of task: LoopTask<T>) async throws -> T {
        if !task.isDone {
            try await suspendIgnoringCancellation("waitFor") { waiter in
                task.onDone { _ in waiter.resume() }
            }
        }
        switch task.outcome {
        case .success(let value)?: return value
        case .failure(let error)? where !error.isCancellation: throw error
        default: throw TimeoutError()
        }
    }
}

/// ``EventLoop/withTimeout(_:_:)`` on the running loop (asyncio's `asyncio.timeout`).
nonisolated(nonsending) public func withTimeout<T: Sendable>(
    _ delay: Duration?, _ body: @escaping @Sendable (TimeoutScope) async throws -> T
) async throws -> T {
    try await EventLoop.running().withTimeout(delay, body)
}

/// ``EventLoop/withDeadline(_:_:)`` on the running loop (asyncio's `asyncio.timeout_at`).
nonisolated(nonsending) public func withDeadline<T: Sendable>(
    _ deadline: LoopClock.Instant?, _ body: @escaping @Sendable (TimeoutScope) async throws -> T
) async throws -> T {
    try await EventLoop.running().withDeadline(deadline, body)
}

/// ``EventLoop/waitFor(_:timeout:)`` on the running loop (asyncio's `asyncio.wait_for(task, timeout)`).
nonisolated(nonsending) public func waitFor<T>(_ task: LoopTask<T>, timeout: Duration?) async throws -> T {
    try await EventLoop.running().waitFor(task, timeout: timeout)
}

/// ``EventLoop/waitFor(timeout:_:)`` on the running loop (asyncio's `asyncio.wait_for`).
nonisolated(nonsending) public func waitFor<T: Sendable>(
    timeout: Duration?, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await EventLoop.running().waitFor(timeout: timeout, body)
}
