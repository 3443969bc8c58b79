@testable import Asyncio
import Testing

/// Runs `body` as the main task of a fresh virtual-time loop on its own thread.
func inVirtualLoop<T: Sendable>(_ body: @escaping @Sendable (EventLoop) async throws -> T) async throws -> T {
    try await onLoopThread(timeSource: .virtual(autoJump: true)) { loop in
        try loop.runUntilComplete { try await body(loop) }
    }
}

@Suite("Lock")
struct LockTests {
    @Test func waitersAcquireInFIFOOrder() async throws {
        let order = try await inVirtualLoop { loop in
            let lock = Lock(), trace = Trace()
            try await lock.acquire()
            let tasks = try (0..<4).map { i in
                try loop.createTask { try await lock.withLock { trace("task \(i)") } }
            }
            try await loop.sleep(for: .zero)
            try lock.release()
            for task in tasks { try await task.value }
            #expect(!lock.isLocked)
            return trace.events
        }
        #expect(order == ["task 0", "task 1", "task 2", "task 3"])
    }

    @Test func aNewcomerDoesNotBargePastWaiters() async throws {
        let order = try await inVirtualLoop { loop in
            let lock = Lock(), trace = Trace()
            try await lock.acquire()
            let waiter = try loop.createTask { try await lock.withLock { trace("waiter") } }
            try await loop.sleep(for: .zero)
            try lock.release()              // promised to the waiter, which has not run yet
            #expect(!lock.isLocked)         // asyncio: locked() is false until the waiter runs
            try await lock.withLock { trace("newcomer") }
            try await waiter.value
            return trace.events
        }
        #expect(order == ["waiter", "newcomer"])
    }

    @Test func aWaiterCancelledWhileWaitingLeavesTheQueue() async throws {
        let (cancelled, order) = try await inVirtualLoop { loop -> (Bool, [String]) in
            let lock = Lock(), trace = Trace()
            try await lock.acquire()
            let first = try loop.createTask { try await lock.withLock { trace("first") } }
            let second = try loop.createTask { try await lock.withLock { trace("second") } }
            try await loop.sleep(for: .zero)
            first.cancel()
            try await loop.sleep(for: .zero)
            try lock.release()
            try await second.value
            _ = try? await first.value
            return (first.isCancelled, trace.events)
        }
        #expect(cancelled)
        #expect(order == ["second"])
    }

    @Test func manyWaitersCancelledInAnyOrderLeaveTheRestInFIFOOrderAndCountedRight() async throws {
        // Cancelled waiters are counted out at once and swept later (no O(n) search per cancel, which
        // made cancelling 20,000 waiters newest-first take 72 s in a debug build).
        let (order, counts) = try await inVirtualLoop { loop -> ([Int], [String]) in
            let lock = Lock(), semaphore = Semaphore(0), trace = Trace()
            var counts: [String] = []
            try await lock.acquire()
            let tasks = try (0..<200).map { i in try loop.createTask { try await lock.withLock { trace("\(i)") } } }
            let blocked = try (0..<3).map { _ in try loop.createTask { try await semaphore.acquire() } }
            try await loop.sleep(for: .zero)
            for (i, task) in tasks.enumerated().reversed() where i % 4 != 0 { task.cancel() }
            blocked[1].cancel()
            try await loop.sleep(for: .zero)
            counts.append(lock.description)
            counts.append(semaphore.description)
            #expect(semaphore.isLocked)  // two live waiters: a release wakes one of them, no barging
            try semaphore.release()
            try semaphore.release()
            try lock.release()
            for task in tasks { _ = try? await task.value }
            for task in blocked { _ = try? await task.value }
            counts.append(lock.description)
            return (trace.events.map { Int($0)! }, counts)
        }
        #expect(order == Array(stride(from: 0, to: 200, by: 4)))
        #expect(counts == ["Lock(locked, waiters: 50)", "Semaphore(value: 0, waiters: 2)", "Lock(unlocked, waiters: 0)"])
    }

    @Test func aWaiterCancelledWhenGrantedTheLockHandsItOn() async throws {
        let (order, locked) = try await inVirtualLoop { loop -> ([String], Bool) in
            let lock = Lock(), trace = Trace()
            try await lock.acquire()
            let first = try loop.createTask { try await lock.withLock { trace("first") } }
            let second = try loop.createTask { try await lock.withLock { trace("second") } }
            try await loop.sleep(for: .zero)
            try lock.release()   // granted to `first`...
            first.cancel()       // ...which is cancelled before it runs
            try await second.value
            await #expect(throws: CancelledError.self) { try await first.value }
            return (trace.events, lock.isLocked)
        }
        #expect(order == ["second"])
        #expect(!locked)
    }

    @Test func releasingAnUnlockedLockThrows() async throws {
        let thrown = try await inVirtualLoop { _ -> Bool in
            #expect(throws: LockNotAcquiredError()) { try Lock().release() }
            return true
        }
        #expect(thrown)
    }
}

@Suite("Semaphore")
struct SemaphoreTests {
    @Test func atMostValueHoldersAtOnceInFIFOOrder() async throws {
        let (maxHolders, order, elapsed) = try await inVirtualLoop { loop -> (Int, [Int], Double) in
            let semaphore = Semaphore(3)
            let holders = Box(0), maxHolders = Box(0), order = Box<[Int]>([])
            let start = loop.time()
            let tasks = try (0..<10).map { i in
                try loop.createTask {
                    try await semaphore.withPermit {
                        holders.value += 1
                        maxHolders.value = max(maxHolders.value, holders.value)
                        order.value.append(i)
                        try await loop.sleep(for: .seconds(1))
                        holders.value -= 1
                    }
                }
            }
            for task in tasks { try await task.value }
            return (maxHolders.value, order.value, loop.time() - start)
        }
        #expect(maxHolders == 3)
        #expect(order == Array(0..<10))
        #expect(elapsed == 4.0)
    }

    @Test func aWaiterCancelledWhenGrantedAPermitHandsItOn() async throws {
        let (order, available) = try await inVirtualLoop { loop -> ([String], Int) in
            let semaphore = Semaphore(1), trace = Trace()
            try await semaphore.acquire()
            let first = try loop.createTask { try await semaphore.withPermit { trace("first") } }
            let second = try loop.createTask { try await semaphore.withPermit { trace("second") } }
            try await loop.sleep(for: .zero)
            try semaphore.release()
            first.cancel()
            try await second.value
            _ = try? await first.value
            return (trace.events, semaphore.available)
        }
        #expect(order == ["second"])
        #expect(available == 1)
    }

    @Test func boundedSemaphoreRefusesOverRelease() async throws {
        try await inVirtualLoop { _ in
            let semaphore = BoundedSemaphore(2)
            try await semaphore.acquire()
            try semaphore.release()
            #expect(throws: SemaphoreReleasedTooManyTimesError()) { try semaphore.release() }
            #expect(semaphore.available == 2)
        }
    }
}
