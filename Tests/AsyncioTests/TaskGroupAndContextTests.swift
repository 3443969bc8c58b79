@testable import Asyncio
import Testing

@Suite("Task groups")
struct TaskGroupTests {
    @Test func allChildrenCompleteAndTheBodyValueIsReturned() async throws {
        let (value, finished) = try await inVirtualLoop { loop -> (String, [Int]) in
            let finished = Box<[Int]>([])
            let value = try await loop.taskGroup { group in
                for i in 1...3 {
                    try group.createTask { try await loop.sleep(for: .seconds(Double(i))); finished.value.append(i) }
                }
                return "body done"
            }
            return (value, finished.value)
        }
        #expect(value == "body done")
        #expect(finished == [1, 2, 3])
    }

    @Test func aFailingChildCancelsSiblingsAndErrorsAreAggregated() async throws {
        let (errors, siblingCancelled, elapsed) = try await inVirtualLoop { loop -> ([String], Bool, Double) in
            let sibling = Box<LoopTask<Void>?>(nil)
            do {
                try await loop.taskGroup { group in
                    try group.createTask { () async throws -> Void in try await loop.sleep(for: .seconds(1)); throw Boom(code: 1) }
                    try group.createTask { () async throws -> Void in
                        do { try await loop.sleep(for: .seconds(1)) } catch {}
                        throw Boom(code: 2)  // fails while being cancelled: reported too
                    }
                    sibling.value = try group.createTask { try await loop.sleep(for: .seconds(60)) }
                }
                return ([], false, 0)
            } catch let group as ExceptionGroup {
                return (group.errors.map { "\($0)" }, sibling.value?.isCancelled ?? false, loop.time())
            }
        }
        #expect(errors == ["Boom(code: 1)", "Boom(code: 2)"])
        #expect(siblingCancelled)
        #expect(elapsed == 1.0)
    }

    @Test func aFailingChildCancelsTheBody() async throws {
        let bodySawCancellation = try await inVirtualLoop { loop -> Bool in
            let saw = Box(false)
            _ = try? await loop.taskGroup { group in
                try group.createTask { () async throws -> Void in throw Boom() }
                do { try await loop.sleep(for: .seconds(60)) } catch is CancelledError { saw.value = true; throw CancelledError() }
            }
            return saw.value
        }
        #expect(bodySawCancellation)
    }

    @Test func cancellingTheCallerCancelsChildrenAndThrowsCancelledError() async throws {
        let (outcome, childCancelled) = try await inVirtualLoop { loop -> (String, Bool) in
            let child = Box<LoopTask<Void>?>(nil)
            let runner = try loop.createTask { () async throws -> String in
                do {
                    try await loop.taskGroup { group in
                        child.value = try group.createTask { try await loop.sleep(for: .seconds(60)) }
                        try await loop.sleep(for: .seconds(60))
                    }
                    return "returned"
                } catch is CancelledError { return "cancelled" }
            }
            try await loop.sleep(for: .seconds(1))
            runner.cancel()
            return (try await runner.value, child.value?.isCancelled ?? false)
        }
        #expect(outcome == "cancelled")
        #expect(childCancelled)
    }

    @Test func addingToAFinishedGroupThrows() async throws {
        try await inVirtualLoop { loop in
            let escaped = Box<LoopTaskGroup?>(nil)
            try await loop.taskGroup { group in escaped.value = group }
            #expect(throws: TaskGroupClosedError(reason: "finished")) { try escaped.value?.createTask {} }
        }
    }
}

@Suite("Context variables")
struct ContextVarTests {
    static let requestID = ContextVar<String>("request_id", default: "unknown")

    @Test func eachTaskHasItsOwnCopy() async throws {
        let seen = try await inVirtualLoop { loop -> [String] in
            let requestID = ContextVarTests.requestID
            let trace = Trace()
            requestID.set("parent")
            let tasks = try ["req-1", "req-2"].map { id in
                try loop.createTask {
                    trace("\(id) starts with \(requestID.get() ?? "nil")")
                    requestID.set(id)
                    try await loop.sleep(for: .seconds(1))
                    trace("\(id) sees \(requestID.get() ?? "nil")")
                }
            }
            for task in tasks { try await task.value }
            trace("parent sees \(requestID.get() ?? "nil")")
            return trace.events
        }
        #expect(seen == ["req-1 starts with parent", "req-2 starts with parent", "req-1 sees req-1", "req-2 sees req-2", "parent sees parent"])
    }

    @Test func callbacksRunInTheContextCapturedWhenScheduled() async throws {
        let seen = try await inVirtualLoop { loop -> [String] in
            let variable = ContextVar<Int>("n", default: 0)
            let trace = Trace()
            variable.set(1)
            try loop.callSoon { trace("soon \(variable.get()!)"); variable.set(99) }
            try loop.callLater(.seconds(1)) { trace("later \(variable.get()!)") }
            variable.set(2)
            try loop.callSoonThreadsafe { trace("threadsafe \(variable.get()!)") }
            try await loop.sleep(for: .seconds(2))
            trace("task \(variable.get()!)")
            return trace.events
        }
        #expect(seen == ["soon 1", "threadsafe 2", "later 1", "task 2"])
    }

    @Test func resetRestoresThePreviousValue() async throws {
        let values = try await inVirtualLoop { _ -> [String] in
            let variable = ContextVar<String>("v")
            let first = variable.set("a")
            let second = variable.set("b")
            var values = [variable.get() ?? "nil"]
            variable.reset(second)
            values.append(variable.get() ?? "nil")
            variable.reset(first)
            values.append(variable.get() ?? "nil")
            return values
        }
        #expect(values == ["b", "a", "nil"])
    }
}

@Suite("retrying and timed")
struct RetryingTests {
    @Test func retriesWithBackoffThenSucceeds() async throws {
        let (value, attempts, elapsed) = try await inVirtualLoop { loop -> (String, [Int], Double) in
            let calls = Box(0)
            let seen = Box<[Int]>([])
            let value = try await loop.retrying(attempts: 3, delay: .seconds(1), backoff: 2, onRetry: { n, _ in seen.value.append(n) }) {
                calls.value += 1
                if calls.value < 3 { throw Boom(code: calls.value) }
                return "Success"
            }
            return (value, seen.value, loop.time())
        }
        #expect(value == "Success")
        #expect(attempts == [1, 2])
        #expect(elapsed == 3.0)
    }

    @Test func theLastErrorIsRethrown() async throws {
        try await inVirtualLoop { loop in
            let calls = Box(0)
            await #expect(throws: Boom(code: 2)) {
                try await loop.retrying(attempts: 2) { () async throws -> Int in calls.value += 1; throw Boom(code: calls.value) }
            }
        }
    }

    @Test func timedMeasuresLoopTime() async throws {
        let duration = try await inVirtualLoop { loop in
            try await loop.timed { try await loop.sleep(for: .seconds(1.5)) }.duration
        }
        #expect(duration == .milliseconds(1500))
    }
}
