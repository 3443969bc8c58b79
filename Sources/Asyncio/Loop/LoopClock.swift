/// A Swift `Clock` that reads the loop's time and sleeps on the loop's timers.
///
/// `Task.sleep(for: .seconds(1), clock: loop.clock)` from a task on the loop waits on a loop timer
/// (no detour through a pool thread, as `ContinuousClock` takes); on a virtual-time test loop the
/// clock is virtual too, so clock-taking libraries (swift-async-algorithms' `debounce`, `timer`) are
/// tested in virtual time. Sleeping must happen in a task running on this clock's loop.
public struct LoopClock: Clock, Sendable {
    /// A point in the loop's time (nanoseconds on its monotonic or virtual clock).
    public struct Instant: InstantProtocol, Sendable, Hashable, Comparable, CustomStringConvertible {
        /// Nanoseconds since the clock's origin.
        public var nanoseconds: UInt64

        /// An instant `nanoseconds` after the clock's origin.
        public init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }

        /// The instant as seconds, the unit of ``EventLoop/time()``.
        public var seconds: Double { Double(nanoseconds) / 1e9 }

        /// The instant `duration` later (earlier if it is negative, but never before the clock's origin).
        public func advanced(by duration: Duration) -> Instant {
            let delta = duration.signedNanoseconds  // rounded up: an instant `duration` later is never early
            if delta >= 0 { return Instant(nanoseconds: nanoseconds &+ UInt64(delta)) }
            let magnitude = UInt64(-delta)
            return Instant(nanoseconds: magnitude > nanoseconds ? 0 : nanoseconds - magnitude)
        }

        /// The time from this instant to `other`: negative if `other` is earlier.
        public func duration(to other: Instant) -> Duration {
            if other.nanoseconds >= nanoseconds { return .nanoseconds(Int64(other.nanoseconds - nanoseconds)) }
            return .nanoseconds(-Int64(nanoseconds - other.nanoseconds))
        }

        /// Whether `lhs` comes before `rhs` on the clock.
        public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

        /// A description for logs and debugging.
        public var description: String { "\(seconds)s" }
    }

    /// The loop whose time and timers this clock uses.
    public let loop: EventLoop

    /// The clock of `loop`.
    public init(loop: EventLoop) { self.loop = loop }

    /// The loop's current time (``EventLoop/time()`` as an instant). Safe from any thread.
    public var now: Instant { Instant(nanoseconds: loop.nowNanoseconds) }

    /// One nanosecond: instants are read from `CLOCK_MONOTONIC` (or the virtual clock).
    public var minimumResolution: Duration { .nanoseconds(1) }

    /// Suspends until `deadline` on a loop timer. Throws `CancelledError` if the task is cancelled.
    ///
    /// From a task running on the loop this is ``EventLoop/sleep(until:)``. From any other task (for
    /// example the internal tasks of swift-async-algorithms' `debounce`) the timer is scheduled through
    /// the loop's thread-safe inbox and the caller resumes on its own executor; on a virtual-time loop
    /// that auto-jumps, time may jump ahead before such a sleeper has registered its timer.
    public func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
        if loop.isOnLoopThread {
            try await loop.sleep(untilNanoseconds: deadline.nanoseconds)
        } else {
            try await RemoteSleep(loop: loop, deadline: deadline.nanoseconds).wait()
        }
    }
}
