@testable import Asyncio
import Testing

// The confinement rule for orchestration: every loop method (gather, wait, timeouts, task groups, ...)
// and every member of the objects they hand out (a timeout scope, a task group, an as-completed
// sequence) used from a thread that is not the loop's is a precondition failure naming the call; so
// is giving them a task of another loop. Each exit test runs in a child process.

/// Every public orchestration entry point reached through a loop or an object it handed out.
enum OrchestrationEntryPoint: CaseIterable, Codable, Sendable {
    case gatherTasks, gatherFutures, gatherOperations, gatherPack, gatherResultsTasks, gatherResultsOperations
    case wait, asCompleted, asCompletedNext, shieldTask, shieldOperation, taskGroup, taskGroupCreateTask
    case retrying, timed, withTimeout, withDeadline, waitForBody, waitForTask
    case scopeRescheduleTo, scopeRescheduleAfter, scopeExpired, scopeDeadline

    /// The name the precondition failure must give.
    var call: String {
        switch self {
        case .gatherTasks, .gatherFutures, .gatherOperations, .gatherPack: return "gather"
        case .gatherResultsTasks, .gatherResultsOperations: return "gatherResults"
        case .wait: return "wait"
        case .asCompleted: return "asCompleted"
        case .asCompletedNext: return "AsCompleted.next"
        case .shieldTask, .shieldOperation: return "shield"
        case .taskGroup: return "taskGroup"
        case .taskGroupCreateTask: return "LoopTaskGroup.createTask"
        case .retrying: return "retrying"
        case .timed: return "timed"
        case .withTimeout: return "withTimeout"
        case .withDeadline: return "withDeadline"
        case .waitForBody, .waitForTask: return "waitFor"
        case .scopeRescheduleTo, .scopeRescheduleAfter: return "TimeoutScope.reschedule"
        case .scopeExpired: return "TimeoutScope.expired"
        case .scopeDeadline: return "TimeoutScope.deadline"
        }
    }

    /// Gets a loop (with a finished task, a future, and the objects its calls hand out) from another
    /// (live) thread, and calls the entry point here.
    func callOffItsLoop() async throws {
        let (loop, task, future, scope, group, sequence) = try await inLoopOnAParkedThread { loop in
            let task = try loop.createTask { 1 }
            _ = try await task.value
            let future = Future<Int>(loop: loop)
            try future.setResult(2)
            let scope = try await loop.withTimeout(.seconds(60)) { scope in scope }
            let group = try await loop.taskGroup { group in group }
            let sequence = try loop.asCompleted([task])
            return (loop, task, future, scope, group, sequence)
        }
        switch self {
        case .gatherTasks: _ = try await loop.gather([task])
        case .gatherFutures: _ = try await loop.gather([future])
        case .gatherOperations: _ = try await loop.gather([{ 1 }])
        case .gatherPack: _ = try await loop.gather({ 1 }, { "two" })
        case .gatherResultsTasks: _ = try await loop.gatherResults([task])
        case .gatherResultsOperations: _ = try await loop.gatherResults([{ 1 }])
        case .wait: _ = try await loop.wait([task])
        case .asCompleted: _ = try loop.asCompleted([task])
        case .asCompletedNext:
            var iterator = sequence.makeAsyncIterator()
            _ = try await iterator.next()
        case .shieldTask: _ = try await loop.shield(task)
        case .shieldOperation: _ = try await loop.shield { 1 }
        case .taskGroup: _ = try await loop.taskGroup { _ in 1 }
        case .taskGroupCreateTask: try group.createTask { 1 }
        case .retrying: _ = try await loop.retrying(attempts: 1) { 1 }
        case .timed: _ = try await loop.timed { 1 }
        case .withTimeout: _ = try await loop.withTimeout(.seconds(1)) { _ in 1 }
        case .withDeadline: _ = try await loop.withDeadline(nil) { _ in 1 }
        case .waitForBody: _ = try await loop.waitFor(timeout: .seconds(1)) { 1 }
        case .waitForTask: _ = try await loop.waitFor(task, timeout: .seconds(1))
        case .scopeRescheduleTo: scope.reschedule(to: nil)
        case .scopeRescheduleAfter: scope.reschedule(after: .seconds(1))
        case .scopeExpired: _ = scope.expired
        case .scopeDeadline: _ = scope.deadline
        }
    }
}

/// The orchestration calls that take tasks: given a task of another loop, each traps.
enum ForeignTaskUse: CaseIterable, Codable, Sendable {
    case gather, gatherFutures, gatherResults, wait, asCompleted, shield, waitFor

    /// The name the precondition failure must give.
    var call: String { self == .gatherFutures ? "gather" : "\(self)" }

    func call(on loop: EventLoop, with task: LoopTask<Int>) async throws {
        switch self {
        case .gather: _ = try await loop.gather([task])
        case .gatherFutures: _ = try await loop.gather([task.future])
        case .gatherResults: _ = try await loop.gatherResults([task])
        case .wait: _ = try await loop.wait([task])
        case .asCompleted: _ = try loop.asCompleted([task])
        case .shield: _ = try await loop.shield(task)
        case .waitFor: _ = try await loop.waitFor(task, timeout: .seconds(1))
        }
    }
}

@Suite("Confinement: orchestration")
struct ConfinementOrchestrationTests {
    @Test("Every orchestration entry point traps off its loop's thread", arguments: OrchestrationEntryPoint.allCases)
    func orchestrationOffTheLoopThreadTraps(_ entry: OrchestrationEntryPoint) async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) { [entry] in
            try await entry.callOffItsLoop()
        }
        #expect(standardError(result).contains("\(entry.call) was called on thread"))
    }

    @Test("A task of another loop given to an orchestration call traps", arguments: ForeignTaskUse.allCases)
    func aTaskOfAnotherLoopTraps(_ use: ForeignTaskUse) async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) { [use] in
            let foreign = try await inLoopOnAnotherThread { loop in try loop.createTask { 1 } }
            try await inLoopOnAnotherThread { loop in try await use.call(on: loop, with: foreign) }
        }
        #expect(standardError(result).contains("\(use.call): a task or future given to it belongs to a different event loop"))
    }

    @Test func theFreeFunctionsUseTheCallingThreadsLoopAndThrowOutsideOne() async throws {
        // gather/taskGroup/withTimeout/waitFor without a loop: the running loop of this thread, so they
        // cannot reach another thread's loop; with none running they throw as asyncio's RuntimeError.
        await #expect(throws: EventLoopError.noRunningLoop) { _ = try await gather([{ 1 }]) }
        await #expect(throws: EventLoopError.noRunningLoop) { _ = try await taskGroup { _ in 1 } }
        await #expect(throws: EventLoopError.noRunningLoop) { _ = try await withTimeout(nil) { _ in 1 } }
        await #expect(throws: EventLoopError.noRunningLoop) { _ = try await waitFor(timeout: nil) { 1 } }
        let results = try await inLoopOnAnotherThread { _ in try await gather([{ 1 }, { 2 }]) }
        #expect(results == [1, 2])
    }
}
