@testable import Asyncio
import Testing

@Suite("Timers and time")
struct TimerTests {
    @Test func timersFireInDeadlineOrderAndEqualDeadlinesInSchedulingOrder() async throws {
        let events = try await onLoopThread { loop in
            let trace = Trace()
            let base = loop.time()
            try loop.callAt(base + 0.003) { trace("t3") }
            try loop.callAt(base + 0.001) { trace("t1-a") }
            try loop.callAt(base + 0.002) { trace("t2") }
            try loop.callAt(base + 0.001) { trace("t1-b") }
            try loop.callAt(base + 0.001) { trace("t1-c") }
            try loop.callAt(base + 0.004) { loop.stop() }
            try loop.runForever()
            return trace.events
        }
        #expect(events == ["t1-a", "t1-b", "t1-c", "t2", "t3"])
    }

    @Test func aTimerNeverFiresEarlyEvenAfterABlockingCallback() async throws {
        let lateness = try await onLoopThread { loop -> [Double] in
            var observed: [Double] = []
            func record(_ when: Double) {
                observed.append(loop.time() - when)
                if observed.count == 5 { loop.stop() }
            }
            for delay in [0.0002, 0.0007, 0.0013, 0.002] {
                let when = loop.time() + delay
                try loop.callAt(when) { record(when) }
            }
            // A callback that blocks the loop for 1 ms, then another timer scheduled after it.
            try loop.callSoon {
                let start = loop.time()
                while loop.time() - start < 0.001 {}
                let when = loop.time() + 0.0005
                try loop.callAt(when) { record(when) }
            }
            try loop.runForever()
            return observed
        }
        #expect(lateness.count == 5)
        #expect(lateness.allSatisfy { $0 >= 0 })
    }

    @Test func timeIsMonotonicWithSubMicrosecondResolution() async throws {
        let loop = try EventLoop()
        defer { try? loop.close() }
        var previous = loop.time()
        var distinct = 0
        for _ in 0..<1000 {
            let now = loop.time()
            #expect(now >= previous)
            if now != previous { distinct += 1 }
            previous = now
        }
        // Back-to-back reads differ far more often than a cached millisecond clock would allow.
        #expect(distinct > 100)
    }

    @Test func cancellingManyTimersKeepsTheRestInOrder() async throws {
        let (fired, expected) = try await onLoopThread { loop -> ([Int], [Int]) in
            var fired: [Int] = []
            var handles: [TimerHandle] = []
            let base = loop.time()
            for i in 0..<2000 {
                handles.append(try loop.callAt(base + Double(i % 50) * 0.0001) { fired.append(i) })
            }
            for (i, handle) in handles.enumerated() where i % 2 == 1 { handle.cancel() }
            try loop.callLater(0.01) { loop.stop() }
            try loop.runForever()
            let expected = (0..<2000).filter { $0 % 2 == 0 }.sorted { ($0 % 50, $0) < ($1 % 50, $1) }
            return (fired, expected)
        }
        #expect(fired == expected)
    }
}
