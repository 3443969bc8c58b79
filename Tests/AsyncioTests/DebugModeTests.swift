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
    @Test func slowCallbacksAndTaskStepsAreLoggedInDebugMode() async throws {
        let logs = CapturedLogs()
        try await onLoopThread { loop in
            loop.logger = logs.logger()
            loop.debug = true
            loop.slowCallbackDuration = .milliseconds(5)
            try loop.callSoon { usleep(10_000) }          // slow callback
            try loop.callSoon {}                          // fast: not logged
            _ = try loop.runUntilComplete(loop.createTask(name: "blocker") { usleep(10_000) })
        }
        let warnings = logs.all.filter { $0.hasPrefix("warning: Executing") }
        #expect(warnings.count == 2)
        #expect(warnings.first?.contains("a callback took") == true)
        #expect(warnings.last?.contains("a step of task 'blocker' took") == true)
    }

    @Test func aStepThatComputesCountsAsSlowAndRunQueueWaitIsMeasured() async throws {
        // Slow-step time is wall time less run-queue wait (preemption is not the step's fault), so
        // the wait must be readable and must not swallow time the step spent computing.
        let first = try #require(runQueueWaitNanoseconds())
        let second = try #require(runQueueWaitNanoseconds())
        #expect(second >= first)
        @Sendable func threadCPU() -> UInt64 {
            var now = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
            return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
        }
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
        let warnings = logs.all.filter { $0.hasPrefix("warning: Executing") }
        #expect(warnings.count == 1)
        #expect(warnings.first?.contains("a callback took") == true)
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
            try loop.createTask(name: "orphan") { try await loop.sleep(seconds: 60) }
            try loop.runUntilComplete { try await loop.sleep(seconds: 1) }
            try loop.close()
        }
        #expect(logs.all.contains { $0.contains("Task was destroyed but it is pending: LoopTask('orphan'") })
    }

    @Test func dumpShowsTasksAndWhatTheyWaitOn() async throws {
        let dump = try await onLoopThread(timeSource: .virtual(autoJump: true)) { loop -> String in
            let lock = Lock()
            try loop.runUntilComplete {
                try await lock.acquire()
                try loop.createTask(name: "sleeper") { try await loop.sleep(seconds: 60) }
                try loop.createTask(name: "locker") { try await lock.acquire() }
                try await loop.sleep(seconds: 1)
            }
            return loop.dump()
        }
        #expect(dump.contains("sleeper: waiting on sleep"))
        #expect(dump.contains("locker: waiting on Lock.acquire"))
        #expect(dump.contains("timers: 1 live"))
        #expect(dump.contains("async (active)"))
    }

    @Test func debugModeFromTheEnvironment() {
        setenv("ASYNCIO_DEBUG", "1", 1)
        #expect(EventLoop.debugFromEnvironment)
        setenv("ASYNCIO_DEBUG", "0", 1)
        #expect(!EventLoop.debugFromEnvironment)
        unsetenv("ASYNCIO_DEBUG")
    }
}
