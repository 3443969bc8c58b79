@testable import Asyncio
import Logging
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Collects log messages (thread-safe).
final class CapturedLogs: Sendable {
    let messages = Mutex<[String]>([])
    var all: [String] { messages.withLock { $0 } }

    struct Handler: LogHandler {
        let sink: CapturedLogs
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            sink.messages.withLock { $0.append("\(event.level): \(event.message)") }
        }
    }

    func logger() -> Logger { Logger(label: "test") { _ in Handler(sink: self) } }
}

@Suite("Debug mode and monitoring")
struct DebugModeTests {
    /// Issue 17: a loop dropped without `close()` is a reported error (with the fix), then freed as
    /// `close()` would; a closed loop is dropped silently.
    @Test func anUnclosedLoopAtDeinitIsReportedWithTheFixAndFreed() throws {
        let logs = CapturedLogs()
        weak var dropped: EventLoop?
        do {
            let loop = try EventLoop()
            loop.logger = logs.logger()
            dropped = loop
        }
        #expect(dropped == nil)  // freed
        #expect(logs.all.count == 1)
        #expect(logs.all.first?.hasPrefix("error: EventLoop deinitialized without close()") == true)
        #expect(logs.all.first?.contains("call `try loop.close()`") == true)
        do {
            let loop = try EventLoop()
            loop.logger = logs.logger()
            try loop.close()
        }
        #expect(logs.all.count == 1)  // nothing more
    }

    @Test func slowCallbacksAndTaskStepsAreLoggedInDebugMode() async throws {
        // Which steps are reported, on a scripted clock: the slow ones take 10 ms of it, the others none
        // (on the real clock a sanitizer or a busy machine can make any step take milliseconds).
        let logs = CapturedLogs()
        try await onLoopThread { loop in
            let clock = ScriptedThreadClock()
            loop.stepClock = clock.stepClock
            loop.logger = logs.logger()
            loop.debug = true
            loop.slowCallbackDuration = .milliseconds(5)
            try loop.callSoon { clock.spend(.milliseconds(10)) }          // slow callback
            try loop.callSoon {}                                           // fast: not logged
            _ = try loop.runUntilComplete(loop.createTask(name: "blocker") { clock.spend(.milliseconds(10)) })
        }
        let warnings = logs.all.filter { $0.hasPrefix("warning: Executing") }
        #expect(warnings == [
            "warning: Executing a callback took 0.01 seconds",
            "warning: Executing a step of task 'blocker' took 0.01 seconds",
        ])
    }

    @Test(arguments: 0..<8)
    func aPreemptionAroundAStepNeitherHidesItNorMakesItSlow(preemptedAfterRead: Int) async throws {
        // The thread is preempted for 50 ms right after the given read of its run-queue wait: around
        // the first step's start or end, between a wait read and the wall-clock read, or in a retry.
        // A step that computes 10 ms is reported as 10 ms, a step that computes nothing is not reported.
        // (Read wait-then-wall, a preemption between the two hid the slow step; read wall-then-wait,
        // it made a fast step look 50 ms long.)
        for slow in [true, false] {
            let logs = CapturedLogs()
            try await onLoopThread { loop in
                let clock = ScriptedThreadClock(preemptedAfterWaitRead: preemptedAfterRead, for: .milliseconds(50))
                loop.stepClock = clock.stepClock
                loop.logger = logs.logger()
                loop.debug = true
                loop.slowCallbackDuration = .milliseconds(5)
                try loop.callSoon { if slow { clock.spend(.milliseconds(10)) } }
                try loop.callSoon { loop.stop() }
                try loop.runForever()
            }
            let warnings = logs.all.filter { $0.hasPrefix("warning: Executing") }
            #expect(warnings == (slow ? ["warning: Executing a callback took 0.01 seconds"] : []), "slow: \(slow)")
        }
    }

    @Test func aSlowStepWhoseStartReadingNeverSettlesIsStillReported() async throws {
        // Preempted after each of the first 9 wait reads -- every attempt of the step's start reading
        // (ThreadSanitizer's runtime made each /proc read block and wait for a CPU again): the wait
        // never agrees on both sides of the wall clock, the reading keeps both bounds, and the bound
        // used can only make the step look longer. (Taking the wait read before the last wall reading
        // hid this 10 ms step.)
        let logs = CapturedLogs()
        try await onLoopThread { loop in
            let clock = ScriptedThreadClock(preemptedAfterWaitReads: 0..<9, for: .milliseconds(50))
            loop.stepClock = clock.stepClock
            loop.logger = logs.logger()
            loop.debug = true
            loop.slowCallbackDuration = .milliseconds(5)
            try loop.callSoon { clock.spend(.milliseconds(10)) }
            try loop.callSoon { loop.stop() }
            try loop.runForever()
        }
        let reported = logs.all.filter { $0.hasPrefix("warning: Executing a callback took ") }
        #expect(reported.count >= 1, "\(logs.all)")
    }

    @Test func theRealStepClockCountsComputingAndBlockingInFull() async throws {
        // One-sided, so that no load can fail it: held time (wall time less run-queue wait) is at least
        // the thread's CPU time and at least the time it slept. A step computing 10 ms is reported at a
        // 5 ms threshold however busy the machine is.
        #expect(runQueueWaitNanoseconds() != nil)
        @Sendable func threadCPU() -> UInt64 {
            var now = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
            return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
        }
        let (heldComputing, cpu, heldSleeping) = try await onDedicatedThread { () -> (UInt64, UInt64, UInt64) in
            let clock = StepClock()
            let read0 = clock.read(), cpu0 = threadCPU()
            while threadCPU() - cpu0 < 10_000_000 {}
            let cpu1 = threadCPU(), read1 = clock.read()
            blockThread(microseconds: 10_000)
            let read2 = clock.read()
            return (StepClock.heldNanoseconds(from: read0, to: read1), cpu1 - cpu0, StepClock.heldNanoseconds(from: read1, to: read2))
        }
        // (1 ms of slack: the run-queue wait and CLOCK_MONOTONIC come from different kernel clocks.)
        #expect(heldComputing + 1_000_000 >= cpu)
        #expect(heldSleeping + 1_000_000 >= 10_000_000)

        let logs = CapturedLogs()
        try await onLoopThread { loop in
            loop.logger = logs.logger()
            loop.debug = true
            loop.slowCallbackDuration = .milliseconds(5)
            try loop.callSoon {  // 10 ms of this thread's own CPU time, however busy the machine is
                let start = threadCPU()
                while threadCPU() - start < 10_000_000 {}
            }
            try loop.callSoon { loop.stop() }
            try loop.runForever()
        }
        let reported = logs.all.compactMap { message -> Double? in
            guard message.hasPrefix("warning: Executing a callback took "), let seconds = message.split(separator: " ").dropLast().last else { return nil }
            return Double(seconds)
        }
        #expect(reported.contains { $0 >= 0.009 }, "\(logs.all)")
    }

    @Test func nothingIsTimedWithDebugOff() async throws {
        let logs = CapturedLogs()
        try await onLoopThread { loop in
            loop.logger = logs.logger()
            loop.debug = false
            loop.slowCallbackDuration = .nanoseconds(1)
            _ = try loop.runUntilComplete { usleep(2000) }
        }
        #expect(logs.all.isEmpty)
    }

    @Test func aTaskLeftPendingAtCloseIsReported() async throws {
        let logs = CapturedLogs()
        try await onLoopThread(timeSource: .virtual(autoJump: true)) { loop in
            loop.logger = logs.logger()
            try loop.createTask(name: "orphan") { try await loop.sleep(for: .seconds(60)) }
            try loop.runUntilComplete { try await loop.sleep(for: .seconds(1)) }
            try loop.close()
        }
        #expect(logs.all.contains { $0.contains("Task was destroyed but it is pending: LoopTask('orphan'") })
    }

    @Test func dumpShowsTasksAndWhatTheyWaitOn() async throws {
        let dump = try await onLoopThread(timeSource: .virtual(autoJump: true)) { loop -> String in
            let lock = Lock()
            try loop.runUntilComplete {
                try await lock.acquire()
                try loop.createTask(name: "sleeper") { try await loop.sleep(for: .seconds(60)) }
                try loop.createTask(name: "locker") { try await lock.acquire() }
                try await loop.sleep(for: .seconds(1))
            }
            return loop.dump()
        }
        #expect(dump.contains("sleeper: waiting on sleep"))
        #expect(dump.contains("locker: waiting on Lock.acquire"))
        #expect(dump.contains("timers: 1 live"))
        #expect(dump.contains("async (active)"))
    }

    @Test func debugModeFromTheEnvironment() async {
        // In a child process: tests run in parallel, and every loop created meanwhile reads this
        // variable, so setting it here switched other tests' loops into debug mode (and setenv
        // racing with getenv on other threads is undefined behaviour).
        await #expect(processExitsWith: .success) {
            setenv("ASYNCIO_DEBUG", "1", 1)
            let on = try EventLoop()
            setenv("ASYNCIO_DEBUG", "0", 1)
            let off = try EventLoop()
            unsetenv("ASYNCIO_DEBUG")
            let unset = try EventLoop()
            guard on.debug, !off.debug, !unset.debug else { exit(1) }
            for loop in [on, off, unset] { try loop.close() }
        }
    }
}

/// A scripted stand-in for the loop thread's clocks (wall time and run-queue wait), for debug mode's
/// `StepClock`: steps advance it explicitly, and a preemption can be injected after any wait read.
/// Loop-confined (touched only on the loop's thread).
final class ScriptedThreadClock: @unchecked Sendable {
    private var wall: UInt64 = 1_000_000_000
    private var waited: UInt64 = 0
    private var waitReads = 0
    private let preemptedAfter: Range<Int>?
    private let preemption: UInt64

    init(preemptedAfterWaitRead read: Int? = nil, for duration: Duration = .zero) {
        preemptedAfter = read.map { $0..<($0 + 1) }
        preemption = UInt64(duration.components.attoseconds / 1_000_000_000) + UInt64(duration.components.seconds) * 1_000_000_000
    }

    init(preemptedAfterWaitReads reads: Range<Int>, for duration: Duration) {
        preemptedAfter = reads
        preemption = UInt64(duration.components.attoseconds / 1_000_000_000) + UInt64(duration.components.seconds) * 1_000_000_000
    }

    /// The running step computes or blocks for `duration`.
    func spend(_ duration: Duration) {
        wall += UInt64(duration.components.attoseconds / 1_000_000_000) + UInt64(duration.components.seconds) * 1_000_000_000
    }

    var stepClock: StepClock {
        StepClock(wallNanoseconds: { self.wall }, runQueueWait: {
            let value = self.waited
            defer {
                if self.preemptedAfter?.contains(self.waitReads) == true {
                    // Preempted: time passes while the thread waits for a CPU; the kernel adds the wait
                    // to its total when the thread runs again, before its next instruction.
                    self.wall += self.preemption
                    self.waited += self.preemption
                }
                self.waitReads += 1
            }
            return value
        })
    }
}
