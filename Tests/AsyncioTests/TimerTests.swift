@testable import Asyncio
import Dispatch
import Testing
#if canImport(Glibc)
import Glibc
#endif

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
            try loop.callLater(.seconds(0.01)) { loop.stop() }
            try loop.runForever()
            let expected = (0..<2000).filter { $0 % 2 == 0 }.sorted { ($0 % 50, $0) < ($1 % 50, $1) }
            return (fired, expected)
        }
        #expect(fired == expected)
    }

    @Test func theTimerHeapPopsInDeadlineThenSchedulingOrderThroughInsertsRemovalsAndCompaction() throws {
        let loop = try EventLoop()
        defer { try? loop.close() }
        var heap = TimerHeap()
        var model: [(deadline: Int64, sequence: UInt64)] = []
        var state: UInt64 = 7
        func random() -> UInt64 {  // a fixed-seed LCG: the same sequence every run
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        var sequence: UInt64 = 0
        func popAndCheck() {
            let expected = model.min { ($0.deadline, $0.sequence) < ($1.deadline, $1.sequence) }!
            model.removeAll { $0.sequence == expected.sequence }
            let entry = heap.removeMin()
            #expect((entry.deadline, entry.sequence) == (expected.deadline, expected.sequence))
        }
        for round in 0..<4000 {
            if random() % 3 != 0 || model.isEmpty {
                sequence += 1
                let deadline = Int64(random() % 64) - 16  // many equal deadlines, some before the origin
                let handle = TimerHandle(loop: loop, deadline: deadline, sequence: sequence, body: {})
                heap.insert(TimerEntry(deadline: deadline, sequence: sequence, handle: handle))
                model.append((deadline, sequence))
            } else {
                popAndCheck()
            }
            if round % 1000 == 999 {  // compaction keeps the heap order of what stays
                heap.removeAll { $0.sequence % 3 == 0 }
                model.removeAll { $0.sequence % 3 == 0 }
            }
            #expect(heap.count == model.count)
        }
        while !model.isEmpty { popAndCheck() }
        #expect(heap.isEmpty && heap.minDeadline == nil)
    }

    @Test func aPollTimerDueBeforeLibuvPollsStillWakesTheLoop() async throws {
        // libuv up to 1.44 runs due timers first and then polls with no timeout if no timer is left:
        // a loop thread held up between arming its poll timer and libuv's clock update slept forever
        // (a `sleep(for: .seconds(0.001))` hung the sanitizer runs about once in 25). Here the thread is held
        // up at that point on purpose, every time, for longer than the poll's timeout (2 ms longer:
        // libuv's clock has millisecond steps).
        let (finished, heldUp) = try await onLoopThread { loop -> (Bool, Int) in
            let heldUp = Box(0)
            loop.beforeBlockingPoll = { timeout in
                heldUp.value += 1
                usleep(UInt32(timeout + 2) * 1000)  // the poll timer is due before uv_run starts
            }
            let finished = DispatchSemaphore(value: 0)
            spawnThread(name: "watchdog") {  // turns the hang this test is about into a failure
                if finished.wait(timeout: .now() + 30) == .timedOut { loop.stop() }
            }
            defer { finished.signal() }
            do {
                // A sleep reaches the blocking poll unless the thread already took longer than the
                // whole sleep to get there (it can, under a sanitizer): sleep again until it did.
                try loop.runUntilComplete { repeat { try await loop.sleep(for: .seconds(0.02)) } while heldUp.value == 0 }
                return (true, heldUp.value)
            } catch EventLoopError.stoppedBeforeComplete {
                return (false, heldUp.value)
            }
        }
        #expect(heldUp > 0)
        #expect(finished)
    }
}
