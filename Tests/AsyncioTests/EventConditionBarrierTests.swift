@testable import Asyncio
import Testing

@Suite("Event")
struct EventTests {
    @Test func setWakesEveryWaiterInOrder() async throws {
        let order = try await inVirtualLoop { loop in
            let event = Event(), trace = Trace()
            let waiters = try (1...3).map { i in
                try loop.createTask {
                    trace("\(i) waiting")
                    try await event.wait()
                    trace("\(i) woke")
                }
            }
            try await loop.sleep(for: .seconds(2))
            trace("set")
            event.set()
            for waiter in waiters { try await waiter.value }
            #expect(event.isSet)
            event.clear()
            #expect(!event.isSet)
            return trace.events
        }
        #expect(order == ["1 waiting", "2 waiting", "3 waiting", "set", "1 woke", "2 woke", "3 woke"])
    }

    @Test func waitOnASetEventReturnsAtOnce() async throws {
        try await inVirtualLoop { _ in
            let event = Event()
            event.set()
            try await event.wait()
        }
    }
}

@Suite("Condition")
struct ConditionTests {
    @Test func notifyWakesOneWaiterWhichReacquiresTheLock() async throws {
        let order = try await inVirtualLoop { loop in
            let condition = Condition(), trace = Trace()
            let items = Box<[Int]>([])
            let consumers = try (0..<2).map { i in
                try loop.createTask {
                    try await condition.withLock {
                        _ = try await condition.waitFor { !items.value.isEmpty }
                        #expect(condition.isLocked)
                        trace("consumer \(i) got \(items.value.removeFirst())")
                    }
                }
            }
            for value in [10, 20] {
                try await loop.sleep(for: .seconds(1))
                try await condition.withLock {
                    items.value.append(value)
                    try condition.notify()
                }
            }
            for consumer in consumers { try await consumer.value }
            return trace.events
        }
        #expect(order == ["consumer 0 got 10", "consumer 1 got 20"])
    }

    @Test func aCancelledWaitReacquiresTheLockBeforeThrowing() async throws {
        let heldWhenCancelled = try await inVirtualLoop { loop -> Bool in
            let condition = Condition()
            let waiter = try loop.createTask { () async throws -> Bool in
                try await condition.acquire()
                do {
                    try await condition.wait()
                    return false
                } catch is CancelledError {
                    let held = condition.isLocked
                    try condition.release()
                    return held
                }
            }
            try await loop.sleep(for: .zero)
            // Hold the lock while the waiter is cancelled: it must wait for it before throwing.
            try await condition.acquire()
            waiter.cancel()
            try await loop.sleep(for: .seconds(1))
            #expect(!waiter.isDone)
            try condition.release()
            return try await waiter.value
        }
        #expect(heldWhenCancelled)
    }

    @Test func notifyWithoutTheLockThrows() async throws {
        try await inVirtualLoop { _ in
            let condition = Condition()
            #expect(throws: LockNotAcquiredError()) { try condition.notify() }
            #expect(throws: LockNotAcquiredError()) { try condition.notifyAll() }
            await #expect(throws: LockNotAcquiredError()) { try await condition.wait() }
        }
    }

    @Test func notifyAllWakesEveryone() async throws {
        let woken = try await inVirtualLoop { loop -> Int in
            let condition = Condition()
            let woken = Box(0)
            let waiters = try (0..<3).map { _ in
                try loop.createTask { try await condition.withLock { try await condition.wait(); woken.value += 1 } }
            }
            try await loop.sleep(for: .zero)
            try await condition.withLock { try condition.notifyAll() }
            for waiter in waiters { try await waiter.value }
            return woken.value
        }
        #expect(woken == 3)
    }
}

@Suite("Barrier")
struct BarrierTests {
    @Test func waitReturnsArrivalIndicesAndReleasesTogether() async throws {
        let (indices, times) = try await inVirtualLoop { loop -> ([Int], [Double]) in
            let barrier = Barrier(parties: 3)
            let tasks = try (0..<3).map { i in
                try loop.createTask { () async throws -> (Int, Double) in
                    try await loop.sleep(for: .seconds(Double(i)))
                    let index = try await barrier.wait()
                    return (index, loop.time())
                }
            }
            var results: [(Int, Double)] = []
            for task in tasks { results.append(try await task.value) }
            return (results.map(\.0), results.map(\.1))
        }
        #expect(indices == [0, 1, 2])
        #expect(times == [2.0, 2.0, 2.0])
    }

    @Test func abortBreaksWaitersAndLaterCalls() async throws {
        try await inVirtualLoop { loop in
            let barrier = Barrier(parties: 2)
            let waiter = try loop.createTask { try await barrier.wait() }
            try await loop.sleep(for: .zero)
            barrier.abort()
            await #expect(throws: BrokenBarrierError()) { try await waiter.value }
            #expect(barrier.isBroken)
            await #expect(throws: BrokenBarrierError()) { try await barrier.wait() }
        }
    }

    @Test func resetFailsWaitersAndStartsAgain() async throws {
        let index = try await inVirtualLoop { loop -> Int in
            let barrier = Barrier(parties: 2)
            let waiter = try loop.createTask { try await barrier.wait() }
            try await loop.sleep(for: .zero)
            barrier.reset()
            await #expect(throws: BrokenBarrierError()) { try await waiter.value }
            #expect(!barrier.isBroken && barrier.waitingCount == 0)
            let other = try loop.createTask { try await barrier.wait() }
            let mine = try await barrier.wait()
            _ = try await other.value
            return mine
        }
        #expect(index == 0)  // main arrives before the new task has run
    }

    @Test func aCancelledWaiterLeavesTheRound() async throws {
        let count = try await inVirtualLoop { loop -> Int in
            let barrier = Barrier(parties: 3)
            let waiter = try loop.createTask { try await barrier.wait() }
            try await loop.sleep(for: .zero)
            #expect(barrier.waitingCount == 1)
            waiter.cancel()
            _ = try? await waiter.value
            return barrier.waitingCount
        }
        #expect(count == 0)
    }
}
