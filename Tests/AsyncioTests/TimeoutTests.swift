@testable import Asyncio
import Testing

@Suite("Timeouts")
struct TimeoutTests {
    @Test func waitForTimesOutCancelsAndWaitsForTheWork() async throws {
        let (events, elapsed) = try await inVirtualLoop { loop -> ([String], Double) in
            let trace = Trace()
            do {
                _ = try await loop.waitFor(timeout: .seconds(2)) { () async throws -> String in
                    do {
                        try await loop.sleep(for: .seconds(5))
                        return "Complete"
                    } catch {
                        trace("work cancelled")
                        try await loop.uncancellable { try await loop.sleep(for: .seconds(0.5)) }
                        trace("work cleaned up")
                        throw error
                    }
                }
            } catch is TimeoutError {
                trace("timed out")
            }
            return (trace.events, loop.time())
        }
        #expect(events == ["work cancelled", "work cleaned up", "timed out"])
        #expect(elapsed == 2.5)
    }

    @Test func workThatFinishesInTimeReturnsItsValue() async throws {
        let value = try await inVirtualLoop { loop in
            try await loop.waitFor(timeout: .seconds(2)) { try await loop.sleep(for: .seconds(1)); return 7 }
        }
        #expect(value == 7)
    }

    @Test func aResultArrivingTogetherWithTheTimeoutIsNotLost() async throws {
        let value = try await inVirtualLoop { loop in
            // The work ends at exactly the deadline (same iteration): its result wins.
            try await loop.waitFor(timeout: .seconds(1)) { () async throws -> String in
                do { try await loop.sleep(for: .seconds(1)) } catch {}
                return "result"
            }
        }
        #expect(value == "result")
    }

    @Test func nestedTimeoutsOnlyTheExpiredOneReports() async throws {
        let events = try await inVirtualLoop { loop -> [String] in
            let trace = Trace()
            do {
                try await loop.withTimeout(.seconds(1)) { _ in
                    do {
                        try await loop.withTimeout(.seconds(5)) { _ in try await loop.sleep(for: .seconds(10)) }
                    } catch is TimeoutError {
                        trace("inner timeout (wrong)")
                    } catch is CancelledError {
                        trace("inner scope cancelled by the outer one")
                        throw CancelledError()
                    }
                }
            } catch is TimeoutError {
                trace("outer timeout at \(loop.time())")
            }
            return trace.events
        }
        #expect(events == ["inner scope cancelled by the outer one", "outer timeout at 1.0"])
    }

    @Test func rescheduleMovesTheDeadlineAndExpiredReportsIt() async throws {
        let (elapsed, whenSeen) = try await inVirtualLoop { loop -> (Double, Double?) in
            let whenSeen = Box<Double?>(nil)
            do {
                try await loop.withTimeout(nil) { scope in
                    #expect(scope.deadline == nil)
                    scope.reschedule(after: .seconds(3))
                    whenSeen.value = scope.deadline?.seconds
                    try await loop.sleep(for: .seconds(1))
                    scope.reschedule(after: .seconds(1))
                    try await loop.sleep(for: .seconds(60))
                }
            } catch is TimeoutError {}
            return (loop.time(), whenSeen.value)
        }
        #expect(whenSeen == 3.0)
        #expect(elapsed == 2.0)
    }

    @Test func cancellingTheCallerIsACancellationNotATimeout() async throws {
        let caught = try await inVirtualLoop { loop -> String in
            let waiter = try loop.createTask { () async throws -> String in
                do {
                    _ = try await loop.waitFor(timeout: .seconds(10)) { try await loop.sleep(for: .seconds(60)) }
                    return "returned"
                } catch is TimeoutError { return "timeout" } catch is CancelledError { return "cancelled" }
            }
            try await loop.sleep(for: .seconds(1))
            waiter.cancel()
            return try await waiter.value
        }
        #expect(caught == "cancelled")
    }

    @Test func waitForATaskCancelsItOnTimeout() async throws {
        let cancelled = try await inVirtualLoop { loop -> Bool in
            let task = try loop.createTask { try await loop.sleep(for: .seconds(60)) }
            await #expect(throws: TimeoutError.self) { try await loop.waitFor(task, timeout: .seconds(1)) }
            return task.isCancelled
        }
        #expect(cancelled)
    }
}
