@testable import Asyncio
import Dispatch
import Testing

@Suite("Callbacks and iterations")
struct CallbackSchedulingTests {
    @Test func callSoonRunsInFIFOOrder() async throws {
        let events = try await onLoopThread { loop in
            let trace = Trace()
            for i in 0..<5 { try loop.callSoon { trace("cb\(i)") } }
            try loop.callSoon { loop.stop() }
            try loop.runForever()
            return trace.events
        }
        #expect(events == ["cb0", "cb1", "cb2", "cb3", "cb4"])
    }

    @Test func callbackScheduledDuringAnIterationRunsInALaterOne() async throws {
        let events = try await onLoopThread { loop in
            let trace = Trace()
            try loop.callSoon {
                trace("a")
                try loop.callSoon { trace("c (scheduled by a)") }
            }
            try loop.callSoon { trace("b"); loop.stop() }
            try loop.runForever()
            // stop() finishes the iteration that was ready (a, b); "c" was scheduled during it.
            try loop.callSoon { loop.stop() }
            try loop.runForever()
            return trace.events
        }
        #expect(events == ["a", "b", "c (scheduled by a)"])
    }

    @Test func cancelledHandleNeverRunsAndCancelIsIdempotent() async throws {
        let events = try await onLoopThread(timeSource: .virtual(autoJump: true)) { loop in
            let trace = Trace()
            let first = try loop.callSoon { trace("first") }
            let second = try loop.callSoon { trace("second") }
            try loop.callSoon { trace("third"); loop.stop() }
            second.cancel()
            second.cancel()
            try loop.runForever()
            first.cancel()  // after it ran: harmless
            let timer = try loop.callLater(.milliseconds(1)) { trace("timer") }
            timer.cancel()
            timer.cancel()
            #expect(timer.isCancelled)
            let shared = try loop.callSoonThreadsafe { trace("threadsafe") }
            shared.cancel()
            try loop.callLater(.milliseconds(5)) { loop.stop() }
            try loop.runForever()
            return trace.events
        }
        #expect(events == ["first", "third"])
    }

    @Test func callbackErrorsGoToTheExceptionHandler() async throws {
        let (contexts, ran) = try await onLoopThread(timeSource: .virtual(autoJump: true)) { loop in
            let received = Trace()
            loop.exceptionHandler = { _, context in received("\(context.message): \(context.error.map { "\($0)" } ?? "")") }
            let trace = Trace()
            try loop.callSoon { throw Boom(code: 7) }
            try loop.callSoon { trace("next callback still runs") }
            try loop.callLater(.seconds(0.0)) { throw Boom(code: 8) }
            try loop.callLater(.milliseconds(2)) { loop.stop() }
            try loop.runForever()
            return (received.events, trace.events)
        }
        #expect(contexts == ["Exception in callback: Boom(code: 7)", "Exception in callback: Boom(code: 8)"])
        #expect(ran == ["next callback still runs"])
    }

    @Test func callSoonThreadsafeFromEightThreadsLosesNothingAndWakesTheLoop() async throws {
        let total = try await onLoopThread { loop in
            let counter = Counter()
            let threads = 8, perThread = 10_000
            // The loop is idle (blocked in its poll) when the threads start: they must wake it.
            try loop.callSoon {
                for _ in 0..<threads {
                    spawnThread(name: "producer") {
                        for _ in 0..<perThread {
                            _ = try? loop.callSoonThreadsafe {
                                counter.increment()
                                if counter.count == threads * perThread { loop.stop() }
                            }
                        }
                    }
                }
            }
            try loop.runForever()
            return counter.count
        }
        #expect(total == 80_000)
    }

    @Test func threadsafeCallbacksJoinTheFIFOInArrivalOrder() async throws {
        let events = try await onLoopThread { loop in
            let trace = Trace()
            try loop.callSoon { trace("local 1") }
            try loop.callSoonThreadsafe { trace("threadsafe") }
            try loop.callSoon { trace("local 2") }
            try loop.callSoon { loop.stop() }
            try loop.runForever()
            return trace.events
        }
        // As asyncio's call_soon_threadsafe: on the loop thread it takes its place in the ready FIFO
        // at once, between the local callbacks scheduled before and after it.
        #expect(events == ["local 1", "threadsafe", "local 2"])
    }

    @Test func threadsafeCallbacksFromAnotherThreadRunBeforeCallbacksTheLoopSchedulesAfterThem() async throws {
        let events = try await onLoopThread { loop in
            let trace = Trace()
            try loop.callSoon {
                let submitted = DispatchSemaphore(value: 0)
                spawnThread(name: "submitter") {
                    for i in 0..<3 { _ = try? loop.callSoonThreadsafe { trace("threadsafe \(i)") } }
                    submitted.signal()
                }
                submitted.wait()  // the submissions happen before the callSoon below
                try loop.callSoon { trace("local") }
                try loop.callSoon { loop.stop() }
            }
            try loop.runForever()
            return trace.events
        }
        #expect(events == ["threadsafe 0", "threadsafe 1", "threadsafe 2", "local"])
    }
}
