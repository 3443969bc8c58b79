@testable import Asyncio
import Testing

@Suite("sleep and the loop clock")
struct SleepAndClockTests {
    @Test func sleepsWakeInDeadlineOrder() async throws {
        let events = try await onLoopThread(timeSource: .virtual(autoJump: true)) { loop in
            let trace = Trace()
            try loop.runUntilComplete {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for (name, ms) in [("c", 3), ("a", 1), ("b", 2), ("a2", 1)] {
                        group.addTask {
                            try await loop.sleep(for: .milliseconds(ms))
                            trace(name)
                        }
                    }
                    try await group.waitForAll()
                }
            }
            return trace.events
        }
        #expect(events == ["a", "a2", "b", "c"])
    }

    @Test func sleepZeroYieldsExactlyOneIteration() async throws {
        let events = try await onLoopThread { loop in
            let trace = Trace()
            try loop.runUntilComplete {
                try loop.callSoon {
                    trace("callback 1")
                    try loop.callSoon { trace("callback 2") }
                }
                try await loop.sleep(for: .zero)
                trace("task resumed")
                try await loop.sleep(for: .seconds(0))
                trace("task resumed again")
            }
            return trace.events
        }
        #expect(events == ["callback 1", "task resumed", "callback 2", "task resumed again"])
    }

    @Test func sleepNeverReturnsEarly() async throws {
        let (start, end) = try await onLoopThread { loop -> (Double, Double) in
            try loop.runUntilComplete {
                let start = loop.time()
                try await loop.sleep(for: .seconds(0.0015))
                return (start, loop.time())
            }
        }
        #expect(end - start >= 0.0015)
    }

    @Test func taskSleepWithTheLoopClockRunsOnALoopTimer() async throws {
        let (elapsed, sameThread) = try await onLoopThread(timeSource: .virtual(autoJump: true)) { loop -> (Duration, Bool) in
            let thread = currentThreadID()
            return try loop.runUntilComplete {
                let clock = loop.clock
                let start = clock.now
                try await Task.sleep(for: .milliseconds(2), clock: clock)
                return (start.duration(to: clock.now), currentThreadID() == thread)
            }
        }
        #expect(elapsed >= .milliseconds(2))
        #expect(sameThread)
    }

    @Test func sleepOutsideALoopThrows() async throws {
        await #expect(throws: EventLoopError.noRunningLoop) { try await sleep(for: .seconds(0.01)) }
    }
}
