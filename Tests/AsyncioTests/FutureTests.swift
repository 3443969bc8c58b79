@testable import Asyncio
import AsyncioTesting
import Testing

@Suite("Futures")
struct FutureTests {
    @Test func stateTransitionsAndInvalidState() async throws {
        try await onLoopThread { loop in
            let future = Future<Int>(loop: loop)
            #expect(!future.isDone)
            #expect(throws: InvalidStateError.self) { try future.result() }
            #expect(throws: InvalidStateError.self) { try future.error() }
            try future.setResult(1)
            #expect(future.isDone && !future.isCancelled)
            #expect(try future.result() == 1)
            #expect(throws: InvalidStateError.self) { try future.setResult(2) }
            #expect(throws: InvalidStateError.self) { try future.setError(Boom()) }
            #expect(!future.cancel())

            let failed = Future<Int>(loop: loop)
            try failed.setError(Boom(code: 2))
            #expect(throws: Boom(code: 2)) { try failed.result() }
            #expect(try failed.error() as? Boom == Boom(code: 2))

            let cancelled = Future<Int>(loop: loop)
            #expect(cancelled.cancel(message: "bye"))
            #expect(cancelled.isCancelled && cancelled.isDone)
            #expect(throws: CancelledError(message: "bye")) { try cancelled.result() }
            #expect(throws: InvalidStateError.self) { try cancelled.setResult(1) }
        }
    }

    @Test func removeDoneCallbackWithAnIdThatIsNotACallbacksLeavesWaitingTasksAlone() async throws {
        // On a test loop, a lost waiter shows as a stall error, not a hang.
        let (removed, value) = try await withTestLoop { test in
            try test.run { () async throws -> (Bool, String) in
                let loop = test.loop
                let future = Future<String>(loop: loop)
                let callbackID = future.addDoneCallback { _ in }
                let waiting = try loop.createTask { try await future.value }
                try await loop.sleep(for: .zero)  // the task now waits on the future (its entry took the next id)
                let removed = future.removeDoneCallback(callbackID + 1)
                try future.setResult("delivered")
                return (removed, try await waiting.value)
            }
        }
        #expect(!removed)
        #expect(value == "delivered")
    }

    @Test func manyWaitersCancelledNewestFirstLeaveTheOthersWokenInOrder() async throws {
        let (woken, cancelled, futureCancelled) = try await withTestLoop { test in
            try test.run { () async throws -> ([String], Int, Bool) in
                let loop = test.loop, trace = Trace()
                let future = Future<Int>(loop: loop)
                let tasks = try (0..<200).map { i in
                    try loop.createTask { try await future.waitDone(); trace("\(i)") }
                }
                try await loop.sleep(for: .zero)
                for (i, task) in tasks.enumerated().reversed() where i % 4 != 0 { task.cancel() }
                try await loop.sleep(for: .zero)
                try future.setResult(1)
                var cancelled = 0
                for task in tasks {
                    do { try await task.value } catch is CancelledError { cancelled += 1 }
                }
                return (trace.events, cancelled, future.isCancelled)
            }
        }
        #expect(woken == stride(from: 0, to: 200, by: 4).map { "\($0)" })
        #expect(cancelled == 150)
        #expect(!futureCancelled)
    }

    @Test func doneCallbacksRunInOrderThroughCallSoonAlsoWhenAddedLate() async throws {
        let events = try await onLoopThread(timeSource: .virtual(autoJump: true)) { loop in
            let trace = Trace()
            let future = Future<String>(loop: loop)
            future.addDoneCallback { trace("cb1 \(try! $0.result())") }
            let removed = future.addDoneCallback { _ in trace("removed") }
            future.addDoneCallback { _ in trace("cb2") }
            #expect(future.removeDoneCallback(removed))
            try loop.callSoon {
                try future.setResult("x")
                trace("set (callbacks not run yet)")
                future.addDoneCallback { _ in trace("late cb") }
            }
            try loop.callLater(.seconds(0.001)) { loop.stop() }
            try loop.runForever()
            return trace.events
        }
        #expect(events == ["set (callbacks not run yet)", "cb1 x", "cb2", "late cb"])
    }

    @Test func awaitingAFutureReturnsItsValue() async throws {
        let value = try await onLoopThread(timeSource: .virtual(autoJump: true)) { loop in
            let future = Future<Int>(loop: loop)
            try loop.callLater(.seconds(0.001)) { try future.setResult(5) }
            return try loop.runUntilComplete { try await future.value }
        }
        #expect(value == 5)
    }

    @Test func cancellingTheAwaitingTaskCancelsTheFuture() async throws {
        let (futureCancelled, error) = try await onLoopThread { loop -> (Bool, CancelledError?) in
            let future = Future<Int>(loop: loop)
            let waiter = try loop.createTask { try await future.value }
            try loop.callSoon { try loop.callSoon { waiter.cancel(message: "stop waiting") } }
            var caught: CancelledError?
            do { _ = try loop.runUntilComplete(waiter) } catch let e as CancelledError { caught = e }
            return (future.isCancelled, caught)
        }
        #expect(futureCancelled)
        #expect(error == CancelledError(message: "stop waiting"))
    }

    @Test func waitDoneLeavesTheFutureAloneOnCancellation() async throws {
        let stillPending = try await onLoopThread { loop -> Bool in
            let future = Future<Int>(loop: loop)
            let waiter = try loop.createTask { try await future.waitDone() }
            try loop.callSoon { try loop.callSoon { waiter.cancel() } }
            _ = try? loop.runUntilComplete(waiter)
            #expect(waiter.isCancelled)
            return !future.isDone
        }
        #expect(stillPending)
    }

    @Test func anErrorNobodyRetrievedIsReportedWhenTheFutureIsDropped() async throws {
        let messages = try await onLoopThread { loop in
            let trace = Trace()
            loop.exceptionHandler = { _, context in trace(context.description) }
            do {
                let future = Future<Int>(loop: loop)
                try future.setError(Boom(code: 9))
            }
            do {
                let retrieved = Future<Int>(loop: loop)
                try retrieved.setError(Boom(code: 10))
                _ = try? retrieved.result()
            }
            return trace.events
        }
        #expect(messages == ["Future exception was never retrieved: Boom(code: 9)"])
    }
}
