@testable import Asyncio
import Testing

@Suite("gather, wait, asCompleted, shield")
struct GatherAndWaitTests {
    @Test func gatherReturnsResultsInArgumentOrderConcurrently() async throws {
        let (results, elapsed) = try await inVirtualLoop { loop -> ([Int], Double) in
            let start = loop.time()
            let results = try await loop.gather([3.0, 1.0, 2.0].map { delay in
                { @Sendable () async throws -> Int in try await loop.sleep(for: .seconds(delay)); return Int(delay) }
            })
            return (results, loop.time() - start)
        }
        #expect(results == [3, 1, 2])
        #expect(elapsed == 3.0)
    }

    @Test func gatherOfDifferentTypesReturnsATuple() async throws {
        let (number, text) = try await inVirtualLoop { loop -> (Int, String) in
            try await loop.gather({ try await loop.sleep(for: .seconds(1)); return 1 }, { "two" })
        }
        #expect(number == 1 && text == "two")
    }

    @Test func gatherThrowsTheFirstErrorInTimeAndTheOthersKeepRunning() async throws {
        let (error, survivorFinished) = try await inVirtualLoop { loop -> (Boom?, Bool) in
            let slowFailure = try loop.createTask { () async throws -> Int in try await loop.sleep(for: .seconds(2)); throw Boom(code: 2) }
            let fastFailure = try loop.createTask { () async throws -> Int in try await loop.sleep(for: .seconds(1)); throw Boom(code: 1) }
            let survivor = try loop.createTask { () async throws -> Int in try await loop.sleep(for: .seconds(3)); return 3 }
            var caught: Boom?
            do { _ = try await loop.gather([slowFailure, fastFailure, survivor]) } catch let e as Boom { caught = e }
            #expect(loop.time() == 1.0)
            _ = try await survivor.value
            return (caught, survivor.isDone && !survivor.isCancelled)
        }
        #expect(error == Boom(code: 1))
        #expect(survivorFinished)
    }

    @Test func gatherResultsReturnsEveryOutcome() async throws {
        let outcomes = try await inVirtualLoop { loop -> [String] in
            let results = try await loop.gatherResults([
                { @Sendable () async throws -> Int in 1 },
                { @Sendable () async throws -> Int in throw Boom(code: 2) },
                { @Sendable () async throws -> Int in 3 },
            ])
            return results.map { result in
                switch result { case .success(let v): "ok \(v)"; case .failure(let e): "error \(e)" }
            }
        }
        #expect(outcomes == ["ok 1", "error Boom(code: 2)", "ok 3"])
    }

    @Test func gatherOfAlreadyFinishedTasks() async throws {
        let (values, error) = try await inVirtualLoop { loop -> ([Int], Boom?) in
            let done = try loop.createTask { 5 }
            let failed = try loop.createTask { () async throws -> Int in throw Boom(code: 9) }
            try await loop.sleep(for: .zero)
            let values = try await loop.gather([done, done])
            var caught: Boom?
            do { _ = try await loop.gather([done, failed]) } catch let e as Boom { caught = e }
            return (values, caught)
        }
        #expect(values == [5, 5])
        #expect(error == Boom(code: 9))
    }

    @Test func cancellingAGatherCancelsItsChildren() async throws {
        let cancelled = try await inVirtualLoop { loop -> [Bool] in
            let children = try (0..<3).map { _ in try loop.createTask { try await loop.sleep(for: .seconds(60)) } }
            let gathering = try loop.createTask { _ = try await loop.gather(children) }
            try await loop.sleep(for: .seconds(1))
            gathering.cancel()
            _ = try? await gathering.value
            for child in children { _ = try? await child.value }
            return children.map(\.isCancelled)
        }
        #expect(cancelled == [true, true, true])
    }

    @Test func waitFirstCompletedReturnsDoneAndPendingWithoutCancelling() async throws {
        let (done, pending, stillRunning) = try await inVirtualLoop { loop -> ([String], [String], Bool) in
            let tasks = try [("a", 2.0), ("b", 1.0), ("c", 3.0)].map { name, delay in
                try loop.createTask(name: name) { try await loop.sleep(for: .seconds(delay)) }
            }
            let (done, pending) = try await loop.wait(tasks, returnWhen: .firstCompleted)
            let running = pending.allSatisfy { !$0.isDone }
            for task in pending { task.cancel() }
            return (done.map(\.name), pending.map(\.name), running)
        }
        #expect(done == ["b"])
        #expect(pending == ["a", "c"])
        #expect(stillRunning)
    }

    @Test func waitFirstExceptionAndTimeout() async throws {
        let (failedFirst, timedOut) = try await inVirtualLoop { loop -> ([String], Int) in
            let ok = try loop.createTask(name: "ok") { try await loop.sleep(for: .seconds(1)) }
            let bad = try loop.createTask(name: "bad") { () async throws -> Void in try await loop.sleep(for: .seconds(2)); throw Boom() }
            let slow = try loop.createTask(name: "slow") { try await loop.sleep(for: .seconds(10)) }
            let (done, _) = try await loop.wait([ok, bad, slow], returnWhen: .firstException)
            let (_, pending) = try await loop.wait([slow], timeout: .seconds(1))
            slow.cancel()
            return (done.map(\.name), pending.count)
        }
        #expect(failedFirst == ["ok", "bad"])
        #expect(timedOut == 1)
    }

    @Test func asCompletedYieldsInCompletionOrder() async throws {
        let order = try await inVirtualLoop { loop -> [Int] in
            let tasks = try [3, 1, 2].map { n in try loop.createTask { () async throws -> Int in try await loop.sleep(for: .seconds(Double(n))); return n } }
            var order: [Int] = []
            for try await task in try loop.asCompleted(tasks) { order.append(try task.result()) }
            return order
        }
        #expect(order == [1, 2, 3])
    }

    @Test func asCompletedTimesOut() async throws {
        let (got, timedOut) = try await inVirtualLoop { loop -> ([Int], Bool) in
            let tasks = try [1, 5].map { n in try loop.createTask { () async throws -> Int in try await loop.sleep(for: .seconds(Double(n))); return n } }
            var got: [Int] = []
            var timedOut = false
            do {
                for try await task in try loop.asCompleted(tasks, timeout: .seconds(2)) { got.append(try task.result()) }
            } catch is TimeoutError {
                timedOut = true
            }
            tasks[1].cancel()
            return (got, timedOut)
        }
        #expect(got == [1])
        #expect(timedOut)
    }

    @Test func shieldKeepsTheInnerTaskRunningWhenTheOuterIsCancelled() async throws {
        let (outerCancelled, innerResult) = try await inVirtualLoop { loop -> (Bool, Int) in
            let inner = try loop.createTask { () async throws -> Int in try await loop.sleep(for: .seconds(2)); return 42 }
            let outer = try loop.createTask { try await loop.shield(inner) }
            try await loop.sleep(for: .seconds(1))
            outer.cancel()
            _ = try? await outer.value
            return (outer.isCancelled, try await inner.value)
        }
        #expect(outerCancelled)
        #expect(innerResult == 42)
    }
}
