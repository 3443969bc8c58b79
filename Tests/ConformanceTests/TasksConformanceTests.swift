import Asyncio
import AsyncioTesting
import Testing

/// test_tasks.py and test_waitfor.py: task steps, cancellation, gather, wait, as_completed, shield,
/// wait_for, eager start.
@Suite("Conformance: tasks")
struct TasksConformanceTests {
    @Test func aTaskFirstStepRunsOnTheNextIterationInCreationOrder() async throws {
        let events = try await trace { loop, events in
            let tasks = try (1...3).map { i in
                try loop.createTask { () -> String in events("task \(i) started"); return "task \(i)" }
            }
            events("after create_task")
            var results: [String] = []
            for task in tasks { results.append(try await task.value) }
            events("results: \(pyList(results))")
        }
        #expect(events == cpythonTrace("tasks_first_step_runs_on_the_next_iteration"), "trace tasks_first_step_runs_on_the_next_iteration differs from CPython's")
    }

    @Test
    func aTaskCancelledBeforeItsFirstStepNeverRunsItsBody() async throws {
        let events = try await trace { loop, events in
            let task = try loop.createTask { () -> String in events("body started"); return "value" }
            task.cancel(message: "early")
            do { _ = try await task.value } catch { events("await: \(errorName(error))") }
            events("cancelled: \(py(task.isCancelled))")
        }
        #expect(events == cpythonTrace("tasks_cancel_before_first_step"), "trace tasks_cancel_before_first_step differs from CPython's")
    }

    @Test
    func aTaskThatCancelsItselfAndReturnsEndsCancelled() async throws {
        let events = try await trace { loop, events in
            let task = try loop.createTask { () -> String in
                currentTask()?.cancel(message: "self")
                events("body returns")
                return "value"
            }
            do { events("await: \(try await task.value)") } catch { events("await: \(errorName(error))") }
            events("cancelled: \(py(task.isCancelled))")
        }
        #expect(events == cpythonTrace("tasks_cancelling_itself_and_returning_ends_cancelled"), "trace tasks_cancelling_itself_and_returning_ends_cancelled differs from CPython's")
    }

    @Test func theCancelMessageReachesTheTaskAndItsAwaiter() async throws {
        let events = try await trace { loop, events in
            let task = try loop.createTask {
                do { try await sleep(for: .seconds(10)) } catch { events("sleeper saw \(errorName(error))"); throw error }
            }
            try await sleep(for: .zero)
            events("cancel(): \(py(task.cancel(message: "stop")))")
            do { try await task.value } catch { events("awaiter got \(errorName(error))") }
            events("cancelled: \(py(task.isCancelled)); cancel() again: \(py(task.cancel()))")
        }
        #expect(events == cpythonTrace("tasks_cancel_message_reaches_the_task_and_its_awaiter"), "trace tasks_cancel_message_reaches_the_task_and_its_awaiter differs from CPython's")
    }

    @Test func aSecondCancelOfAWaitingTaskKeepsTheFirstMessage() async throws {
        let events = try await trace { loop, events in
            let task = try loop.createTask { try await sleep(for: .seconds(10)) }
            try await sleep(for: .zero)
            task.cancel(message: "first")
            task.cancel(message: "second")
            do { try await task.value } catch { events("awaiter got \(errorName(error))") }
        }
        #expect(events == cpythonTrace("tasks_last_cancel_message_wins"), "trace tasks_last_cancel_message_wins differs from CPython's")
    }

    @Test func aTaskThatCatchesCancellationAndReturnsIsNotCancelled() async throws {
        let events = try await trace { loop, events in
            let task = try loop.createTask { () -> Int in
                do { try await sleep(for: .seconds(10)) } catch is CancelledError { events("caught the cancellation") }
                return 42
            }
            try await sleep(for: .zero)
            task.cancel()
            events("result: \(try await task.value); cancelled: \(py(task.isCancelled))")
        }
        #expect(events == cpythonTrace("tasks_catching_cancellation_and_returning_is_not_cancelled"), "trace tasks_catching_cancellation_and_returning_is_not_cancelled differs from CPython's")
    }

    /// A deliberate difference (README: `task.cancel(msg)`): Swift cancellation cannot be withdrawn, so
    /// after catching it every later wait throws again; asyncio lets the task await normally.
    @Test func tasksAwaitingAgainAfterCatchingCancellation() async throws {
        let events = try await trace { loop, events in
            let task = try loop.createTask { () -> String in
                do { try await sleep(for: .seconds(10)) } catch is CancelledError { events("caught the cancellation") }
                do {
                    try await sleep(for: .zero)
                    events("a later await: ok")
                } catch {
                    events("a later await: \(errorName(error))")
                }
                return "returned"
            }
            try await sleep(for: .zero)
            task.cancel()
            events("result: \(try await task.value); cancelled: \(py(task.isCancelled))")
        }
        expectSwiftTrace(events, "tasks_awaiting_again_after_catching_cancellation",
                         differsBecause: "Swift task cancellation is irreversible (no uncancel)")
    }

    @Test func cancellingTheAwaitedTaskCancelsItsAwaiter() async throws {
        let events = try await trace { loop, events in
            let inner = try loop.createTask { try await sleep(for: .seconds(10)) }
            let outer = try loop.createTask {
                do { try await inner.value } catch { events("outer saw \(errorName(error))"); throw error }
            }
            try await sleep(for: .zero)
            inner.cancel(message: "inner stop")
            _ = try? await outer.value
            events("inner cancelled: \(py(inner.isCancelled)); outer cancelled: \(py(outer.isCancelled))")
        }
        #expect(events == cpythonTrace("tasks_cancelling_the_awaited_task_cancels_the_awaiter"), "trace tasks_cancelling_the_awaited_task_cancels_the_awaiter differs from CPython's")
    }

    @Test
    func cancellingTheAwaiterWaitsForTheInnerTaskToFinish() async throws {
        let events = try await trace { loop, events in
            let inner = try loop.createTask {
                do { try await sleep(for: .seconds(10)) } catch {
                    events("inner saw \(errorName(error))")
                    try await uncancellable { try await sleep(for: .seconds(0.01)) }
                    events("inner cleanup done")
                    throw error
                }
            }
            let outer = try loop.createTask {
                do { try await inner.value } catch {
                    events("outer saw \(errorName(error)); inner done: \(py(inner.isDone))")
                    throw error
                }
            }
            try await sleep(for: .zero)
            outer.cancel(message: "outer stop")
            _ = try? await outer.value
            events("inner cancelled: \(py(inner.isCancelled)); outer cancelled: \(py(outer.isCancelled))")
        }
        #expect(events == cpythonTrace("tasks_cancelling_the_awaiter_waits_for_the_inner_task"), "trace tasks_cancelling_the_awaiter_waits_for_the_inner_task differs from CPython's")
    }

    @Test func aTaskErrorReachesItsAwaiterAndErrorAccessor() async throws {
        let events = try await trace { loop, events in
            let task = try loop.createTask { () async throws -> Void in
                try await sleep(for: .zero)
                throw Boom(name: "ValueError")
            }
            do { try await task.value } catch { events("await raised \(errorName(error))") }
            events("exception(): \(try task.error().map(errorName) ?? "None"); cancelled: \(py(task.isCancelled))")
        }
        #expect(events == cpythonTrace("tasks_exception_reaches_the_awaiter"), "trace tasks_exception_reaches_the_awaiter differs from CPython's")
    }

    @Test func currentTaskIsTheRunningTaskAndNamesAreKept() async throws {
        let events = try await trace { loop, events in
            let named = try loop.createTask(name: "worker") {
                events("current task name: \(currentTask()?.name ?? "none") (expected worker)")
            }
            try await named.value
            events("named: \(named.name)")
        }
        #expect(events == cpythonTrace("tasks_current_task_and_names"), "trace tasks_current_task_and_names differs from CPython's")
    }

    @Test func anEagerTaskRunsSynchronouslyUntilItsFirstSuspension() async throws {
        let events = try await trace { loop, events in
            let first = try loop.createTask(eager: true) { () -> Int in
                events("eager: before await")
                try await sleep(for: .zero)
                events("eager: after await")
                return 1
            }
            events("after create_task: done=\(py(first.isDone))")
            let second = try loop.createTask(eager: true) { () -> Int in
                events("eager: returns at once")
                return 2
            }
            events("after create_task: done=\(py(second.isDone))")
            events("results: \(try await first.value) \(try await second.value)")
        }
        #expect(events == cpythonTrace("tasks_eager_start_runs_until_the_first_suspension"), "trace tasks_eager_start_runs_until_the_first_suspension differs from CPython's")
    }

    @Test func runCoroutineThreadsafeFromAnotherThreadAndCancellingItsFuture() async throws {
        let events = try await traceOnRealLoop { loop, events in
            let started = ThreadSignal(), taskCancelled = ThreadSignal()
            let finished = Flag()
            spawnThread {
                do {
                    let doubled = try loop.runCoroutineThreadsafe { () async throws -> Int in
                        try await sleep(for: .seconds(0.01))
                        return 2 * 21
                    }
                    events("result: \(try doubled.result(timeout: .seconds(5)))")
                    do { _ = try loop.runCoroutineThreadsafe { () async throws -> Int in throw Boom() }.result(timeout: .seconds(5)) } catch {
                        events("error: \(errorName(error))")
                    }
                    let future = try loop.runCoroutineThreadsafe {
                        started.signal()
                        do { try await sleep(for: .seconds(10)) } catch {
                            try await uncancellable { try await sleep(for: .seconds(0.2)) }  // a slow cleanup
                            finished.set()
                            taskCancelled.signal()
                            throw error
                        }
                    }
                    started.wait()
                    future.cancel()
                    do { try future.result(timeout: .seconds(5)) } catch is CancelledError {
                        events("the future: cancelled; the task finished already: \(py(finished.isSet))")
                    }
                    events("the task on the loop was cancelled too: \(py(taskCancelled.wait(timeout: 5)))")
                } catch {
                    events("unexpected \(error)")
                }
                loop.stop()
            }
            try loop.runForever()
        }
        #expect(events == cpythonTrace("tasks_run_coroutine_threadsafe_from_another_thread"), "trace tasks_run_coroutine_threadsafe_from_another_thread differs from CPython's")
    }

    // MARK: gather

    @Test func gatherReturnsResultsInArgumentOrder() async throws {
        let events = try await trace { loop, events in
            @Sendable func after(_ delay: Double, _ value: String) async throws -> String {
                try await sleep(for: .seconds(delay))
                events("\(value) finished")
                return value
            }
            let (a, b, c) = try await gather({ try await after(0.03, "a") }, { try await after(0.01, "b") }, { try await after(0.02, "c") })
            events(pyList([a, b, c]))
        }
        #expect(events == cpythonTrace("tasks_gather_returns_results_in_argument_order"), "trace tasks_gather_returns_results_in_argument_order differs from CPython's")
    }

    @Test func gatherThrowsTheFirstErrorAndTheOthersKeepRunning() async throws {
        let events = try await trace { loop, events in
            let failing = try loop.createTask { () async throws -> String in
                try await sleep(for: .seconds(0.01))
                throw Boom()
            }
            let slow = try loop.createTask { () async throws -> String in
                try await sleep(for: .seconds(0.5))
                events("slow finished")
                return "slow"
            }
            do { _ = try await gather([failing, slow]) } catch {
                events("gather raised \(errorName(error)); slow done: \(py(slow.isDone))")
            }
            events("slow result: \(try await slow.value)")
        }
        #expect(events == cpythonTrace("tasks_gather_first_error_propagates_and_others_keep_running"), "trace tasks_gather_first_error_propagates_and_others_keep_running differs from CPython's")
    }

    @Test func gatherResultsCollectsEveryOutcomeInOrder() async throws {
        let events = try await trace { loop, events in
            let value = try loop.createTask { () async throws -> Int in try await sleep(for: .seconds(0.01)); return 1 }
            let failing = try loop.createTask { () async throws -> Int in throw Boom() }
            let cancelled = try loop.createTask { () async throws -> Int in try await sleep(for: .seconds(1)); return 0 }
            try loop.callSoon { cancelled.cancel() }
            let results = try await gatherResults([value, failing, cancelled])
            let shown = results.map { result -> String in
                switch result {
                case .success(let v): return "\(v)"
                case .failure(let error): return "'\(errorName(error))'"
                }
            }
            events("[\(shown.joined(separator: ", "))]")
        }
        #expect(events == cpythonTrace("tasks_gather_return_exceptions_collects_outcomes"), "trace tasks_gather_return_exceptions_collects_outcomes differs from CPython's")
    }

    @Test func cancellingTheGathererCancelsEveryChild() async throws {
        let events = try await trace { loop, events in
            let children = try (1...2).map { i in
                try loop.createTask {
                    do { try await sleep(for: .seconds(10)) } catch { events("child \(i) cancelled"); throw error }
                }
            }
            let outer = try loop.createTask {
                do { _ = try await gather(children) } catch { events("gatherer saw \(errorName(error))"); throw error }
            }
            try await sleep(for: .zero)
            outer.cancel()
            _ = try? await outer.value
            events("children cancelled: [\(children.map { py($0.isCancelled) }.joined(separator: ", "))]")
        }
        #expect(events == cpythonTrace("tasks_cancelling_gather_cancels_its_children"), "trace tasks_cancelling_gather_cancels_its_children differs from CPython's")
    }

    /// Cleanup that awaits after a cancellation runs in `uncancellable { }` in Swift (a cancelled Swift
    /// task's waits throw again; see tasksAwaitingAgainAfterCatchingCancellation).
    @Test func cancellingTheGathererWaitsForAChildToEndCancelled() async throws {
        let events = try await trace { loop, events in
            @Sendable func child(_ label: String, cleanup: Double) throws -> LoopTask<Void> {
                try loop.createTask {
                    do { try await sleep(for: .seconds(10)) } catch {
                        events("\(label) cancelled")
                        try await uncancellable { try await sleep(for: .seconds(cleanup)) }
                        events("\(label) cleanup done")
                        throw error
                    }
                }
            }
            let children = [try child("child 1", cleanup: 0.01), try child("child 2", cleanup: 0.3)]
            let outer = try loop.createTask {
                do { _ = try await gather(children) } catch { events("gatherer saw \(errorName(error))"); throw error }
            }
            try await sleep(for: .zero)
            outer.cancel()
            _ = try? await outer.value
            _ = try? await children[1].value
        }
        #expect(events == cpythonTrace("tasks_cancelling_gather_waits_for_a_child_to_end_cancelled"), "trace tasks_cancelling_gather_waits_for_a_child_to_end_cancelled differs from CPython's")
    }

    // MARK: wait, as_completed, shield

    @Test func waitReturnsDoneAndPendingAndNeverCancels() async throws {
        let events = try await trace { loop, events in
            @Sendable func after(_ delay: Double, _ label: String) throws -> LoopTask<String> {
                try loop.createTask {
                    try await sleep(for: .seconds(delay))
                    events("\(label) finished")
                    return label
                }
            }
            let a = try after(0.01, "a"), b = try after(0.03, "b")
            var (done, pending) = try await wait([a, b], returnWhen: .firstCompleted)
            events("first completed: done=\(pyList(try done.map { try $0.result() })) pending=\(pending.count)")
            let c = try after(0.5, "c")
            (done, pending) = try await wait([b, c], timeout: .milliseconds(100))
            events("timeout: done=\(pyList(try done.map { try $0.result() }.sorted())) pending=\(pending.count); c cancelled: \(py(c.isCancelled))")
            _ = try await c.value
        }
        #expect(events == cpythonTrace("tasks_wait_first_completed_leaves_the_rest_running"), "trace tasks_wait_first_completed_leaves_the_rest_running differs from CPython's")
    }

    @Test func waitFirstExceptionIgnoresCancellations() async throws {
        let events = try await trace { loop, events in
            let slow = try loop.createTask { () async throws -> String in try await sleep(for: .seconds(0.5)); return "slow" }
            let failing = try loop.createTask { () async throws -> String in try await sleep(for: .seconds(0.02)); throw Boom() }
            let cancelled = try loop.createTask { () async throws -> String in try await sleep(for: .seconds(1)); return "cancelled" }
            try loop.callLater(.seconds(0.01)) { cancelled.cancel() }
            let (done, pending) = try await wait([slow, failing, cancelled], returnWhen: .firstException)
            let failingDone = done.contains { $0 === failing }, cancelledDone = done.contains { $0 === cancelled }
            events("done: \(done.count) (failing in done: \(py(failingDone)), cancelled in done: \(py(cancelledDone))); pending: \(pending.count)")
            _ = try failing.error()
            slow.cancel()
        }
        #expect(events == cpythonTrace("tasks_wait_first_exception"), "trace tasks_wait_first_exception differs from CPython's")
    }

    @Test func asCompletedYieldsTheGivenTasksInCompletionOrder() async throws {
        let events = try await trace { loop, events in
            @Sendable func after(_ delay: Double, _ label: String) throws -> LoopTask<String> {
                try loop.createTask { try await sleep(for: .seconds(delay)); return label }
            }
            let tasks = try [after(0.3, "a"), after(0.1, "b"), after(0.2, "c")]
            for try await task in try asCompleted(tasks) {
                events("\(try task.result()) (same task object: \(py(tasks.contains { $0 === task })))")
            }
            let slow = try after(2, "slow"), fast = try after(0.1, "fast")
            do {
                for try await task in try asCompleted([slow, fast], timeout: .milliseconds(500)) {
                    events("before the timeout: \(try task.result())")
                }
            } catch is TimeoutError {
                events("TimeoutError; slow cancelled: \(py(slow.isCancelled))")
            }
            slow.cancel()
        }
        #expect(events == cpythonTrace("tasks_as_completed_yields_in_completion_order"), "trace tasks_as_completed_yields_in_completion_order differs from CPython's")
    }

    @Test func shieldProtectsTheInnerTaskFromTheAwaitersCancellation() async throws {
        let events = try await trace { loop, events in
            @Sendable func work(_ label: String, _ delay: Double) throws -> LoopTask<String> {
                try loop.createTask {
                    try await sleep(for: .seconds(delay))
                    events("\(label) finished")
                    return label
                }
            }
            let inner = try work("inner", 0.5)
            let outer = try loop.createTask { try await shield(inner) }
            try await sleep(for: .seconds(0.01))
            outer.cancel()
            do { _ = try await outer.value } catch { events("outer: \(errorName(error)); inner done: \(py(inner.isDone))") }
            events("inner result: \(try await inner.value)")

            let second = try work("second", 1)
            let awaiting = try loop.createTask { try await shield(second) }
            try await sleep(for: .seconds(0.01))
            second.cancel()
            do { _ = try await awaiting.value } catch { events("awaiter of shield(cancelled inner): \(errorName(error))") }
        }
        #expect(events == cpythonTrace("tasks_shield_protects_the_inner_task"), "trace tasks_shield_protects_the_inner_task differs from CPython's")
    }

    // MARK: wait_for

    @Test func waitForTimeoutCancelsTheWorkWaitsForItThenThrowsTimeoutError() async throws {
        let events = try await trace { loop, events in
            @Sendable func work() async throws {
                do { try await sleep(for: .seconds(10)) } catch { events("work saw \(errorName(error))"); throw error }
            }
            let start = loop.time()
            do { try await waitFor(timeout: .milliseconds(50)) { try await work() } } catch is TimeoutError {
                events("TimeoutError, not before the timeout: \(py(loop.time() - start >= 0.049))")
            }
            let task = try loop.createTask { try await work() }
            do { try await waitFor(task, timeout: .milliseconds(50)) } catch is TimeoutError {
                events("TimeoutError; task done: \(py(task.isDone)), cancelled: \(py(task.isCancelled))")
            }
        }
        #expect(events == cpythonTrace("tasks_wait_for_timeout_cancels_and_waits_for_the_work"), "trace tasks_wait_for_timeout_cancels_and_waits_for_the_work differs from CPython's")
    }

    /// Issue 18.5: a zero or negative timeout never starts the work.
    @Test func waitForWithAZeroOrNegativeTimeoutNeverStartsTheWork() async throws {
        let events = try await trace { loop, events in
            for timeout in [0, -1] {
                do {
                    _ = try await waitFor(timeout: .seconds(timeout)) { () -> String in
                        events("coroutine (timeout \(timeout)) started")
                        return "value"
                    }
                } catch is TimeoutError {
                    events("timeout \(timeout): TimeoutError")
                }
            }
            let done = try loop.createTask { () -> String in events("done task started"); return "done task" }
            try await sleep(for: .zero)
            events("done task, timeout 0: \(try await waitFor(done, timeout: .zero))")
            let pending = try loop.createTask { try await sleep(for: .seconds(10)) }
            do { try await waitFor(pending, timeout: .zero) } catch is TimeoutError {
                events("pending task, timeout 0: TimeoutError; cancelled: \(py(pending.isCancelled))")
            }
        }
        #expect(events == cpythonTrace("tasks_wait_for_zero_timeout_never_starts_the_work"), "trace tasks_wait_for_zero_timeout_never_starts_the_work differs from CPython's")
    }

    @Test func waitForReturnsAValueProducedDespiteTheTimeoutAndRethrowsOtherErrors() async throws {
        let events = try await trace { loop, events in
            @Sendable func stubborn() async -> String {
                do { try await sleep(for: .seconds(10)) } catch { return "value despite the timeout" }
                return "slept"
            }
            @Sendable func failingOnCancel() async throws -> String {
                do { try await sleep(for: .seconds(10)) } catch { throw Boom() }
                return "slept"
            }
            events(try await waitFor(timeout: .milliseconds(10)) { await stubborn() })
            events(try await waitFor(try loop.createTask { await stubborn() }, timeout: .milliseconds(10)))
            do { _ = try await waitFor(timeout: .milliseconds(10)) { try await failingOnCancel() } } catch {
                events("raised \(errorName(error))")
            }
            do { _ = try await waitFor(try loop.createTask { try await failingOnCancel() }, timeout: .milliseconds(10)) } catch {
                events("raised \(errorName(error))")
            }
        }
        #expect(events == cpythonTrace("tasks_wait_for_returns_a_value_produced_despite_the_timeout"), "trace tasks_wait_for_returns_a_value_produced_despite_the_timeout differs from CPython's")
    }

    @Test func cancellingWaitForWaitsForTheTaskToFinishAndTakesAValueItStillProduced() async throws {
        let events = try await trace { loop, events in
            @Sendable func innerBody() async throws -> String {
                do { try await sleep(for: .seconds(10)) } catch {
                    events("inner saw \(errorName(error))")
                    try await uncancellable { try await sleep(for: .seconds(0.01)) }
                    events("inner cleanup done")
                    throw error
                }
                return "slept"
            }
            @Sendable func stubborn() async throws -> String {
                do { try await sleep(for: .seconds(10)) } catch {
                    try await uncancellable { try await sleep(for: .seconds(0.01)) }
                    return "stubborn value"
                }
                return "slept"
            }
            for body in [innerBody, stubborn] {
                let inner = try loop.createTask { try await body() }
                let outer = try loop.createTask {
                    let result = try await waitFor(inner, timeout: .seconds(5))
                    events("wait_for returned \(result)")
                }
                try await sleep(for: .seconds(0.01))
                outer.cancel(message: "stop")
                do { try await outer.value } catch { events("outer: \(errorName(error)); inner done: \(py(inner.isDone))") }
            }
        }
        #expect(events == cpythonTrace("tasks_cancelling_wait_for_waits_for_the_task_to_finish"), "trace tasks_cancelling_wait_for_waits_for_the_task_to_finish differs from CPython's")
    }

    @Test func cancellingWaitForCancelsTheAwaitedTask() async throws {
        let events = try await trace { loop, events in
            let inner = try loop.createTask { try await sleep(for: .seconds(10)) }
            let outer = try loop.createTask { try await waitFor(inner, timeout: .seconds(5)) }
            try await sleep(for: .seconds(0.01))
            outer.cancel(message: "stop")
            do { try await outer.value } catch { events("outer: \(errorName(error))") }
            try await sleep(for: .zero)
            events("inner cancelled: \(py(inner.isCancelled))")
        }
        #expect(events == cpythonTrace("tasks_cancelling_wait_for_cancels_the_task"), "trace tasks_cancelling_wait_for_cancels_the_task differs from CPython's")
    }

    @Test func aTaskCancelledAfterItsWakeupWasScheduledStillGetsTheCancellation() async throws {
        let events = try await trace { loop, events in
            let future = Future<Int>(loop: loop)
            let task = try loop.createTask {
                do { events("waiter got \(try await future.value)") } catch {
                    events("waiter: \(errorName(error))")
                    throw error
                }
            }
            try await sleep(for: .zero)
            try future.setResult(1)
            task.cancel(message: "late")
            _ = try? await task.value
            events("task cancelled: \(py(task.isCancelled)); future result: \(try future.result())")
        }
        #expect(events == cpythonTrace("tasks_cancel_after_the_wakeup_was_scheduled"), "trace tasks_cancel_after_the_wakeup_was_scheduled differs from CPython's")
    }

    @Test func allTasksHoldsThePendingTasksAndCurrentTaskIsNilInACallback() async throws {
        let events = try await trace { loop, events in
            let sleeper = try loop.createTask(name: "sleeper") { try await sleep(for: .seconds(1)) }
            let done = try loop.createTask(name: "done") { try await sleep(for: .zero) }
            try await done.value
            events("pending tasks: \(pyList(loop.allTasks().map(\.name).sorted()))")
            try loop.callSoon { events("current task in a callback: \(currentTask().map { $0.name } ?? "None")") }
            try await sleep(for: .zero)
            sleeper.cancel()
        }
        #expect(events == cpythonTrace("tasks_all_tasks_and_current_task"), "trace tasks_all_tasks_and_current_task differs from CPython's")
    }
}

/// A Python list of strings as `print` shows it: `['a', 'b']`.
func pyList(_ items: [String]) -> String { "[" + items.map { "'\($0)'" }.joined(separator: ", ") + "]" }
