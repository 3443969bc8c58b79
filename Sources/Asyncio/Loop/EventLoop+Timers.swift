extension EventLoop {
    // MARK: - Time

    /// The loop's current time in seconds: monotonic, with nanosecond resolution (asyncio's `loop.time()`).
    public func time() -> Double { Double(nowNanoseconds) / 1e9 }

    /// The loop's current time in nanoseconds.
    @inline(__always)
    var nowNanoseconds: UInt64 {
        timeSource == .monotonic ? monotonicNanoseconds() : virtualNow
    }

    /// The loop's time as a Swift `Clock`, for `Task.sleep(for:clock:)` and clock-taking libraries.
    public var clock: LoopClock { LoopClock(loop: self) }

    // MARK: - Timers

    /// Schedules `callback` to run once `delay` has passed on the loop's clock (asyncio's `call_later`).
    /// Timers never fire early against ``time()``; equal deadlines fire in scheduling order. A negative
    /// delay is a deadline in the past: the timer is due at once, and overdue timers still fire in
    /// deadline order (`callLater(-1, a)` then `callLater(-2, b)` runs `b` first, as asyncio).
    @discardableResult
    public func callLater(_ delay: Duration, _ callback: @escaping () throws -> Void) throws -> TimerHandle {
        try checkUsable("callLater")
        return scheduleTimer(at: deadline(after: delay.signedNanoseconds), ExecutionContext.bind(callback))
    }

    /// Schedules `callback` to run once `seconds` have passed (asyncio's `call_later(delay, cb)`).
    ///
    /// Deprecated: every duration in the API is a `Duration`; write `callLater(.seconds(x)) { }`.
    @available(*, deprecated, message: "every duration is a Duration: use callLater(.seconds(x)) { }")
    @discardableResult
    public func callLater(_ seconds: Double, _ callback: @escaping () throws -> Void) throws -> TimerHandle {
        try checkUsable("callLater")
        return scheduleTimer(at: deadline(after: signedNanoseconds(fromSeconds: seconds)), ExecutionContext.bind(callback))
    }

    /// Schedules `callback` at `when`, in seconds of ``time()`` (asyncio's `call_at`); a moment in the
    /// past is due at once, ordered by `when` with other overdue timers.
    @discardableResult
    public func callAt(_ when: Double, _ callback: @escaping () throws -> Void) throws -> TimerHandle {
        try checkUsable("callAt")
        return scheduleTimer(at: signedNanoseconds(fromSeconds: when), ExecutionContext.bind(callback))
    }

    /// Schedules `callback` at `instant` of the loop's ``clock``.
    @discardableResult
    public func callAt(_ instant: LoopClock.Instant, _ callback: @escaping () throws -> Void) throws -> TimerHandle {
        try checkUsable("callAt")
        return scheduleTimer(at: Int64(clamping: instant.nanoseconds), ExecutionContext.bind(callback))
    }

    /// Loop-thread fast path for timers: no checks. `deadline` is in signed nanoseconds of the clock.
    func scheduleTimer(at deadline: Int64, _ callback: @escaping () throws -> Void) -> TimerHandle {
        nextTimerSequence &+= 1
        let handle = TimerHandle(loop: self, deadline: deadline, sequence: nextTimerSequence, body: callback)
        timers.insert(TimerEntry(deadline: deadline, sequence: nextTimerSequence, handle: handle))
        return handle
    }

    /// Counts a cancelled timer still in the heap; compacts the heap when they are the majority, so
    /// cancelling is O(1) amortized and never scans.
    func timerWasCancelled() {
        cancelledTimers += 1
        if timers.count > 256 && cancelledTimers * 2 > timers.count {
            timers.removeAll { $0.handle.cancelled }
            cancelledTimers = 0
        }
    }

    /// The deadline of the earliest live timer, dropping cancelled ones from the top.
    func nextTimerDeadline() -> Int64? {
        while let deadline = timers.minDeadline {
            if !timers.minIsCancelled { return deadline }
            _ = timers.removeMin()
            cancelledTimers -= 1
        }
        return nil
    }
}
