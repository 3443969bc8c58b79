import AsyncAlgorithms
import Asyncio
import AsyncioTesting
import Testing

@Suite("TestLoop: Clock interop")
struct ClockInteropTests {
    @Test func taskSleepWithTheVirtualClock() async throws {
        let elapsed = try await withTestLoop { test in
            try test.run {
                let start = test.clock.now
                try await Task.sleep(for: .seconds(90), clock: test.clock)
                return start.duration(to: test.clock.now)
            }
        }
        #expect(elapsed == .seconds(90))
    }

    @Test func asyncTimerSequenceTicksInVirtualTime() async throws {
        let ticks = try await withTestLoop { test in
            try test.run { () async throws -> [Duration] in
                var ticks: [Duration] = []
                for await _ in AsyncTimerSequence(interval: .seconds(10), clock: test.clock) {
                    ticks.append(test.now)
                    if ticks.count == 3 { break }
                }
                return ticks
            }
        }
        #expect(ticks == [.seconds(10), .seconds(20), .seconds(30)])
    }

    @Test func clockSleepFromATaskOffTheLoopUsesALoopTimer() async throws {
        // A task that does not run on the loop (as swift-async-algorithms' internal tasks) sleeps on
        // the loop clock: the timer is scheduled through the loop's inbox.
        let woke = try await withTestLoop(autoJump: false) { test -> Bool in
            let clock = test.clock
            let done = Future<Void>(loop: test.loop)
            let loop = test.loop
            Task.detached {
                try await clock.sleep(until: clock.now.advanced(by: .seconds(5)))
                try loop.callSoonThreadsafe { try done.setResult(()) }
            }
            // Wait (really) until the detached task has registered its timer, then advance.
            while test.loop.description.contains("timers: 0") { try test.runUntilIdle() }
            try test.advance(by: .seconds(5))
            while !done.isDone { try test.runUntilIdle() }
            return done.isDone
        }
        #expect(woke)
    }
}
