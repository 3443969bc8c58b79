@testable import Asyncio
import Testing

@Suite("Tasks")
struct TaskTests {
    @Test func taskResultAndError() async throws {
        let (value, error) = try await onLoopThread { loop -> (Int, Boom?) in
            let ok = try loop.createTask(name: "ok") { () async throws -> Int in
                try await loop.sleep(for: .zero)
                return 10
            }
            let bad = try loop.createTask(name: "bad") { () async throws -> Int in throw Boom(code: 4) }
            let value = try loop.runUntilComplete { try await ok.value }
            var caught: Boom?
            do { _ = try loop.runUntilComplete { try await bad.value } } catch let e as Boom { caught = e }
            #expect(ok.name == "ok" && ok.isDone && !ok.isCancelled)
            return (value, caught)
        }
        #expect(value == 10)
        #expect(error == Boom(code: 4))
    }

    @Test func firstStepRunsOnTheNextIterationUnlessEager() async throws {
        let events = try await onLoopThread { loop in
            let trace = Trace()
            try loop.callSoon {
                try loop.createTask { trace("lazy task") }
                try loop.createTask(eager: true) { trace("eager task") }
                trace("after createTask")
                try loop.callSoon { trace("callback scheduled after"); loop.stop() }
            }
            try loop.runForever()
            return trace.events
        }
        #expect(events == ["eager task", "after createTask", "lazy task", "callback scheduled after"])
    }

    @Test func cancelWithAMessage() async throws {
        let (error, cancelled) = try await onLoopThread(timeSource: .virtual(autoJump: true)) { loop -> (CancelledError?, Bool) in
            let task = try loop.createTask { try await loop.sleep(for: .seconds(60)) }
            try loop.callLater(.seconds(0.001)) { task.cancel(message: "shutting down") }
            var caught: CancelledError?
            do { try loop.runUntilComplete(task) } catch let e as CancelledError { caught = e }
            #expect(!task.cancel())  // already done
            return (caught, task.isCancelled)
        }
        #expect(error == CancelledError(message: "shutting down"))
        #expect(cancelled)
    }

    @Test func aTaskThatCatchesCancellationAndReturnsIsNotCancelled() async throws {
        let (value, cancelled) = try await onLoopThread(timeSource: .virtual(autoJump: true)) { loop -> (String, Bool) in
            let task = try loop.createTask { () async throws -> String in
                do {
                    try await loop.sleep(for: .seconds(60))
                    return "slept"
                } catch let error as CancelledError {
                    return "caught \(error.message ?? "")"
                }
            }
            try loop.callLater(.seconds(0.001)) { task.cancel(message: "m") }
            let value = try loop.runUntilComplete(task)
            return (value, task.isCancelled)
        }
        #expect(value == "caught m")
        #expect(!cancelled)
    }

    @Test func childrenOfTasksRunOnTheLoopThread() async throws {
        let (loopThread, seen) = try await onLoopThread(timeSource: .virtual(autoJump: true)) { loop -> (UInt, [UInt]) in
            let loopThread = currentThreadID()
            let seen = try loop.runUntilComplete { () async throws -> [UInt] in
                async let a: UInt = { try await loop.sleep(for: .zero); return currentThreadID() }()
                async let b: UInt = { currentThreadID() }()
                var threads = [currentThreadID()]
                threads += try await [a, b]
                try await withThrowingTaskGroup(of: UInt.self) { group in
                    for _ in 0..<4 {
                        group.addTask {
                            try await loop.sleep(for: .milliseconds(1))
                            return currentThreadID()
                        }
                    }
                    for try await thread in group { threads.append(thread) }
                }
                return threads
            }
            return (loopThread, seen)
        }
        #expect(seen.count == 7)
        #expect(seen.allSatisfy { $0 == loopThread })
    }

    @Test func currentTaskAndAllTasks() async throws {
        let (names, current, remaining) = try await onLoopThread(timeSource: .virtual(autoJump: true)) { loop -> ([String], String?, Int) in
            let sleeper = try loop.createTask(name: "sleeper") { try await loop.sleep(for: .seconds(60)) }
            let result = try loop.runUntilComplete { () async throws -> ([String], String?) in
                (loop.allTasks().map(\.name).sorted(), currentTask()?.name)
            }
            sleeper.cancel()
            _ = try? loop.runUntilComplete(sleeper)
            return (result.0, result.1, loop.allTasks().count)
        }
        #expect(names == ["Task-2", "sleeper"])
        #expect(current == "Task-2")
        #expect(remaining == 0)
        #expect(currentTask() == nil)
    }

    @Test func anUnretrievedTaskFailureReachesTheExceptionHandler() async throws {
        let messages = try await onLoopThread(timeSource: .virtual(autoJump: true)) { loop in
            let trace = Trace()
            loop.exceptionHandler = { _, context in trace(context.message) }
            try loop.createTask(name: "doomed") { () async throws -> Void in throw Boom() }
            try loop.runUntilComplete { try await loop.sleep(for: .milliseconds(1)) }
            return trace.events
        }
        #expect(messages == ["Task 'doomed' exception was never retrieved"])
    }
}

@Suite("Cancellation delivery")
struct CancellationDeliveryTests {
    @Test func aTaskCancelledAfterItsWakeUpWasScheduledStillSeesCancelledError() async throws {
        let events = try await onLoopThread(timeSource: .virtual(autoJump: true)) { loop in
            let trace = Trace()
            try loop.runUntilComplete {
                // Both sleeps end at t=1 in the same iteration: the sleeper's wake-up is already
                // scheduled when the canceller runs, yet the sleeper's sleep throws (asyncio semantics).
                let sleeper = try loop.createTask {
                    do {
                        try await loop.sleep(for: .seconds(1))
                        trace("sleeper woke normally")
                    } catch let error as CancelledError {
                        trace("sleeper cancelled: \(error.message ?? "")")
                    }
                }
                try await loop.sleep(for: .seconds(1))
                sleeper.cancel(message: "late")
                try await sleeper.value
            }
            return trace.events
        }
        #expect(events == ["sleeper cancelled: late"])
    }

    @Test func uncancellableCleanupRunsToTheEndInACancelledTask() async throws {
        let (events, elapsed) = try await onLoopThread(timeSource: .virtual(autoJump: true)) { loop -> ([String], Double) in
            let trace = Trace()
            let start = loop.time()
            let worker = try loop.createTask {
                do {
                    try await loop.sleep(for: .seconds(60))
                } catch let error as CancelledError {
                    trace("cleaning up")
                    // A plain sleep here would throw at once: Swift cancellation is irreversible.
                    await #expect(throws: CancelledError.self) { try await loop.sleep(for: .seconds(1)) }
                    try await loop.uncancellable { try await loop.sleep(for: .seconds(1)) }
                    trace("cleanup complete")
                    throw error
                }
            }
            try loop.callLater(.seconds(2.0)) { worker.cancel() }
            do { try loop.runUntilComplete(worker) } catch is CancelledError { trace("worker cancelled") }
            return (trace.events, loop.time() - start)
        }
        #expect(events == ["cleaning up", "cleanup complete", "worker cancelled"])
        #expect(elapsed == 3.0)
    }
}
