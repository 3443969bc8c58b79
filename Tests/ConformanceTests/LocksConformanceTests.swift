import Asyncio
import AsyncioTesting
import Testing

/// test_locks.py: Lock, Event, Condition, Semaphore, BoundedSemaphore, Barrier.
@Suite("Conformance: locks")
struct LocksConformanceTests {
    // MARK: Lock

    @Test func lockWaitersAcquireInFIFOOrder() async throws {
        let events = try await trace { loop, events in
            let lock = Lock()
            try await lock.acquire()
            let tasks = try (0..<4).map { i in
                try loop.createTask {
                    try await lock.withLock {
                        events("task \(i) holds the lock")
                        try await sleep(for: .zero)
                    }
                }
            }
            try await sleep(for: .zero)
            try lock.release()
            _ = try await gather(tasks)
            events("locked at the end: \(py(lock.isLocked))")
        }
        #expect(events == cpythonTrace("locks_lock_waiters_acquire_in_fifo_order"), "trace locks_lock_waiters_acquire_in_fifo_order differs from CPython's")
    }

    /// Issue 18.10: unlocked from `release()` until the woken waiter runs, and still no barging.
    @Test func aReleasedLockIsUnlockedUntilTheWokenWaiterRunsAndANewcomerQueuesBehindIt() async throws {
        let events = try await trace { loop, events in
            let lock = Lock()
            try await lock.acquire()
            let waiter = try loop.createTask {
                try await lock.withLock { events("waiter holds the lock (locked: \(py(lock.isLocked)))") }
            }
            try await sleep(for: .zero)
            try lock.release()
            events("after release: locked=\(py(lock.isLocked))")
            try await lock.withLock { events("newcomer holds the lock") }
            try await waiter.value
        }
        #expect(events == cpythonTrace("locks_lock_is_unlocked_until_the_woken_waiter_runs"), "trace locks_lock_is_unlocked_until_the_woken_waiter_runs differs from CPython's")
    }

    @Test func aLockWaiterCancelledWhileQueuedLeavesTheQueue() async throws {
        let events = try await trace { loop, events in
            let lock = Lock()
            try await lock.acquire()
            @Sendable func worker(_ label: String) throws -> LoopTask<Void> {
                try loop.createTask {
                    do { try await lock.withLock { events("\(label) holds the lock") } } catch {
                        events("\(label): \(errorName(error))")
                        throw error
                    }
                }
            }
            let first = try worker("first"), second = try worker("second")
            try await sleep(for: .zero)
            first.cancel()
            try await sleep(for: .zero)
            try lock.release()
            try await second.value
            events("first cancelled: \(py(first.isCancelled)); locked: \(py(lock.isLocked))")
        }
        #expect(events == cpythonTrace("locks_lock_cancelled_waiter_leaves_the_queue"), "trace locks_lock_cancelled_waiter_leaves_the_queue differs from CPython's")
    }

    @Test func aWokenLockWaiterCancelledBeforeItRunsHandsTheLockOn() async throws {
        let events = try await trace { loop, events in
            let lock = Lock()
            try await lock.acquire()
            @Sendable func worker(_ label: String) throws -> LoopTask<Void> {
                try loop.createTask {
                    do { try await lock.withLock { events("\(label) holds the lock") } } catch {
                        events("\(label): \(errorName(error))")
                        throw error
                    }
                }
            }
            let first = try worker("first"), second = try worker("second")
            try await sleep(for: .zero)
            try lock.release()
            first.cancel()
            try await second.value
            events("first cancelled: \(py(first.isCancelled)); locked: \(py(lock.isLocked))")
        }
        #expect(events == cpythonTrace("locks_lock_woken_waiter_cancelled_hands_the_lock_on"), "trace locks_lock_woken_waiter_cancelled_hands_the_lock_on differs from CPython's")
    }

    /// The errors keep asyncio's meaning under Swift names (the README's mapping table): Python's
    /// `RuntimeError` is ``LockNotAcquiredError``, `ValueError` ``SemaphoreReleasedTooManyTimesError``.
    @Test func releasingWhatIsNotHeldThrows() async throws {
        let events = try await trace { _, events in
            func attempt(_ label: String, _ action: () throws -> Void) {
                do {
                    try action()
                    events("\(label): ok")
                } catch is LockNotAcquiredError {
                    events("\(label): raises RuntimeError")
                } catch is SemaphoreReleasedTooManyTimesError {
                    events("\(label): raises ValueError")
                } catch {
                    events("\(label): raises \(error)")
                }
            }
            attempt("Lock.release unlocked") { try Lock().release() }
            let bounded = BoundedSemaphore(1)
            attempt("BoundedSemaphore.release at its bound") { try bounded.release() }
            try await bounded.acquire()
            attempt("BoundedSemaphore.release after acquire") { try bounded.release() }
            let condition = Condition()
            attempt("Condition.notify without the lock") { try condition.notify() }
            attempt("Condition.notify_all without the lock") { try condition.notifyAll() }
        }
        #expect(events == cpythonTrace("locks_release_errors"), "trace locks_release_errors differs from CPython's")
    }

    // MARK: Event

    @Test func eventSetWakesEveryWaiterInOrder() async throws {
        let events = try await trace { loop, events in
            let event = Event()
            @Sendable func waiter(_ i: Int) throws -> LoopTask<Void> {
                try loop.createTask {
                    try await event.wait()
                    events("waiter \(i) woke")
                }
            }
            let tasks = try (0..<3).map(waiter)
            try await sleep(for: .zero)
            event.set()
            events("after set: is_set=\(py(event.isSet))")
            _ = try await gather(tasks)
            try await event.wait()
            events("wait() on a set event returned at once")
            event.clear()
            let late = try waiter(3)
            try await sleep(for: .seconds(0.01))
            events("after clear: late waiter done=\(py(late.isDone))")
            event.set()
            try await late.value
        }
        #expect(events == cpythonTrace("locks_event_wakes_every_waiter_in_order"), "trace locks_event_wakes_every_waiter_in_order differs from CPython's")
    }

    @Test func aCancelledEventWaitThrowsAndTheOthersStillWake() async throws {
        let events = try await trace { loop, events in
            let event = Event()
            @Sendable func waiter(_ label: String) throws -> LoopTask<Void> {
                try loop.createTask {
                    do {
                        try await event.wait()
                        events("\(label) woke")
                    } catch {
                        events("\(label): \(errorName(error))")
                        throw error
                    }
                }
            }
            let first = try waiter("first"), second = try waiter("second")
            try await sleep(for: .zero)
            first.cancel(message: "bye")
            try await sleep(for: .zero)
            event.set()
            try await second.value
            events("first cancelled: \(py(first.isCancelled))")
        }
        #expect(events == cpythonTrace("locks_event_wait_cancelled"), "trace locks_event_wait_cancelled differs from CPython's")
    }

    // MARK: Condition

    @Test func conditionNotifyWakesTheLongestWaitersEachReacquiringTheLock() async throws {
        let events = try await trace { loop, events in
            let condition = Condition()
            let tasks = try (0..<5).map { i in
                try loop.createTask {
                    try await condition.withLock {
                        try await condition.wait()
                        events("waiter \(i) woke holding the lock: \(py(condition.isLocked))")
                    }
                }
            }
            try await sleep(for: .zero)
            try await condition.withLock { try condition.notify(1) }
            try await sleep(for: .seconds(0.01))
            events("-- notify(2)")
            try await condition.withLock { try condition.notify(2) }
            try await sleep(for: .seconds(0.01))
            events("-- notify_all()")
            try await condition.withLock { try condition.notifyAll() }
            _ = try await gather(tasks)
        }
        #expect(events == cpythonTrace("locks_condition_notify_wakes_n_waiters_in_order"), "trace locks_condition_notify_wakes_n_waiters_in_order differs from CPython's")
    }

    @Test func aCancelledConditionWaitReacquiresTheLockBeforeThrowing() async throws {
        let events = try await trace { loop, events in
            let condition = Condition()
            let task = try loop.createTask {
                try await condition.withLock {
                    do { try await condition.wait() } catch {
                        events("waiter: \(errorName(error)); holds the lock: \(py(condition.isLocked))")
                        throw error
                    }
                }
            }
            try await sleep(for: .zero)
            try await condition.acquire()
            task.cancel()
            try await sleep(for: .zero)
            events("main still holds the lock; waiter done: \(py(task.isDone))")
            try condition.release()
            _ = try? await task.value
            events("after: locked=\(py(condition.isLocked))")
        }
        #expect(events == cpythonTrace("locks_condition_cancelled_wait_reacquires_the_lock"), "trace locks_condition_cancelled_wait_reacquires_the_lock differs from CPython's")
    }

    @Test func conditionWaitForReturnsOnceThePredicateHolds() async throws {
        let events = try await trace { loop, events in
            let condition = Condition()
            let value = Box(0)
            let task = try loop.createTask {
                try await condition.withLock {
                    let result = try await condition.waitFor { value.value >= 2 }
                    events("predicate true with value \(value.value) (result \(py(result)))")
                }
            }
            for v in [1, 2] {
                try await sleep(for: .zero)
                try await condition.withLock {
                    value.value = v
                    events("set \(v), notify")
                    try condition.notify()
                }
            }
            try await task.value
        }
        #expect(events == cpythonTrace("locks_condition_wait_for_predicate"), "trace locks_condition_wait_for_predicate differs from CPython's")
    }

    // MARK: Semaphore

    @Test func semaphorePermitsGoToWaitersInFIFOOrder() async throws {
        let events = try await trace { loop, events in
            let semaphore = Semaphore(2)
            let tasks = try (0..<5).map { i in
                try loop.createTask {
                    try await semaphore.withPermit {
                        events("task \(i) has a permit")
                        try await sleep(for: .seconds(0.01))
                    }
                }
            }
            try await sleep(for: .zero)
            events("locked with 2 holders: \(py(semaphore.isLocked))")
            _ = try await gather(tasks)
            events("locked at the end: \(py(semaphore.isLocked))")
        }
        #expect(events == cpythonTrace("locks_semaphore_is_fifo"), "trace locks_semaphore_is_fifo differs from CPython's")
    }

    @Test func aSemaphoreWaiterCancelledAfterItWasPickedPassesThePermitOn() async throws {
        let events = try await trace { loop, events in
            let semaphore = Semaphore(0)
            @Sendable func worker(_ label: String) throws -> LoopTask<Void> {
                try loop.createTask {
                    do {
                        try await semaphore.acquire()
                        events("\(label) acquired")
                    } catch {
                        events("\(label): \(errorName(error))")
                        throw error
                    }
                }
            }
            let first = try worker("first"), second = try worker("second")
            try await sleep(for: .zero)
            try semaphore.release()
            first.cancel()
            try await second.value
            events("first cancelled: \(py(first.isCancelled)); locked: \(py(semaphore.isLocked))")
        }
        #expect(events == cpythonTrace("locks_semaphore_cancelled_waiter_passes_the_permit_on"), "trace locks_semaphore_cancelled_waiter_passes_the_permit_on differs from CPython's")
    }

    // MARK: Barrier

    @Test func aBarrierReleasesAFullRoundWithArrivalIndicesAndIsReusable() async throws {
        let events = try await trace { loop, events in
            let barrier = Barrier(parties: 3)
            @Sendable func worker(_ i: Int) throws -> LoopTask<Void> {
                try loop.createTask {
                    let index = try await barrier.wait()
                    events("worker \(i) passed with index \(index)")
                }
            }
            let tasks = try (0..<3).map(worker)
            try await sleep(for: .zero)
            events("-- all three arrived")
            _ = try await gather(tasks)
            events("n_waiting after the round: \(barrier.waitingCount)")
            _ = try await gather(try (3..<6).map(worker))
        }
        #expect(events == cpythonTrace("locks_barrier_releases_a_full_round"), "trace locks_barrier_releases_a_full_round differs from CPython's")
    }

    @Test func abortAndResetBreakTheBarrierForItsWaiters() async throws {
        let events = try await trace { loop, events in
            let barrier = Barrier(parties: 3)
            @Sendable func worker(_ label: String) async {
                do {
                    _ = try await barrier.wait()
                    events("\(label) passed")
                } catch is BrokenBarrierError {
                    events("\(label): BrokenBarrierError")
                } catch {
                    events("\(label): \(errorName(error))")
                }
            }
            var tasks = try (0..<2).map { i in try loop.createTask { await worker("waiter \(i)") } }
            try await sleep(for: .zero)
            barrier.abort()
            _ = try await gather(tasks)
            await worker("late")
            events("broken: \(py(barrier.isBroken))")
            barrier.reset()
            tasks = try (0..<2).map { i in try loop.createTask { await worker("after reset \(i)") } }
            try await sleep(for: .zero)
            barrier.reset()
            _ = try await gather(tasks)
        }
        #expect(events == cpythonTrace("locks_barrier_abort_breaks_it"), "trace locks_barrier_abort_breaks_it differs from CPython's")
    }

    @Test func aNotifiedConditionWaiterCancelledBeforeItRanPassesTheWakeupOn() async throws {
        let events = try await trace { loop, events in
            let condition = Condition()
            @Sendable func waiter(_ label: String) throws -> LoopTask<Void> {
                try loop.createTask {
                    do {
                        try await condition.withLock {
                            try await condition.wait()
                            events("\(label) woke")
                        }
                    } catch {
                        events("\(label): \(errorName(error))")
                        throw error
                    }
                }
            }
            let first = try waiter("first"), second = try waiter("second")
            try await sleep(for: .zero)
            try await condition.withLock {
                try condition.notify(1)
                first.cancel()
            }
            try await second.value
            events("first cancelled: \(py(first.isCancelled)); locked: \(py(condition.isLocked))")
        }
        #expect(events == cpythonTrace("locks_condition_notified_waiter_cancelled_passes_the_wakeup_on"), "trace locks_condition_notified_waiter_cancelled_passes_the_wakeup_on differs from CPython's")
    }

    @Test func aBarrierWaiterCancelledBeforeTheRoundIsFullLeavesIt() async throws {
        let events = try await trace { loop, events in
            let barrier = Barrier(parties: 3)
            @Sendable func worker(_ label: String) throws -> LoopTask<Void> {
                try loop.createTask {
                    _ = try await barrier.wait()
                    events("\(label) passed")
                }
            }
            let first = try worker("first")
            try await sleep(for: .zero)
            let second = try worker("second")
            try await sleep(for: .zero)
            events("n_waiting: \(barrier.waitingCount)")
            first.cancel()
            try await sleep(for: .zero)
            events("after a cancellation, n_waiting: \(barrier.waitingCount)")
            let third = try worker("third")
            try await sleep(for: .zero)
            events("n_waiting: \(barrier.waitingCount)")
            let fourth = try worker("fourth")
            _ = try await gather([second, third, fourth])
            events("n_waiting: \(barrier.waitingCount); broken: \(py(barrier.isBroken)); first cancelled: \(py(first.isCancelled))")
        }
        #expect(events == cpythonTrace("locks_barrier_cancelled_waiter_leaves_the_round"), "trace locks_barrier_cancelled_waiter_leaves_the_round differs from CPython's")
    }

    @Test func eventSetThenClearStillWakesTheWaiters() async throws {
        let events = try await trace { loop, events in
            let event = Event()
            let tasks = try (0..<2).map { i in
                try loop.createTask {
                    try await event.wait()
                    events("waiter \(i) woke; is_set now: \(py(event.isSet))")
                }
            }
            try await sleep(for: .zero)
            event.set()
            event.clear()
            _ = try await gather(tasks)
        }
        #expect(events == cpythonTrace("locks_event_set_then_clear_still_wakes_the_waiters"), "trace locks_event_set_then_clear_still_wakes_the_waiters differs from CPython's")
    }

    /// Permits released while a woken waiter has not run yet keep it ahead of newcomers (`isLocked`
    /// stays true, as asyncio's `locked()`); when it runs it wakes the next waiters while permits are
    /// left (asyncio's `acquire` finally-clause).
    @Test func semaphorePermitsReleasedWhileAWokenWaiterHasNotRunKeepTheFIFOOrder() async throws {
        let events = try await trace { loop, events in
            do {  // CPython's test_acquire_fifo_order_2
                let sem = Semaphore(1), result = Box<[String]>([])
                let tasks = [
                    try loop.createTask { try await sem.acquire(); result.value.append("1") },
                    try loop.createTask {
                        try await sem.acquire()
                        result.value.append("2")
                        try sem.release()
                        try await sem.acquire()
                        result.value.append("4")
                    },
                    try loop.createTask { try await sem.acquire(); result.value.append("3") },
                ]
                try await sleep(for: .zero)
                try sem.release()
                try sem.release()
                _ = try await gather(tasks)
                events("fifo order 2: [\(result.value.joined(separator: ", "))]")
            }
            do {  // test_acquire_fifo_order_3
                let sem = Semaphore(0), result = Box<[String]>([])
                let tasks = try (1...3).map { i in try loop.createTask { try await sem.acquire(); result.value.append("\(i)") } }
                try await sleep(for: .zero)
                tasks[0].cancel()
                try await sleep(for: .zero)
                try sem.release()
                try sem.release()
                _ = try await gatherResults(tasks)
                events("fifo order 3: [\(result.value.joined(separator: ", "))]")
            }
            do {  // test_acquire_fifo_order_4
                let sem = Semaphore(0), result = Box<[String]>([]), extra = Box<[LoopTask<Void>]>([])
                let tasks = [
                    try loop.createTask {
                        try await sem.acquire()
                        extra.value.append(try loop.createTask { result.value.append("4") })
                        result.value.append("1")
                    },
                    try loop.createTask {
                        try sem.release()
                        try sem.release()
                        try sem.release()
                        result.value.append("'locked after three releases: \(py(sem.isLocked))'")
                        try await sem.acquire()
                        result.value.append("2")
                    },
                    try loop.createTask { try await sem.acquire(); result.value.append("3") },
                ]
                _ = try await gather(tasks)
                _ = try await gather(extra.value)
                events("fifo order 4: [\(result.value.joined(separator: ", "))]")
            }
        }
        #expect(events == cpythonTrace("locks_semaphore_woken_waiters_keep_their_turn"), "trace locks_semaphore_woken_waiters_keep_their_turn differs from CPython's")
    }
}
