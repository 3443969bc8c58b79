import Asyncio
import AsyncioTesting
import Testing

/// test_futures.py: states, done callbacks, cancellation, unretrieved errors.
@Suite("Conformance: futures")
struct FuturesConformanceTests {
    @Test func doneCallbacksRunSoonInRegistrationOrder() async throws {
        let events = try await trace { loop, events in
            let future = Future<Int>(loop: loop)
            for i in 1...3 { future.addDoneCallback { f in events("cb\(i) sees \((try? f.result()) ?? -1)") } }
            try loop.callSoon { events("callback scheduled before set_result") }
            try future.setResult(42)
            events("after set_result")
            try await sleep(for: .zero)
            events("after one iteration")
        }
        #expect(events == cpythonTrace("futures_done_callbacks_run_soon_in_registration_order"), "trace futures_done_callbacks_run_soon_in_registration_order differs from CPython's")
    }

    @Test func aCallbackAddedAfterDoneRunsSoonNotInline() async throws {
        let events = try await trace { loop, events in
            let future = Future<Int>(loop: loop)
            try future.setError(Boom(name: "ValueError"))
            future.addDoneCallback { f in events("late callback sees \((try? f.error()).flatMap { $0 }.map(errorName) ?? "none")") }
            events("after add_done_callback")
            try await sleep(for: .zero)
            events("after one iteration")
        }
        #expect(events == cpythonTrace("futures_callback_added_after_done_runs_soon"), "trace futures_callback_added_after_done_runs_soon differs from CPython's")
    }

    @Test func aRemovedDoneCallbackNeverRuns() async throws {
        let events = try await trace { loop, events in
            let future = Future<Void>(loop: loop)
            let ids = (1...4).map { i in future.addDoneCallback { _ in events("cb\(i)") } }
            events("removed cb1: \(future.removeDoneCallback(ids[0]) ? "True" : "False")")
            events("removed cb3: \(future.removeDoneCallback(ids[2]) ? "True" : "False")")
            events("removed cb3 again: \(future.removeDoneCallback(ids[2]) ? "True" : "False")")
            try future.setResult(())
            try await sleep(for: .zero)
        }
        #expect(events == cpythonTrace("futures_remove_done_callback"), "trace futures_remove_done_callback differs from CPython's")
    }

    @Test func callbacksAndWaitingTasksWakeInRegistrationOrder() async throws {
        let events = try await trace { loop, events in
            let future = Future<Int>(loop: loop)
            @Sendable func waiter(_ label: String) async throws {
                let value = try await future.value
                events("\(label) woke with \(value)")
            }
            future.addDoneCallback { _ in events("callback 1") }
            let first = try loop.createTask { try await waiter("task A") }
            try await sleep(for: .zero)
            future.addDoneCallback { _ in events("callback 2") }
            let second = try loop.createTask { try await waiter("task B") }
            try await sleep(for: .zero)
            try future.setResult(7)
            try await first.value
            try await second.value
        }
        #expect(events == cpythonTrace("futures_callbacks_and_waiters_wake_in_registration_order"), "trace futures_callbacks_and_waiters_wake_in_registration_order differs from CPython's")
    }

    @Test func readingOrSettingAFutureInTheWrongStateThrows() async throws {
        let events = try await trace { loop, events in
            func attempt(_ label: String, _ action: () throws -> String) {
                do { events("\(label): \(try action())") } catch { events("\(label): raises \(errorName(error))") }
            }
            let future = Future<Int>(loop: loop)
            events("pending: done=\(py(future.isDone)) cancelled=\(py(future.isCancelled))")
            attempt("result() pending") { "\(try future.result())" }
            attempt("exception() pending") { "\(String(describing: try future.error()))" }
            try future.setResult(1)
            attempt("result()") { "\(try future.result())" }
            attempt("exception()") { try future.error().map(errorName) ?? "None" }
            attempt("set_result again") { try future.setResult(2); return "ok" }
            attempt("set_exception after result") { try future.setError(Boom(name: "ValueError")); return "ok" }
            attempt("cancel() after result") { py(future.cancel()) }
            let failed = Future<Int>(loop: loop)
            try failed.setError(Boom(name: "ValueError"))
            attempt("result() of failed") { "\(try failed.result())" }
            attempt("exception() of failed") { try failed.error().map(errorName) ?? "None" }
            let cancelled = Future<Int>(loop: loop)
            attempt("cancel()") { py(cancelled.cancel(message: "why")) }
            attempt("cancel() again") { py(cancelled.cancel()) }
            events("cancelled: done=\(py(cancelled.isDone)) cancelled=\(py(cancelled.isCancelled))")
            attempt("result() of cancelled") { "\(try cancelled.result())" }
            attempt("exception() of cancelled") { "\(String(describing: try cancelled.error()))" }
            attempt("set_result of cancelled") { try cancelled.setResult(3); return "ok" }
        }
        #expect(events == cpythonTrace("futures_states_and_invalid_state"), "trace futures_states_and_invalid_state differs from CPython's")
    }

    @Test func theCancelMessageReachesTheAwaiter() async throws {
        let events = try await trace { loop, events in
            let future = Future<Void>(loop: loop)
            let task = try loop.createTask {
                do { try await future.value } catch { events("waiter got \(errorName(error))"); throw error }
            }
            try await sleep(for: .zero)
            future.cancel(message: "shutting down")
            do { try await task.value } catch {
                events("awaiting the task: \(errorName(error)); task cancelled: \(py(task.isCancelled))")
            }
        }
        #expect(events == cpythonTrace("futures_cancel_message_reaches_the_awaiter"), "trace futures_cancel_message_reaches_the_awaiter differs from CPython's")
    }

    @Test func cancellingTheAwaitingTaskCancelsTheFuture() async throws {
        let events = try await trace { loop, events in
            let future = Future<Void>(loop: loop)
            future.addDoneCallback { f in events("future done, cancelled: \(py(f.isCancelled))") }
            let task = try loop.createTask { try await future.value }
            try await sleep(for: .zero)
            task.cancel(message: "stop")
            do { try await task.value } catch { events("task: \(errorName(error))") }
            events("future cancelled: \(py(future.isCancelled))")
        }
        #expect(events == cpythonTrace("futures_cancelling_the_awaiting_task_cancels_the_future"), "trace futures_cancelling_the_awaiting_task_cancels_the_future differs from CPython's")
    }

    @Test func anUnretrievedErrorIsReportedWhenTheFutureIsDropped() async throws {
        let events = try await trace { loop, events in
            loop.exceptionHandler = { _, context in
                events("handler: \(context.message): \(context.error.map(errorName) ?? "none")")
            }
            do {
                let read = Future<Void>(loop: loop)
                try read.setError(Boom(name: "ValueError"))
                _ = try read.error()
            }
            do {
                let unread = Future<Void>(loop: loop)
                try unread.setError(Boom(name: "KeyError"))
            }
            try await sleep(for: .zero)
            events("end")
        }
        #expect(events == cpythonTrace("futures_unretrieved_exception_is_reported"), "trace futures_unretrieved_exception_is_reported differs from CPython's")
    }
}

/// Python's spelling of a Bool in the traces.
func py(_ value: Bool) -> String { value ? "True" : "False" }
