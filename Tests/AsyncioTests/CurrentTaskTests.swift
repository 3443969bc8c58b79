@testable import Asyncio
import Testing

/// Where ``currentTask()`` and context variables find the loop task: every job of a loop task, and of
/// its `async let` and task-group children, runs with the task as its Swift task's executor.
@Suite("currentTask() and the task's context, wherever its code runs")
struct CurrentTaskTests {
    @Test func childrenOfALoopTaskSeeItsTaskAndShareItsContext() async throws {
        let events = try await inVirtualLoop { loop -> [String] in
            let variable = ContextVar<String>("v", default: "unset")
            let trace = Trace()
            let task = try loop.createTask(name: "parent") {
                variable.set("parent's")
                async let child: String = {
                    try await loop.sleep(for: .zero)
                    return "async let: \(currentTask()?.name ?? "none"), \(variable.get()!)"
                }()
                let groupChildren = try await withThrowingTaskGroup(of: String.self) { group in
                    group.addTask {
                        try await loop.sleep(for: .zero)
                        variable.set("set by a group child")
                        return "group child: \(currentTask()?.name ?? "none")"
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                trace(try await child)
                for line in groupChildren { trace(line) }
                trace("parent after its children: \(variable.get()!)")
                try await loop.withTimeout(.seconds(5)) { _ in trace("withTimeout body: \(currentTask()?.name ?? "none")") }
                try await loop.taskGroup { _ in trace("taskGroup body: \(currentTask()?.name ?? "none")") }
            }
            try await task.value
            return trace.events
        }
        #expect(events == [
            "async let: parent, parent's", "group child: parent", "parent after its children: set by a group child",
            "withTimeout body: parent", "taskGroup body: parent",
        ])
    }

    @Test func anEagerTasksFirstStepIsAStepOfThatTask() async throws {
        let names = try await inVirtualLoop { loop -> [String] in
            let trace = Trace()
            let creator = try loop.createTask(name: "creator") {
                let eager = try loop.createTask(name: "eager", eager: true) {
                    trace("first step: \(currentTask()?.name ?? "none")")
                    try await loop.sleep(for: .zero)
                    trace("second step: \(currentTask()?.name ?? "none")")
                }
                trace("back in the creator: \(currentTask()?.name ?? "none")")
                try await eager.value
            }
            try await creator.value
            return trace.events
        }
        #expect(names == ["first step: eager", "back in the creator: creator", "second step: eager"])
    }

    @Test func codeThatIsNotPartOfALoopTaskSeesNone() async throws {
        let events = try await onLoopThread { loop -> [String] in
            let trace = Trace()
            try loop.runUntilComplete {
                try loop.callSoon { trace("callback: \(currentTask()?.name ?? "none")") }
                let plain = Task(executorPreference: loop) { currentTask()?.name ?? "none" }
                trace("Task(executorPreference: loop): \(await plain.value)")
                let offLoop = Task.detached { currentTask()?.name ?? "none" }
                trace("detached: \(await offLoop.value)")
            }
            return trace.events
        }
        #expect(events == ["callback: none", "Task(executorPreference: loop): none", "detached: none"])
    }

    @Test func aSwiftTaskPreferringALoopTaskRunsAsPartOfItUntilItEnds() async throws {
        let events = try await inVirtualLoop { loop -> [String] in
            let trace = Trace()
            let gate = Future<Void>(loop: loop)
            let owner = try loop.createTask(name: "owner") { try await gate.value }
            let during = Task(executorPreference: owner) { currentTask()?.name ?? "none" }
            trace("while pending: \(await during.value)")
            try gate.setResult(())
            try await owner.value
            let after = Task(executorPreference: owner) { currentTask()?.name ?? "none" }
            trace("after it ended: \(await after.value)")
            return trace.events
        }
        #expect(events == ["while pending: owner", "after it ended: none"])
    }
}
