@testable import Asyncio
#if canImport(Glibc)
import Glibc
#endif
import Testing

/// Issue 18, items 2 and 6, and closing a loop with pending tasks. Each test's expected trace is
/// what its CPython 3.13 twin in `py/` prints (the twin's file is named in the test).
@Suite("Task cancellation semantics (CPython twins)")
struct TaskCancellationSemanticsTests {
    /// Twin: py/task_cancelled_before_first_step.py
    @Test func aTaskCancelledBeforeItsFirstStepNeverRunsItsBody() async throws {
        let events = try await inVirtualLoop { loop -> [String] in
            let trace = Trace()
            let t = try loop.createTask { () async throws -> Int in trace("body ran"); return 1 }
            t.cancel(message: "m")
            do { _ = try await t.value } catch let error as CancelledError { trace("CancelledError \(error.message ?? "")") }
            trace("cancelled \(t.isCancelled)")

            let t2 = try loop.createTask { () async throws -> Int in
                currentTask()?.cancel(message: "self")
                return 2
            }
            do { trace("value \(try await t2.value)") } catch let error as CancelledError {
                trace("self CancelledError \(error.message ?? "") \(t2.isCancelled)")
            }

            let t3 = try loop.createTask { () async throws -> Int in
                currentTask()?.cancel(message: "again")
                do { try await loop.sleep(for: .zero) } catch is CancelledError { trace("caught") }
                return 3
            }
            let three = try await t3.value
            trace("value \(three) \(t3.isCancelled)")
            return trace.events
        }
        #expect(events == [
            "CancelledError m", "cancelled true", "self CancelledError self true", "caught", "value 3 false",
        ])
    }

    /// Twin: py/outer_cancel_waits_for_inner.py
    @Test func cancellingATaskThatAwaitsAnotherWaitsForTheInnersCleanup() async throws {
        let events = try await inVirtualLoop { loop -> [String] in
            let trace = Trace()
            let inner = try loop.createTask { () async throws -> Void in
                do {
                    try await loop.sleep(for: .seconds(10))
                } catch is CancelledError {
                    trace("inner cancelled")
                    try await uncancellable {
                        try await loop.sleep(for: .zero)
                        try await loop.sleep(for: .zero)
                    }
                    trace("inner cleanup done")
                    throw CancelledError()
                }
            }
            let outer = try loop.createTask { () async throws -> Void in
                do { try await inner.value } catch is CancelledError {
                    trace("outer sees CancelledError, inner done: \(inner.isDone)")
                    throw CancelledError()
                }
            }
            try await loop.sleep(for: .zero)
            outer.cancel()
            do { try await outer.value } catch is CancelledError {
                trace("outer cancelled \(outer.isCancelled) inner cancelled \(inner.isCancelled)")
            }

            let inner2 = try loop.createTask { () async throws -> Int in
                do { try await loop.sleep(for: .seconds(10)) } catch is CancelledError { return 42 }
                return 0
            }
            let outer2 = try loop.createTask { () async throws -> Int in
                let v = try await inner2.value
                trace("outer2 got \(v)")
                return v
            }
            try await loop.sleep(for: .zero)
            outer2.cancel()
            trace("outer2 result \(try await outer2.value)")
            return trace.events
        }
        #expect(events == [
            "inner cancelled", "inner cleanup done", "outer sees CancelledError, inner done: true",
            "outer cancelled true inner cancelled true", "outer2 got 42", "outer2 result 42",
        ])
    }

    /// CPython: `loop.close()` with a pending task logs "Task was destroyed but it is pending!" and
    /// the garbage collector closes the coroutine, running its `finally` blocks.
    @Test func closingALoopCancelsPendingTasksAndRunsTheirCleanup() async throws {
        let events = try await onLoopThread { loop -> [String] in
            let trace = Trace()
            try loop.runUntilComplete {
                try loop.createTask(name: "stuck") {
                    do { try await Future<Void>(loop: loop).value } catch is CancelledError {
                        trace("cleanup ran")
                        throw CancelledError()
                    }
                }
                try await loop.sleep(for: .zero)
            }
            try loop.close()
            trace("closed")
            return trace.events
        }
        #expect(events == ["cleanup ran", "closed"])
    }
}

/// Issue 18, item 3: the context every user closure runs in.
@Suite("Callback contexts (CPython twins)")
struct CallbackContextTests {
    /// Twin: py/callback_contexts.py
    @Test func doneCallbacksRunInTheContextCapturedWhenAddedAndCallbacksKeepTheirSetsToThemselves() async throws {
        let variable = ContextVar<String>("var", default: "unset")
        let events = try await onLoopThread { loop -> [String] in
            let trace = Trace()
            try loop.runUntilComplete {
                let future = Future<Void>(loop: loop)
                variable.set("adder")
                future.addDoneCallback { _ in
                    trace("callback sees \(variable.get()!)")
                    variable.set("callback")
                }
                variable.set("after add")
                try future.setResult(())
                try await loop.sleep(for: .zero)
                trace("task sees \(variable.get()!)")
                let done = Event()
                try loop.callSoon {
                    variable.set("plain callback")
                    done.set()
                }
                try await done.wait()
                trace("task still sees \(variable.get()!)")
            }
            return trace.events
        }
        #expect(events == ["callback sees adder", "task sees after add", "task still sees after add"])
        #expect(variable.get() == "unset")  // "outside sees unset"
    }

    @Test func aCallbackScheduledBeforeAnyVariableWasSetKeepsItsSetToItself() async {
        // A fresh process: no context variable was ever set in it, so nothing is captured at scheduling.
        await #expect(processExitsWith: .success) {
            let variable = ContextVar<String>("fresh", default: "unset")
            let seen = try await onLoopThread { loop -> [String] in
                let trace = Trace()
                try loop.callSoon { variable.set("first callback") }
                try loop.callSoon { trace("second callback sees \(variable.get()!)"); loop.stop() }
                try loop.runForever()
                return trace.events
            }
            guard seen == ["second callback sees unset"], variable.get() == "unset" else { exit(1) }
        }
    }
}
