#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension EventLoop {
    /// Debug mode (asyncio's `loop.set_debug`), on by default when the `ASYNCIO_DEBUG` environment
    /// variable is set to a non-empty value other than `0`.
    public var debug: Bool {
        get { preconditionOnLoopThread("EventLoop.debug"); return debugEnabled }
        set { preconditionOnLoopThread("EventLoop.debug"); debugEnabled = newValue }
    }

    static var debugFromEnvironment: Bool {
        guard let raw = getenv("ASYNCIO_DEBUG") else { return false }
        let value = String(cString: raw)
        return !value.isEmpty && value != "0"
    }
}

/// Debug mode's clock for timing a step: the time the loop thread *held* — monotonic wall time
/// minus the time the OS kept the thread runnable but waiting for a CPU. Blocking (a sleep, a lock,
/// a syscall) and computing count; being preempted does not (on a busy machine a one-microsecond
/// step can wait 50 ms for its core, which is not the step's fault).
///
/// The wall time and the run-queue wait must be read at the same instant, or a preemption that falls
/// between the two reads is counted in one and not the other: read wait-then-wall it is subtracted
/// without having been timed (a slow step is hidden); read wall-then-wait it is timed without being
/// subtracted (a fast step is reported as slow). Neither order is safe, so ``read()`` reads the wait
/// on both sides of the wall clock, retrying until the two agree (then no preemption ended between
/// them and the wait at the wall reading is known exactly). Should they keep disagreeing, the
/// reading keeps both bounds, and ``heldNanoseconds(from:to:)`` uses the bound that can only make a
/// step look longer; without a wait at all it counts wall time. A slow step is never hidden.
struct StepClock {
    /// `CLOCK_MONOTONIC`, in nanoseconds.
    var wallNanoseconds: () -> UInt64 = monotonicNanoseconds
    /// The calling thread's total run-queue wait, in nanoseconds; nil where it is not reported.
    var runQueueWait: () -> UInt64? = runQueueWaitNanoseconds

    /// A wall-clock reading and the thread's total run-queue wait at that instant, known to lie in
    /// `wait` (one value when the two reads around the wall clock agreed; nil if unreadable).
    struct Reading {
        var wall: UInt64
        var wait: ClosedRange<UInt64>?
    }

    func read() -> Reading {
        guard var before = runQueueWait() else { return Reading(wall: wallNanoseconds(), wait: nil) }
        var attempts = 0
        while true {
            let wall = wallNanoseconds()
            guard let after = runQueueWait(), after >= before else { return Reading(wall: wall, wait: nil) }
            attempts += 1
            // Preempted between the reads on every attempt: all but impossible; keep both bounds.
            if after == before || attempts == 8 { return Reading(wall: wall, wait: before...after) }
            before = after
        }
    }

    /// The time the thread held between two readings: wall time less the run-queue wait, taking the
    /// least wait the bounds allow (so never less than the time really held).
    static func heldNanoseconds(from start: Reading, to end: Reading) -> UInt64 {
        guard end.wall >= start.wall else { return 0 }
        let wall = end.wall - start.wall
        guard let startWait = start.wait, let endWait = end.wait, endWait.lowerBound >= startWait.upperBound else {
            return wall
        }
        return wall - min(wall, endWait.lowerBound - startWait.upperBound)
    }
}

/// Nanoseconds the calling thread has spent ready to run but waiting for a CPU (the second field of
/// Linux's `/proc/thread-self/schedstat`), or nil where the kernel does not report it. Debug mode only:
/// it costs an open and a read.
func runQueueWaitNanoseconds() -> UInt64? {
    let fd = open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var buffer = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
    let count = withUnsafeMutableBytes(of: &buffer) { read(fd, $0.baseAddress, $0.count - 1) }
    guard count > 0 else { return nil }
    return withUnsafeBytes(of: &buffer) { raw -> UInt64? in
        // "<on-CPU ns> <run-queue wait ns> <timeslices>\n"
        let fields = raw.prefix(count).split(separator: UInt8(ascii: " "))
        guard fields.count >= 2 else { return nil }
        var value: UInt64 = 0
        for byte in fields[1] {
            guard byte >= 48 && byte <= 57 else { return nil }
            value = value &* 10 &+ UInt64(byte - 48)
        }
        return value
    }
}

extension EventLoop {
    /// In debug mode, callbacks and task steps that take at least this long are logged (asyncio's
    /// `loop.slow_callback_duration`, default 100 ms). Measured as the time the step held the loop
    /// thread: wall time less the time the OS kept the thread waiting for a CPU (from
    /// `/proc/thread-self/schedstat`), so blocking and computing count, preemption does not.
    public var slowCallbackDuration: Duration {
        get { preconditionOnLoopThread("EventLoop.slowCallbackDuration"); return slowCallbackThreshold }
        set { preconditionOnLoopThread("EventLoop.slowCallbackDuration"); slowCallbackThreshold = newValue }
    }

    /// The ready items of one iteration, observed (testing trace) and timed (debug mode).
    func runInstrumented(_ count: Int) {
        for _ in 0..<count {
            let item = ready.removeFirst()
            let step = step(of: item)
            stepObserverStorage?(step)
            guard debugEnabled else { run(item); continue }
            // The time the step held the loop thread (see `StepClock`): preemption is not the step's
            // fault, and debug mode is for finding the code that blocks or computes.
            let start = stepClock.read()
            run(item)
            let elapsed = StepClock.heldNanoseconds(from: start, to: stepClock.read())
            if elapsed >= slowCallbackThreshold.clampedNanoseconds {
                log.warning("Executing \(step.debugDescription) took \(Double(elapsed) / 1e9) seconds")
            }
        }
    }
}
