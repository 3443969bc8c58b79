import Asyncio
import AsyncioTesting
import Testing

/// test_timeouts.py: `asyncio.timeout` / `timeout_at` as ``withTimeout(_:_:)`` / ``withDeadline(_:_:)``.
@Suite("Conformance: timeouts")
struct TimeoutsConformanceTests {
    @Test func expiryCancelsTheBodyAndThrowsTimeoutError() async throws {
        let events = try await trace { loop, events in
            let start = loop.time()
            let scope = Box<TimeoutScope?>(nil)
            do {
                try await withTimeout(.milliseconds(50)) { s in
                    scope.value = s
                    events("when - start: \(rounded(s.deadline!.seconds - start))")
                    do { try await sleep(for: .seconds(10)) } catch { events("body saw \(errorName(error))"); throw error }
                }
            } catch is TimeoutError {
                events("TimeoutError, not before the deadline: \(py(loop.time() - start >= 0.049)); expired: \(py(scope.value!.expired))")
            }
            do {
                try await withDeadline(loop.clock.now.advanced(by: .milliseconds(10))) { s in
                    scope.value = s
                    try await sleep(for: .seconds(10))
                }
            } catch is TimeoutError {
                events("timeout_at: TimeoutError; expired: \(py(scope.value!.expired))")
            }
        }
        #expect(events == cpythonTrace("timeouts_expiry_cancels_the_body_and_raises_timeout_error"), "trace timeouts_expiry_cancels_the_body_and_raises_timeout_error differs from CPython's")
    }

    @Test func aBodyFinishingInTimeIsNotAffected() async throws {
        let events = try await trace { loop, events in
            let scope = Box<TimeoutScope?>(nil)
            try await withTimeout(.seconds(10)) { s in scope.value = s; try await sleep(for: .seconds(0.01)) }
            events("in time: expired=\(py(scope.value!.expired))")
            try await withTimeout(nil) { s in scope.value = s; try await sleep(for: .seconds(0.01)) }
            events("no deadline: expired=\(py(scope.value!.expired)) when=\(scope.value!.deadline.map { "\($0.seconds)" } ?? "None")")
        }
        #expect(events == cpythonTrace("timeouts_a_body_in_time_is_not_affected"), "trace timeouts_a_body_in_time_is_not_affected differs from CPython's")
    }

    @Test func rescheduleSetsMovesAwayOrBringsTheDeadlineCloser() async throws {
        let events = try await trace { loop, events in
            var start = loop.time()
            do {
                try await withTimeout(nil) { scope in
                    scope.reschedule(after: .milliseconds(20))
                    try await sleep(for: .seconds(1))
                }
            } catch is TimeoutError {
                events("set later: TimeoutError, not before the deadline: \(py(loop.time() - start >= 0.019))")
            }
            start = loop.time()
            let expired = try await withTimeout(.milliseconds(10)) { scope in
                scope.reschedule(after: .milliseconds(500))
                try await sleep(for: .seconds(0.03))
                return scope
            }.expired
            events("moved away: finished in time; expired=\(py(expired))")
            start = loop.time()
            do {
                try await withTimeout(.seconds(1)) { scope in
                    try await sleep(for: .seconds(0.01))
                    scope.reschedule(after: .milliseconds(10))
                    try await sleep(for: .seconds(1))
                }
            } catch is TimeoutError {
                events("moved closer: TimeoutError, before the first deadline: \(py(loop.time() - start < 0.5))")
            }
        }
        #expect(events == cpythonTrace("timeouts_reschedule_moves_the_deadline"), "trace timeouts_reschedule_moves_the_deadline differs from CPython's")
    }

    @Test func nestedScopesTheInnerDeadlineFirst() async throws {
        let events = try await trace { loop, events in
            let outer = try await withTimeout(.seconds(1)) { outer in
                let inner = Box<TimeoutScope?>(nil)
                do {
                    try await withTimeout(.milliseconds(10)) { s in inner.value = s; try await sleep(for: .seconds(10)) }
                } catch is TimeoutError {
                    events("inner TimeoutError; inner expired=\(py(inner.value!.expired)) outer expired=\(py(outer.expired))")
                }
                try await sleep(for: .seconds(0.01))
                return outer
            }
            events("outer finished; outer expired=\(py(outer.expired))")
        }
        #expect(events == cpythonTrace("timeouts_nested_the_inner_deadline_first"), "trace timeouts_nested_the_inner_deadline_first differs from CPython's")
    }

    @Test func nestedScopesTheOuterDeadlineFirst() async throws {
        let events = try await trace { loop, events in
            let outer = Box<TimeoutScope?>(nil)
            do {
                try await withTimeout(.milliseconds(10)) { s in
                    outer.value = s
                    let inner = Box<TimeoutScope?>(nil)
                    do {
                        try await withTimeout(.seconds(1)) { s in inner.value = s; try await sleep(for: .seconds(10)) }
                    } catch {
                        events("inner block raised \(errorName(error)); inner expired=\(py(inner.value!.expired))")
                        throw error
                    }
                }
            } catch is TimeoutError {
                events("outer TimeoutError; outer expired=\(py(outer.value!.expired))")
            }
        }
        #expect(events == cpythonTrace("timeouts_nested_the_outer_deadline_first"), "trace timeouts_nested_the_outer_deadline_first differs from CPython's")
    }

    @Test func aDeadlineAlreadyReachedRunsTheBodyUntilItsFirstSuspension() async throws {
        let events = try await trace { loop, events in
            do {
                try await withTimeout(.zero) { _ in
                    events("body started (timeout 0)")
                    try await sleep(for: .seconds(10))
                    events("never")
                }
            } catch is TimeoutError {
                events("TimeoutError (timeout 0)")
            }
            do {
                try await withDeadline(loop.clock.now.advanced(by: .seconds(-1))) { _ in
                    events("body started (deadline in the past)")
                    try await sleep(for: .zero)
                    events("never")
                }
            } catch is TimeoutError {
                events("TimeoutError (deadline in the past)")
            }
        }
        #expect(events == cpythonTrace("timeouts_zero_or_past_deadline_runs_the_body_until_it_awaits"), "trace timeouts_zero_or_past_deadline_runs_the_body_until_it_awaits differs from CPython's")
    }

    @Test func otherErrorsAndOuterCancellationPassThroughUnchanged() async throws {
        let events = try await trace { loop, events in
            let scope = Box<TimeoutScope?>(nil)
            do {
                try await withTimeout(.seconds(1)) { s in scope.value = s; throw Boom() }
            } catch {
                events("body error passes through: \(errorName(error)); expired=\(py(scope.value!.expired))")
            }
            let task = try loop.createTask {
                try await withTimeout(.seconds(1)) { _ in try await sleep(for: .seconds(10)) }
            }
            try await sleep(for: .seconds(0.01))
            task.cancel(message: "from outside")
            do { try await task.value } catch { events("outer cancellation: \(errorName(error))") }
        }
        #expect(events == cpythonTrace("timeouts_other_errors_and_outer_cancellation_pass_through"), "trace timeouts_other_errors_and_outer_cancellation_pass_through differs from CPython's")
    }

    @Test func aBodyThatSwallowsTheExpiryEndsTheScopeNormally() async throws {
        let events = try await trace { loop, events in
            let scope = try await withTimeout(.milliseconds(10)) { scope in
                do { try await sleep(for: .seconds(10)) } catch is CancelledError { events("body swallowed the cancellation") }
                return scope
            }
            events("the block ended normally; expired: \(py(scope.expired))")
        }
        #expect(events == cpythonTrace("timeouts_a_body_that_swallows_the_expiry_returns"), "trace timeouts_a_body_that_swallows_the_expiry_returns differs from CPython's")
    }
}

/// Seconds rounded as Python's `round(x, 2)` prints them.
func rounded(_ seconds: Double) -> String { "\((seconds * 100).rounded() / 100)" }
