import Asyncio
import AsyncioTesting
import Testing

/// test_taskgroups.py: `async with asyncio.TaskGroup()` as ``taskGroup(_:)``.
@Suite("Conformance: task groups")
struct TaskGroupsConformanceTests {
    @Test func theGroupEndsOnceTheBodyAndEveryChildAreDone() async throws {
        let events = try await trace { loop, events in
            @Sendable func child(_ delay: Double, _ label: String) async throws -> String {
                try await sleep(for: .seconds(delay))
                events("\(label) finished")
                return label
            }
            let (t1, t2) = try await taskGroup { group in
                let t1 = try group.createTask { try await child(0.2, "child 1") }
                let t2 = try group.createTask { try await child(0.1, "child 2") }
                events("body done")
                return (t1, t2)
            }
            events("after the block: \(try t1.result()), \(try t2.result())")
        }
        #expect(events == cpythonTrace("taskgroups_waits_for_every_child"), "trace taskgroups_waits_for_every_child differs from CPython's")
    }

    @Test func aFailingChildCancelsItsSiblingsThenTheBody() async throws {
        let events = try await trace { loop, events in
            do {
                try await taskGroup { group in
                    try group.createTask { () async throws -> Void in
                        try await sleep(for: .seconds(0.01))
                        throw Boom()
                    }
                    try group.createTask {
                        do { try await sleep(for: .seconds(10)) } catch { events("sibling cancelled"); throw error }
                    }
                    do { try await sleep(for: .seconds(10)) } catch { events("body cancelled"); throw error }
                }
            } catch {
                events("raised \(errorName(error))")
            }
        }
        #expect(events == cpythonTrace("taskgroups_a_failing_child_cancels_siblings_and_body"), "trace taskgroups_a_failing_child_cancels_siblings_and_body differs from CPython's")
    }

    /// Issue 18.4: the children's errors first, the body's last.
    @Test func theErrorGroupListsTheChildrensErrorsThenTheBodys() async throws {
        let events = try await trace { loop, events in
            @Sendable func failing(_ delay: Double, _ label: String) async throws {
                try await sleep(for: .seconds(delay))
                throw Boom(name: label)
            }
            do {
                try await taskGroup { group in
                    try group.createTask { try await failing(0.01, "child error") }
                    do { try await sleep(for: .seconds(10)) } catch is CancelledError { throw Boom(name: "body error") }
                }
            } catch {
                events("body fails after a child: \(errorName(error))")
            }
            do {
                try await taskGroup { group in
                    try group.createTask { try await failing(0.01, "child error") }
                    throw Boom(name: "body error")
                }
            } catch {
                events("body fails first: \(errorName(error))")
            }
        }
        #expect(events == cpythonTrace("taskgroups_errors_children_first_then_the_body"), "trace taskgroups_errors_children_first_then_the_body differs from CPython's")
    }

    @Test func everyChildErrorIsKeptInTheOrderTheyFailed() async throws {
        let events = try await trace { loop, events in
            do {
                try await taskGroup { group in
                    try group.createTask { () async throws -> Void in
                        do { try await sleep(for: .seconds(10)) } catch { throw Boom(name: "error while cancelled") }
                    }
                    try group.createTask { () async throws -> Void in
                        try await sleep(for: .seconds(0.5))
                        throw Boom(name: "second")
                    }
                    try group.createTask { () async throws -> Void in
                        try await sleep(for: .seconds(0.01))
                        throw Boom(name: "first")
                    }
                }
            } catch {
                events(errorName(error))
            }
        }
        #expect(events == cpythonTrace("taskgroups_children_errors_in_the_order_they_failed"), "trace taskgroups_children_errors_in_the_order_they_failed differs from CPython's")
    }

    /// asyncio's `RuntimeError("TaskGroup ... is shutting down" / "is finished")` is
    /// ``TaskGroupClosedError`` with that reason.
    @Test func createTaskThrowsOnceTheGroupIsShuttingDownOrFinished() async throws {
        let events = try await trace { loop, events in
            let escaped = Box<LoopTaskGroup?>(nil)
            do {
                try await taskGroup { group in
                    escaped.value = group
                    try group.createTask { () async throws -> Void in throw Boom() }
                    do { try await sleep(for: .seconds(10)) } catch {
                        do { try group.createTask { try await sleep(for: .zero) } } catch let closed as TaskGroupClosedError {
                            events("while shutting down: RuntimeError (\(closed.reason.split(separator: " ").last!))")
                        }
                        throw error
                    }
                }
            } catch {
                events("raised \(errorName(error))")
            }
            do { try escaped.value!.createTask { try await sleep(for: .zero) } } catch let closed as TaskGroupClosedError {
                events("after the block: RuntimeError (\(closed.reason.split(separator: " ").last!))")
            }
        }
        #expect(events == cpythonTrace("taskgroups_no_new_tasks_once_shutting_down"), "trace taskgroups_no_new_tasks_once_shutting_down differs from CPython's")
    }

    @Test func cancellingTheParentCancelsTheChildrenAndThrowsCancelledError() async throws {
        let events = try await trace { loop, events in
            // CPython cancels the children in set order (addresses): the trace records the set, sorted.
            let cancelled = Box<[String]>([])
            let task = try loop.createTask {
                do {
                    try await taskGroup { group in
                        for i in 1...2 {
                            try group.createTask {
                                do { try await sleep(for: .seconds(10)) } catch { cancelled.value.append("child \(i)"); throw error }
                            }
                        }
                        try await sleep(for: .seconds(10))
                    }
                } catch {
                    events("children cancelled: \(cancelled.value.sorted().joined(separator: ", "))")
                    events("the block raised \(errorName(error))")
                    throw error
                }
            }
            try await sleep(for: .seconds(0.01))
            task.cancel()
            _ = try? await task.value
            events("runner cancelled: \(py(task.isCancelled))")
        }
        #expect(events == cpythonTrace("taskgroups_cancelling_the_parent_cancels_the_children"), "trace taskgroups_cancelling_the_parent_cancels_the_children differs from CPython's")
    }

    @Test func aChildCancelledOnItsOwnIsNotAnError() async throws {
        let events = try await trace { loop, events in
            let doomed = try await taskGroup { group in
                let doomed = try group.createTask { try await sleep(for: .seconds(10)); events("doomed finished") }
                try group.createTask { try await sleep(for: .seconds(0.02)); events("sibling finished") }
                try await sleep(for: .seconds(0.01))
                doomed.cancel()
                return doomed
            }
            events("the block ended normally; doomed cancelled: \(py(doomed.isCancelled))")
        }
        #expect(events == cpythonTrace("taskgroups_a_cancelled_child_is_not_an_error"), "trace taskgroups_a_cancelled_child_is_not_an_error differs from CPython's")
    }

    @Test func childErrorsWinOverTheParentsCancellation() async throws {
        let events = try await trace { loop, events in
            let task = try loop.createTask {
                try await taskGroup { group in
                    try group.createTask { () async throws -> Void in
                        do { try await sleep(for: .seconds(10)) } catch { throw Boom(name: "failed while cancelled") }
                    }
                    try await sleep(for: .seconds(10))
                }
            }
            try await sleep(for: .seconds(0.01))
            task.cancel()
            do { try await task.value } catch { events("runner raised \(errorName(error))") }
        }
        #expect(events == cpythonTrace("taskgroups_errors_win_over_the_parents_cancellation"), "trace taskgroups_errors_win_over_the_parents_cancellation differs from CPython's")
    }

    @Test func aChildCanAddTasksWhileTheGroupWaitsForItsChildren() async throws {
        let events = try await trace { loop, events in
            try await taskGroup { group in
                try group.createTask {
                    try await sleep(for: .seconds(0.01))
                    try group.createTask {
                        try await sleep(for: .seconds(0.01))
                        events("late task finished")
                    }
                    events("spawner added a task")
                }
                events("body returns")
            }
            events("the block ended after the late task")
        }
        #expect(events == cpythonTrace("taskgroups_a_child_can_add_tasks_while_the_group_waits"), "trace taskgroups_a_child_can_add_tasks_while_the_group_waits differs from CPython's")
    }
}
