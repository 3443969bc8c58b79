import Asyncio
import AsyncioTesting
import Testing

@Suite("TestLoop: virtual time")
struct TestLoopTests {
    @Test func aThirtySecondWaitRunsInstantlyAndExactly() async throws {
        let elapsed = try await withTestLoop { test in
            try test.run {
                let start = test.now
                try await test.loop.sleep(for: .seconds(30))
                return test.now - start
            }
        }
        #expect(elapsed == .seconds(30))
    }

    @Test func autoJumpVisitsTimersInDeadlineOrderAtTheirExactTimes() async throws {
        let events = try await withTestLoop { test in
            try test.run { () async throws -> [String] in
                try await withThrowingTaskGroup(of: String.self) { group in
                    for (name, ms) in [("slow", 1500), ("fast", 250), ("mid", 1000)] {
                        group.addTask {
                            try await test.loop.sleep(for: .milliseconds(ms))
                            return "\(name)@\(test.now)"
                        }
                    }
                    var events: [String] = []
                    for try await event in group { events.append(event) }
                    return events
                }
            }
        }
        #expect(events == ["fast@0.25 seconds", "mid@1.0 seconds", "slow@1.5 seconds"])
    }

    @Test func advanceRunsWhatIsDueInDeadlineOrderThenStops() async throws {
        let (afterTwo, afterFive, now) = try await withTestLoop(autoJump: false) { test -> ([String], [String], Duration) in
            var fired: [String] = []
            try test.loop.callLater(.seconds(3)) { fired.append("3s") }
            try test.loop.callLater(.seconds(1)) { fired.append("1s") }
            try test.loop.callLater(.seconds(2)) {
                fired.append("2s")
                try test.loop.callLater(.seconds(1)) { fired.append("2s+1s") }
            }
            try test.loop.callLater(.seconds(10)) { fired.append("10s") }
            try test.advance(by: .seconds(2))
            let afterTwo = fired
            try test.advance(by: .seconds(3))
            return (afterTwo, fired, test.now)
        }
        #expect(afterTwo == ["1s", "2s"])
        #expect(afterFive == ["1s", "2s", "3s", "2s+1s"])
        #expect(now == .seconds(5))
    }

    @Test func advanceRunsTaskStepsDueOnTheWay() async throws {
        let (states, result) = try await withTestLoop(autoJump: false) { test -> ([Bool], Int) in
            let task = try test.loop.createTask { () async throws -> Int in
                try await test.loop.sleep(for: .seconds(5))
                return 42
            }
            try test.runUntilIdle()
            var states = [task.isDone]
            try test.advance(by: .milliseconds(4999))
            states.append(task.isDone)
            try test.advance(by: .milliseconds(1))
            states.append(task.isDone)
            return (states, try task.result())
        }
        #expect(states == [false, false, true])
        #expect(result == 42)
    }

    @Test func runUntilIdleDoesNotMoveTime() async throws {
        let (ran, now) = try await withTestLoop(autoJump: false) { test -> ([String], Duration) in
            var ran: [String] = []
            try test.loop.callSoon { ran.append("soon"); try test.loop.callSoon { ran.append("soon 2") } }
            try test.loop.callLater(.seconds(1)) { ran.append("later") }
            try test.runUntilIdle()
            return (ran, test.now)
        }
        #expect(ran == ["soon", "soon 2"])
        #expect(now == .zero)
    }

    @Test func sameTestSameTraceEveryRun() async throws {
        @Sendable func scenario(_ test: TestLoop) throws -> [TraceEntry] {
            try test.run {
                let loop = test.loop
                let a = try loop.createTask(name: "a") { try await loop.sleep(for: .seconds(1)) }
                let b = try loop.createTask(name: "b") { try await loop.sleep(for: .seconds(0.5)) }
                try loop.callLater(.seconds(0.75)) {}
                try await a.value
                try await b.value
            }
            return test.trace
        }
        let first = try await withTestLoop(scenario)
        let second = try await withTestLoop(scenario)
        #expect(first == second)
        #expect(first.map(\.what).contains("task 'a'"))
        #expect(first.contains { $0.what == "timer" && $0.time == .seconds(0.75) })
    }

    @Test func aLoopThatCannotProgressFailsInsteadOfHanging() async throws {
        let message = try await withTestLoop { test -> String in
            let never = Future<Int>(loop: test.loop)
            do {
                _ = try test.run { try await never.value }
                return "returned"
            } catch let failure as TestLoopFailure {
                return failure.message
            }
        }
        #expect(message.contains("nothing can wake the waiting tasks"))
        #expect(message.contains("LoopTask('Task-1', pending, waiting on Future.value)"))
    }

    @Test func manualTimeReportsAWaitOnATimer() async throws {
        let message = try await withTestLoop(autoJump: false) { test -> String in
            do {
                try test.run { try await test.loop.sleep(for: .seconds(1)) }
                return "returned"
            } catch let failure as TestLoopFailure {
                return failure.message
            }
        }
        #expect(message.contains("call advance(by:)"))
    }

    @Test func assertionsReportPendingTasksAndErrors() async throws {
        let (pending, errors) = try await withTestLoop { test -> (String, String) in
            try test.assertNoPendingTasks()
            try test.assertNoReportedErrors()
            try test.loop.createTask(name: "forgotten") { try await test.loop.sleep(for: .seconds(60)) }
            try test.loop.callSoon { throw CancelledError(message: "boom") }
            try test.runUntilIdle()
            var pending = "", errors = ""
            do { try test.assertNoPendingTasks() } catch let f as TestLoopFailure { pending = f.description }
            do { try test.assertNoReportedErrors() } catch let f as TestLoopFailure { errors = f.description }
            return (pending, errors)
        }
        #expect(pending.hasPrefix("1 task(s) still pending: LoopTask('forgotten', pending, waiting on sleep)"))
        #expect(pending.contains("Trace:"))
        #expect(errors.hasPrefix("1 error(s) reported: Exception in callback: CancelledError(boom)"))
    }

    @Test func theLoopIsClosedAndFreedWhenTheBodyReturnsThoughAPendingTaskHoldsTheTestLoop() async throws {
        // The task captures `test`, and the loop's task list holds the task: a cycle that only
        // closing the loop breaks (LeakSanitizer reported the loop, its tasks and timers as leaked).
        let (loop, testLoop) = try await withTestLoop { test -> (EventLoop, WeakReference) in
            try test.loop.createTask(name: "holds the test loop") { try await test.loop.sleep(for: .seconds(60)) }
            try test.runUntilIdle()
            return (test.loop, WeakReference(test))
        }
        #expect(loop.isClosed)
        #expect(testLoop.object == nil)
    }

    @Test func eachTestLoopIsIndependent() async throws {
        async let one = withTestLoop { test in try test.run { try await test.loop.sleep(for: .seconds(7)); return test.now } }
        async let two = withTestLoop { test in try test.run { try await test.loop.sleep(for: .seconds(3)); return test.now } }
        let (a, b) = try await (one, two)
        #expect(a == .seconds(7))
        #expect(b == .seconds(3))
    }
}

/// A weak reference that may cross threads (read only after the thread that owned the object let go).
final class WeakReference: @unchecked Sendable {
    weak var object: AnyObject?
    init(_ object: AnyObject) { self.object = object }
}

/// Issue 17: the test hooks are `package` (visible to this package's own targets, not to users), and
/// a virtual-time loop is reached through `TestLoop`; `EventLoop(inboxCapacity:)` is real time.
@Suite("Package access to the test hooks")
struct PackageAccessTests {
    @Test func eventLoopIsRealTimeAndTestLoopIsVirtual() throws {
        let real = try EventLoop()
        defer { try? real.close() }
        #expect(!real.isVirtualTime)  // a `package` member, visible to the package's own test target
        let test = try TestLoop()
        defer { test.close() }
        #expect(test.loop.isVirtualTime)
        try test.advance(by: .seconds(5))
        #expect(test.loop.virtualNanoseconds == 5_000_000_000)
    }
}
