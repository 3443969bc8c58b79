import Asyncio
import AsyncioTesting
import Testing

/// test_context.py and the context parts of test_tasks.py / test_futures.py: ``ContextVar``.
@Suite("Conformance: context variables")
struct ContextConformanceTests {
    @Test func aTaskRunsInACopyOfItsCreatorsContextTakenAtCreation() async throws {
        let variable = ContextVar<String>("var", default: "unset")
        let events = try await withTestLoop { test in
            let events = Events()
            try test.run {
                @Sendable func child(_ label: String) async throws {
                    events("\(label) sees \(variable.get()!)")
                    variable.set(label)
                    try await sleep(for: .zero)
                    events("\(label) still sees \(variable.get()!)")
                }
                variable.set("main")
                let first = try createTask { try await child("first") }
                variable.set("main, later")
                let second = try createTask { try await child("second") }
                try await first.value
                try await second.value
                events("main sees \(variable.get()!)")
            }
            events("outside the loop: \(variable.get()!)")
            return events.lines
        }
        #expect(events == cpythonTrace("context_a_task_runs_in_a_copy_of_its_creators_context"), "trace context_a_task_runs_in_a_copy_of_its_creators_context differs from CPython's")
    }

    @Test func callbacksRunInTheContextCapturedWhenTheyWereScheduled() async throws {
        let variable = ContextVar<String>("var", default: "unset")
        let events = try await trace { loop, events in
            @Sendable func callback(_ label: String) {
                events("\(label) sees \(variable.get()!)")
                variable.set("set by \(label)")
            }
            variable.set("at call_soon")
            try loop.callSoon { callback("call_soon") }
            variable.set("at call_later")
            try loop.callLater(.seconds(0.01)) { callback("call_later") }
            variable.set("at call_soon_threadsafe")
            try loop.callSoonThreadsafe { callback("call_soon_threadsafe") }
            variable.set("main")
            try await sleep(for: .seconds(0.02))
            events("main sees \(variable.get()!)")
        }
        #expect(events == cpythonTrace("context_callbacks_run_in_the_context_captured_when_scheduled"), "trace context_callbacks_run_in_the_context_captured_when_scheduled differs from CPython's")
    }

    @Test
    func aDoneCallbackRunsInTheContextCapturedWhenItWasAddedAndItsSetsDoNotLeak() async throws {
        let variable = ContextVar<String>("var", default: "unset")
        let events = try await withTestLoop { test in
            let events = Events()
            try test.run {
                let future = Future<Void>(loop: test.loop)
                try await createTask {
                    variable.set("registering task")
                    future.addDoneCallback { _ in
                        events("done callback sees \(variable.get()!)")
                        variable.set("set in the done callback")
                    }
                }.value
                variable.set("main")
                try future.setResult(())
                try await sleep(for: .zero)
                events("main sees \(variable.get()!)")
            }
            events("outside the loop: \(variable.get()!)")
            return events.lines
        }
        #expect(events == cpythonTrace("context_done_callbacks_run_in_the_context_captured_when_added"), "trace context_done_callbacks_run_in_the_context_captured_when_added differs from CPython's")
    }

    @Test func resetRestoresTheValueBeforeTheSet() async throws {
        let variable = ContextVar<String>("var", default: "default")
        let events = try await trace { _, events in
            let first = variable.set("one")
            let second = variable.set("two")
            events("after two sets: \(variable.get()!)")
            variable.reset(second)
            events("after reset(second): \(variable.get()!)")
            variable.reset(first)
            events("after reset(first): \(variable.get()!)")
        }
        #expect(events == cpythonTrace("context_reset_restores_the_previous_value"), "trace context_reset_restores_the_previous_value differs from CPython's")
    }
}
