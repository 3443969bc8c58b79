@testable import Asyncio
import Synchronization
import Testing

/// Orders of destruction between a loop task, its future, its record and code that outlives them
/// (issue 14, item 3: `Future.deinit` read a freed `unowned(unsafe)` owner; `currentTask()` read a
/// freed task).
@Suite("Ownership and orders of destruction")
struct OwnershipTests {
    @Test func aFailedTasksFutureKeptAfterTheTaskIsDroppedStillNamesTheTaskWhenItReports() async throws {
        let reports = try await onLoopThread { loop -> [String] in
            let trace = Trace()
            loop.exceptionHandler = { _, context in trace("\(context.message) [\(context.source ?? "")]") }
            let kept = Box<Future<Int>?>(nil)
            try loop.runUntilComplete {
                let task = try loop.createTask(name: "failing") { () async throws -> Int in throw Boom() }
                try await task.waitDone()
                kept.value = task.future
            }  // the task (and whatever it owned) goes first; the future lives on
            #expect(kept.value?.isDone == true)
            kept.value = nil  // the unretrieved error is reported now, naming the freed task
            return trace.events
        }
        #expect(reports == ["Task 'failing' exception was never retrieved [Task 'failing']"])
    }

    @Test func aTaskDroppedBeforeItsFutureAndTheFutureFirstBothReportOnce() async throws {
        let reports = try await onLoopThread { loop -> [String] in
            let trace = Trace()
            loop.exceptionHandler = { _, context in trace(context.message) }
            try loop.runUntilComplete {
                // The task goes with its future (the usual order), for several tasks at once.
                for i in 0..<3 {
                    let task = try loop.createTask(name: "t\(i)") { () async throws -> Int in throw Boom() }
                    try await task.waitDone()
                }
            }
            return trace.events
        }
        #expect(reports == ["Task 't0' exception was never retrieved", "Task 't1' exception was never retrieved",
                            "Task 't2' exception was never retrieved"])
    }

    @Test func codeThatOutlivesItsLoopTaskSeesNoCurrentTaskInsteadOfAFreedOne() async throws {
        let gate = AsyncGate()
        let seen = try await onLoopThread { loop -> Task<String, Never> in
            let straggler = Box<Task<String, Never>?>(nil)
            try loop.runUntilComplete {
                let outer = try loop.createTask(name: "outer") { () async -> Task<String, Never> in
                    #expect(currentTask()?.name == "outer")
                    // A bare Task {} inherits task-locals, so it inherits the loop task's record.
                    return Task {
                        await gate.wait()
                        return currentTask()?.name ?? "none"
                    }
                }
                straggler.value = try await outer.value
            }
            return straggler.value!
        }
        // The loop task is finished and freed (its loop is closed); the straggler asks now.
        gate.open()
        #expect(await seen.value == "none")
    }

    @Test func thePendingTaskListStaysConsistentWhateverOrderTasksFinishIn() async throws {
        var generator = SystemRandomNumberGenerator()
        let order = Array(0..<40).shuffled(using: &generator)
        let mismatches = try await inVirtualLoop { loop -> Int in
            let gates = (0..<40).map { _ in Future<Void>(loop: loop) }
            let tasks = try gates.enumerated().map { i, gate in
                try loop.createTask(name: "w\(i)") { try await gate.value }
            }
            var alive = Array(0..<40)
            var mismatches = 0
            for i in order {
                try gates[i].setResult(())
                try await tasks[i].value
                alive.removeAll { $0 == i }
                let names = loop.allTasks().map(\.name).filter { $0.hasPrefix("w") }
                if names != alive.map({ "w\($0)" }) { mismatches += 1 }
            }
            return mismatches
        }
        #expect(mismatches == 0)
    }

    @Test func aTaskNobodyHoldsRunsItsChildrenAndJobsFromOtherThreadsThenIsFreed() async throws {
        // The loop's tags on queued jobs do not retain the task: what keeps it alive is its Swift task
        // (and, for its children and for Swift tasks preferring it, the runtime's hold on their preferred
        // executor). Here no one else holds it while children run and jobs come back from other threads.
        final class Watch: @unchecked Sendable { weak var task: LoopTask<Void>? }
        let (watch, events) = try await onLoopThread { loop -> (Watch, [String]) in
            let watch = Watch()
            let trace = Trace()
            try loop.runUntilComplete {
                watch.task = try loop.createTask(name: "dropped") {
                    async let a: Int = { try await loop.sleep(for: .milliseconds(2)); return 1 }()
                    async let b: Int = { try await loop.runInExecutor { 2 } }()  // resumed from a pool thread
                    let c = await Task.detached { 3 }.value  // the body's next job arrives from another thread
                    let sum = try await a + b + c
                    trace("sum \(sum) in \(currentTask()?.name ?? "none")")
                }
                // Not held here: wait for it through the registry's view only.
                while !loop.allTasks().filter({ $0.name == "dropped" }).isEmpty { try await loop.sleep(for: .milliseconds(1)) }
            }
            return (watch, trace.events)
        }
        #expect(events == ["sum 6 in dropped"])
        #expect(watch.task == nil)
    }

    @Test func closingALoopWithPendingTasksFreesThemAndTheirRecords() async throws {
        let freed = try await onLoopThread { loop -> Bool in
            final class Watch: @unchecked Sendable {
                weak var task: LoopTask<Void>?
                weak var future: Future<Void>?
                weak var record: (any TaskRecord)?  // the task itself since tasks are one object
            }
            let watch = Watch()
            let gate = Future<Void>(loop: loop)
            try loop.runUntilComplete {
                let tasks = try (0..<5).map { i in try loop.createTask(name: "p\(i)") { try await gate.value } }
                watch.task = tasks[2]
                watch.future = tasks[2].future
                watch.record = tasks[2]
                try await loop.sleep(for: .zero)
            }
            #expect(watch.task != nil)
            try loop.cancelAllTasks()
            try loop.close()
            return watch.task == nil && watch.future == nil && watch.record == nil
        }
        #expect(freed)
    }
}

/// A value that counts its live copies' owner: one canary per value, freed when the last copy goes.
private final class Canary: @unchecked Sendable {
    static let alive = Atomic<Int>(0)
    init() { Canary.alive.add(1, ordering: .relaxed) }
    deinit { Canary.alive.subtract(1, ordering: .relaxed) }
}

/// Larger than the three words a future keeps its value in: stored in a heap cell instead.
private struct BigValue {
    var canary = Canary()
    var a = 1, b = 2, c = 3, d = 4
}

@Suite("A loop task is one object", .serialized)
struct LoopTaskObjectTests {
    @Test func theTasksFutureIsTheTaskAndSettingItsResultFromOutsideThrows() async throws {
        try await onLoopThread { loop in
            try loop.runUntilComplete {
                let task = try loop.createTask(name: "t") { () async throws -> Int in
                    try await loop.sleep(for: .zero)
                    return 7
                }
                #expect(task.future === task)
                #expect(throws: InvalidStateError.self) { try task.future.setResult(1) }
                #expect(throws: InvalidStateError.self) { try task.future.setError(Boom()) }
                #expect(try await task.future.value == 7)
            }
        }
    }

    @Test func cancellingTheTasksFutureRequestsTheTasksCancellation() async throws {
        let events = try await onLoopThread { loop -> [String] in
            let trace = Trace()
            try loop.runUntilComplete {
                let task = try loop.createTask { () async throws -> Int in
                    do {
                        try await loop.sleep(for: .seconds(3600))
                    } catch let error as CancelledError {
                        trace("body saw \(error.message ?? "-")")
                        throw error
                    }
                    return 1
                }
                try await loop.sleep(for: .zero)
                let future: Future<Int> = task.future
                #expect(future.cancel(message: "stop"))
                trace("pending after cancel: \(!task.isDone)")  // a request: the body has not run yet
                await #expect(throws: CancelledError.self) { try await task.value }
                trace("cancelled: \(task.isCancelled)")
            }
            return trace.events
        }
        #expect(events == ["pending after cancel: true", "body saw stop", "cancelled: true"])
    }

    @Test func valuesSmallAndLargeAreKeptAndFreedWithTheirFuture() async throws {
        let before = Canary.alive.load(ordering: .relaxed)
        try await onLoopThread { loop in
            try loop.runUntilComplete {
                let big = try loop.createTask { BigValue() }
                let small = try loop.createTask { Canary() }
                let array = try loop.createTask { [Canary(), Canary()] }
                #expect(try await big.value.d == 4)
                #expect(try await array.value.count == 2)
                _ = try await small.value
                #expect(Canary.alive.load(ordering: .relaxed) == before + 4)
                let future = Future<BigValue>(loop: loop)
                try future.setResult(BigValue())
                #expect(try future.result().c == 3)
                #expect(future.description.hasPrefix("Future(result: BigValue("))
            }
        }
        #expect(Canary.alive.load(ordering: .relaxed) == before)
    }

    @Test func theRegistryReportsCreationOrderWhateverOrderTasksLeave() async throws {
        // Many tasks finishing in random order: the registry is unordered (a leaving task is replaced by the
        // last one), allTasks() restores creation order.
        var generator = SystemRandomNumberGenerator()
        let order = Array(0..<300).shuffled(using: &generator)
        let mismatches = try await inVirtualLoop { loop -> Int in
            let gates = (0..<300).map { _ in Future<Void>(loop: loop) }
            let tasks = try gates.enumerated().map { i, gate in
                try loop.createTask(name: "r\(i)") { try await gate.value }
            }
            try await loop.sleep(for: .zero)
            var alive = Set(0..<300)
            var mismatches = 0
            for (step, i) in order.enumerated() {
                try gates[i].setResult(())
                try await tasks[i].value
                alive.remove(i)
                guard step % 7 == 0 || alive.count < 5 else { continue }
                let names = loop.allTasks().map(\.name).filter { $0.hasPrefix("r") }
                if names != alive.sorted().map({ "r\($0)" }) { mismatches += 1 }
            }
            return mismatches
        }
        #expect(mismatches == 0)
    }

    @Test func aSecondCompletionIsIgnoredAndLeaksNothing() async throws {
        let before = Canary.alive.load(ordering: .relaxed)
        try await onLoopThread { loop in
            let future = Future<Canary>(loop: loop)
            future.complete(value: Canary())
            future.complete(value: Canary())
            future.complete(error: Boom())
            #expect(!future.isCancelled && (try? future.result()) != nil)
        }
        #expect(Canary.alive.load(ordering: .relaxed) == before)
    }
}

/// A one-shot gate an async task can wait on and any thread can open.
final class AsyncGate: Sendable {
    private struct State: ~Copyable {
        var isOpen = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }
    private let state = Mutex(State())

    func wait() async {
        await withCheckedContinuation { continuation in
            let resumeNow = state.withLock { state -> Bool in
                if state.isOpen { return true }
                state.waiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    func open() {
        let woken = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.isOpen = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in woken { waiter.resume() }
    }
}
