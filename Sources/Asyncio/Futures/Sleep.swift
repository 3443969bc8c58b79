extension EventLoop {
    /// Suspends the calling task for `duration` on a loop timer (asyncio's `sleep`). A zero or negative
    /// duration yields to the loop for exactly one iteration. Throws ``CancelledError`` if the task is
    /// cancelled; must be called from a task running on this loop.
    nonisolated(nonsending) public func sleep(for duration: Duration) async throws {
        if duration <= .zero { return try await yieldOnce() }
        let delay = duration.clampedNanoseconds
        if delay == 0 { return try await yieldOnce() }
        try await sleep(untilNanoseconds: nowNanoseconds &+ delay)
    }

    /// Suspends the calling task for `seconds` (asyncio's `sleep(delay)`); see ``sleep(for:)``.
    ///
    /// Deprecated: every duration in the API is a `Duration` (see the README's asyncio table);
    /// write `sleep(for: .seconds(x))`.
    @available(*, deprecated, message: "every duration is a Duration: use sleep(for: .seconds(x))")
    nonisolated(nonsending) public func sleep(seconds: Double) async throws {
        let delay = nanoseconds(fromSeconds: seconds)
        if delay == 0 { return try await yieldOnce() }
        try await sleep(untilNanoseconds: nowNanoseconds &+ delay)
    }

    /// Suspends the calling task until `deadline` of the loop's ``clock``.
    nonisolated(nonsending) public func sleep(until deadline: LoopClock.Instant) async throws {
        try await sleep(untilNanoseconds: deadline.nanoseconds)
    }

    nonisolated(nonsending) func sleep(untilNanoseconds deadline: UInt64) async throws {
        if deadline <= nowNanoseconds { return try await yieldOnce() }
        try await suspendCheckingCancellation("sleep") { waiter in
            let timer = scheduleTimer(at: Int64(clamping: deadline)) { waiter.resume() }
            waiter.onCancel = { timer.cancel() }
        }
    }

    /// `sleep(0)`: the task's next step goes to the back of the ready FIFO, so it runs on the next
    /// iteration after everything already ready. (`Task.yield()` is not used: on this toolchain it
    /// enqueues on the global executor and comes back through a pool thread, two iterations later.)
    /// Inlined into `sleep` (one task-allocator frame fewer per yield); the continuation inherits the
    /// executor, as the waits of LoopWaiter.swift do (see there).
    @inline(__always)
    nonisolated(nonsending) private func yieldOnce() async throws {
        try checkUsable("sleep")
        await _unsafeInheritExecutor_withUnsafeContinuation { yieldedTasks.append($0) }
        if Task.isCancelled { throw taskCancellation() }
    }
}

/// Suspends the calling task for `duration` on the running loop (asyncio's `asyncio.sleep`).
/// - Throws: ``EventLoopError/noRunningLoop`` outside a loop, ``CancelledError`` on cancellation.
nonisolated(nonsending) public func sleep(for duration: Duration) async throws {
    try await EventLoop.running().sleep(for: duration)
}

/// Suspends the calling task for `seconds` on the running loop (asyncio's `asyncio.sleep(delay)`).
///
/// Deprecated: every duration in the API is a `Duration`; write `sleep(for: .seconds(x))`.
@available(*, deprecated, message: "every duration is a Duration: use sleep(for: .seconds(x))")
nonisolated(nonsending) public func sleep(seconds: Double) async throws {
    try await EventLoop.running().sleep(for: .seconds(seconds))
}

/// Suspends the calling task until `deadline` of the running loop's clock.
nonisolated(nonsending) public func sleep(until deadline: LoopClock.Instant) async throws {
    try await EventLoop.running().sleep(until: deadline)
}
