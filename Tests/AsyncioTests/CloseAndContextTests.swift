@testable import Asyncio
#if canImport(Glibc)
import Glibc
#endif
import Testing

/// Closing a loop with pending tasks (issue 14's leak check, asyncio's "Task was destroyed but it is
/// pending"). Cancellation before the first step and awaiting a cancelled task (issue 18, items 2 and
/// 6) are in Tests/ConformanceTests with their CPython twins.
@Suite("Task cancellation at close")
struct TaskCancellationSemanticsTests {
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

/// Issue 18, item 3: a callback that captured no context (none was in use when it was scheduled) keeps
/// its `set` to itself. Done callbacks' contexts are in Tests/ConformanceTests with their CPython twin.
@Suite("Callback contexts")
struct CallbackContextTests {
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
