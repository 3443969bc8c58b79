@testable import Asyncio
import Testing

/// Issue 18.12: every orchestration call exists as a free function on the running loop and as an
/// `EventLoop` method, with the same name and arguments (the README's rule). Each pair is called once
/// here, both ways, so a missing half does not compile.
@Suite("Orchestration: free functions and loop methods in pairs")
struct OrchestrationPairsTests {
    @Test func everyOrchestrationCallExistsAsAFreeFunctionAndAsALoopMethod() async throws {
        let results = try await inVirtualLoop { loop -> [String] in
            var seen: [String] = []
            func task(_ value: Int) throws -> LoopTask<Int> { try loop.createTask { value } }

            _ = try await (gather([try task(1)]), loop.gather([try task(1)]))
            let future = Future<Int>(loop: loop)
            try future.setResult(1)
            _ = try await (gather([future]), loop.gather([future]))
            _ = try await (gather([{ 1 }]), loop.gather([{ 1 }]))
            _ = try await (gather({ 1 }, { "a" }), loop.gather({ 1 }, { "a" }))
            _ = try await (gatherResults([try task(1)]), loop.gatherResults([try task(1)]))
            _ = try await (gatherResults([{ 1 }]), loop.gatherResults([{ 1 }]))
            seen.append("gather")

            _ = try await (waitFor(timeout: .seconds(1)) { 1 }, loop.waitFor(timeout: .seconds(1)) { 1 })
            _ = try await (waitFor(try task(1), timeout: .seconds(1)), loop.waitFor(try task(1), timeout: .seconds(1)))
            _ = try await (withTimeout(.seconds(1)) { _ in 1 }, loop.withTimeout(.seconds(1)) { _ in 1 })
            let deadline = loop.clock.now.advanced(by: .seconds(1))
            _ = try await (withDeadline(deadline) { _ in 1 }, loop.withDeadline(deadline) { _ in 1 })
            seen.append("timeouts")

            _ = try await (wait([try task(1)]), loop.wait([try task(1)], timeout: .seconds(1), returnWhen: .firstCompleted))
            for try await _ in try asCompleted([try task(1)], timeout: .seconds(1)) {}
            for try await _ in try loop.asCompleted([try task(1)]) {}
            _ = try await (shield(try task(1)), loop.shield(try task(1)))
            _ = try await (shield { 1 }, loop.shield { 1 })
            _ = try await (taskGroup { _ in 1 }, loop.taskGroup { _ in 1 })
            seen.append("wait, asCompleted, shield, taskGroup")

            try await sleep(for: .zero)
            try await loop.sleep(for: .zero)
            try await sleep(for: .seconds(0))
            try await loop.sleep(for: .seconds(0))
            try await sleep(until: loop.clock.now)
            try await loop.sleep(until: loop.clock.now)
            _ = try await (uncancellable { 1 }, loop.uncancellable { 1 })
            _ = try await (toThread { 1 }, loop.toThread { 1 })
            _ = try await (retrying(attempts: 1) { 1 }, loop.retrying(attempts: 1) { 1 })
            _ = try await (timed { 1 }, loop.timed { 1 })
            _ = try await (createTask { 1 }.value, loop.createTask { 1 }.value)
            seen.append("sleep, uncancellable, toThread, retrying, timed, createTask")
            return seen
        }
        #expect(results.count == 4)
    }

    /// Issue 17: `currentTask` and `allTasks` complete their pairs (asyncio's `current_task()` and
    /// `all_tasks()` are module functions that also take a loop).
    @Test func currentTaskAndAllTasksExistBothWays() async throws {
        let (same, names) = try await inVirtualLoop { loop -> (Bool, [String]) in
            let task = try loop.createTask(name: "probe") { () -> Bool in
                currentTask() === loop.currentTask() && loop.currentTask()?.name == "probe"
            }
            let names = try allTasks().map(\.name)
            #expect(names == loop.allTasks().map(\.name))
            return (try await task.value, names)
        }
        #expect(same)
        #expect(names.contains("probe"))
        #expect(throws: EventLoopError.noRunningLoop) { try allTasks() }
    }

    @Test func freeFunctionsOutsideALoopThrowNoRunningLoop() async throws {
        await #expect(throws: EventLoopError.noRunningLoop) { try await withDeadline(nil) { _ in 1 } }
        await #expect(throws: EventLoopError.noRunningLoop) { try await sleep(for: .zero) }
        #expect(throws: EventLoopError.noRunningLoop) { try createTask { 1 } }
    }
}
