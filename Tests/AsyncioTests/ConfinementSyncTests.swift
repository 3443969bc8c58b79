@testable import Asyncio
import Testing
#if canImport(Glibc)
import Glibc
#endif

// The confinement rule for primitives (Loop/Confinement.swift): a primitive binds to the loop it is
// first used on; from then on every entry point used from another thread, or from a task of another
// loop, is a precondition failure naming the call. Each exit test runs in a child process that must
// die with that message on its standard error.

/// Runs `body` in a task of a fresh loop on a thread of its own (closed afterwards): the primitives
/// `body` touches are bound to that loop, whose thread is not the caller's.
func inLoopOnAnotherThread<T: Sendable>(_ body: @escaping @Sendable (EventLoop) async throws -> T) async throws -> T {
    try await onLoopThread { loop in try loop.runUntilComplete { try await body(loop) } }
}

/// Runs `body` in a task of a fresh loop on a thread of its own and returns its result, the thread
/// staying alive, parked, for good: for exit tests, whose child process ends with the test. (A thread
/// that ended may hand its id on to a thread started later, which would then pass for the loop's.)
func inLoopOnAParkedThread<T: Sendable>(_ body: @escaping @Sendable (EventLoop) async throws -> T) async throws -> T {
    let fence = HandoffFence()
    let result = try await withCheckedThrowingContinuation { continuation in
        spawnThread(name: "parked-loop") {
            let result = Result {
                let loop = try EventLoop()
                return try loop.runUntilComplete { try await body(loop) }
            }
            fence.publish()
            continuation.resume(with: result)
            while true { sleep(3600) }
        }
    }
    fence.receive()
    return result
}

/// The standard error of a child process as text.
func standardError(_ result: ExitTest.Result?) -> String {
    String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
}

/// Every public entry point of the synchronisation primitives.
enum SyncEntryPoint: String, CaseIterable, Codable, Sendable {
    case lockIsLocked = "Lock.isLocked", lockAcquire = "Lock.acquire", lockRelease = "Lock.release"
    case lockWithLock = "Lock.withLock", lockDescription = "Lock.description"
    case eventIsSet = "Event.isSet", eventSet = "Event.set", eventClear = "Event.clear", eventWait = "Event.wait"
    case eventDescription = "Event.description"
    case conditionIsLocked = "Condition.isLocked", conditionAcquire = "Condition.acquire"
    case conditionRelease = "Condition.release", conditionWithLock = "Condition.withLock"
    case conditionWait = "Condition.wait", conditionWaitFor = "Condition.waitFor"
    case conditionNotify = "Condition.notify", conditionNotifyAll = "Condition.notifyAll"
    case semaphoreIsLocked = "Semaphore.isLocked", semaphoreAvailable = "Semaphore.available"
    case semaphoreAcquire = "Semaphore.acquire", semaphoreRelease = "Semaphore.release"
    case semaphoreWithPermit = "Semaphore.withPermit", semaphoreDescription = "Semaphore.description"
    case boundedSemaphoreAcquire = "BoundedSemaphore.acquire", boundedSemaphoreRelease = "BoundedSemaphore.release"
    case barrierWaitingCount = "Barrier.waitingCount", barrierIsBroken = "Barrier.isBroken"
    case barrierWait = "Barrier.wait", barrierReset = "Barrier.reset", barrierAbort = "Barrier.abort"
    case barrierDescription = "Barrier.description"

    /// Makes the primitive, binds it to a loop on another (live) thread, and calls the entry point here.
    func callOffItsLoop() async throws {
        switch self {
        case .lockIsLocked, .lockAcquire, .lockRelease, .lockWithLock, .lockDescription:
            let lock = try await inLoopOnAParkedThread { _ in let lock = Lock(); _ = lock.isLocked; return lock }
            switch self {
            case .lockIsLocked: _ = lock.isLocked
            case .lockAcquire: try await lock.acquire()
            case .lockRelease: try lock.release()
            case .lockWithLock: try await lock.withLock {}
            default: _ = lock.description
            }
        case .eventIsSet, .eventSet, .eventClear, .eventWait, .eventDescription:
            let event = try await inLoopOnAParkedThread { _ in let event = Event(); _ = event.isSet; return event }
            switch self {
            case .eventIsSet: _ = event.isSet
            case .eventSet: event.set()
            case .eventClear: event.clear()
            case .eventWait: try await event.wait()
            default: _ = event.description
            }
        case .conditionIsLocked, .conditionAcquire, .conditionRelease, .conditionWithLock, .conditionWait,
             .conditionWaitFor, .conditionNotify, .conditionNotifyAll:
            let condition = try await inLoopOnAParkedThread { _ in let condition = Condition(); _ = condition.isLocked; return condition }
            switch self {
            case .conditionIsLocked: _ = condition.isLocked
            case .conditionAcquire: try await condition.acquire()
            case .conditionRelease: try condition.release()
            case .conditionWithLock: try await condition.withLock {}
            case .conditionWait: try await condition.wait()
            case .conditionWaitFor: _ = try await condition.waitFor { true }
            case .conditionNotify: try condition.notify()
            default: try condition.notifyAll()
            }
        case .semaphoreIsLocked, .semaphoreAvailable, .semaphoreAcquire, .semaphoreRelease, .semaphoreWithPermit,
             .semaphoreDescription:
            let semaphore = try await inLoopOnAParkedThread { _ in let semaphore = Asyncio.Semaphore(1); _ = semaphore.available; return semaphore }
            switch self {
            case .semaphoreIsLocked: _ = semaphore.isLocked
            case .semaphoreAvailable: _ = semaphore.available
            case .semaphoreAcquire: try await semaphore.acquire()
            case .semaphoreRelease: try semaphore.release()
            case .semaphoreWithPermit: try await semaphore.withPermit {}
            default: _ = semaphore.description
            }
        case .boundedSemaphoreAcquire, .boundedSemaphoreRelease:
            let semaphore = try await inLoopOnAParkedThread { _ in
                let semaphore = BoundedSemaphore(1); _ = semaphore.available; return semaphore
            }
            if self == .boundedSemaphoreAcquire { try await semaphore.acquire() } else { try semaphore.release() }
        case .barrierWaitingCount, .barrierIsBroken, .barrierWait, .barrierReset, .barrierAbort, .barrierDescription:
            let barrier = try await inLoopOnAParkedThread { _ in let barrier = Barrier(parties: 2); _ = barrier.isBroken; return barrier }
            switch self {
            case .barrierWaitingCount: _ = barrier.waitingCount
            case .barrierIsBroken: _ = barrier.isBroken
            case .barrierWait: _ = try await barrier.wait()
            case .barrierReset: barrier.reset()
            case .barrierAbort: barrier.abort()
            default: _ = barrier.description
            }
        }
    }
}

/// Every public entry point of the queues and of an async generator's iterator.
enum QueueEntryPoint: String, CaseIterable, Codable, Sendable {
    case count = "Queue.count", isEmpty = "Queue.isEmpty", isFull = "Queue.isFull"
    case put = "Queue.put", putNowait = "Queue.putNowait", get = "Queue.get", getNowait = "Queue.getNowait"
    case taskDone = "Queue.taskDone", join = "Queue.join", shutdown = "Queue.shutdown"
    case makeAsyncIterator = "Queue.makeAsyncIterator", next = "Queue.next"
    case priorityQueueGet = "PriorityQueue.get", priorityQueuePutNowait = "PriorityQueue.putNowait"
    case lifoQueueGetNowait = "LifoQueue.getNowait", lifoQueueCount = "LifoQueue.count"
    case generatorNext = "AsyncGenerator.next", generatorYield = "AsyncGenerator.yield"

    /// Makes the queue (or generator), binds it to a loop on another (live) thread, and calls the entry point here.
    func callOffItsLoop() async throws {
        switch self {
        case .priorityQueueGet, .priorityQueuePutNowait:
            let queue = try await inLoopOnAParkedThread { _ in let queue = PriorityQueue<Int>(); try queue.putNowait(1); return queue }
            if self == .priorityQueueGet { _ = try await queue.get() } else { try queue.putNowait(2) }
        case .lifoQueueGetNowait, .lifoQueueCount:
            let queue = try await inLoopOnAParkedThread { _ in let queue = LifoQueue<Int>(); try queue.putNowait(1); return queue }
            if self == .lifoQueueGetNowait { _ = try queue.getNowait() } else { _ = queue.count }
        case .generatorNext, .generatorYield:
            let yield = Box<AsyncGenerator<Int>.Yield?>(nil)
            let iterator = try await inLoopOnAParkedThread { _ in
                let generator = AsyncGenerator<Int> { yieldOne in
                    yield.value = yieldOne
                    try await yieldOne(1)
                    try await yieldOne(2)
                }
                var iterator = generator.makeAsyncIterator()
                _ = try await iterator.next()
                return Box(iterator)
            }
            if self == .generatorNext { _ = try await iterator.value.next() } else { try await yield.value?(3) }
        default:
            let (queue, iterator) = try await inLoopOnAParkedThread { _ in
                let queue = Queue<Int>(maxsize: 1)
                try queue.putNowait(1)
                return (queue, Box(queue.makeAsyncIterator()))
            }
            switch self {
            case .count: _ = queue.count
            case .isEmpty: _ = queue.isEmpty
            case .isFull: _ = queue.isFull
            case .put: try await queue.put(2)
            case .putNowait: try queue.putNowait(2)
            case .get: _ = try await queue.get()
            case .getNowait: _ = try queue.getNowait()
            case .taskDone: try queue.taskDone()
            case .join: try await queue.join()
            case .shutdown: queue.shutdown()
            case .makeAsyncIterator: _ = queue.makeAsyncIterator()
            default: _ = try await iterator.value.next()
            }
        }
    }
}

/// A primitive and one of its waiting entry points, for the tests of binding.
enum BoundPrimitive: String, CaseIterable, Codable, Sendable {
    case lock = "Lock.acquire", event = "Event.wait", condition = "Condition.acquire"
    case semaphore = "Semaphore.acquire", barrier = "Barrier.wait", queue = "Queue.get"

    /// A fresh primitive of this kind, unbound, set up (before any loop, as asyncio allows) so that
    /// the first ``use(_:)`` does not wait.
    func make() throws -> AnyObject & Sendable {
        switch self {
        case .lock: return Lock()
        case .event: let event = Event(); event.set(); return event
        case .condition: return Condition()
        case .semaphore: return Asyncio.Semaphore(1)
        case .barrier: return Barrier(parties: 1)
        case .queue: let queue = Queue<Int>(); try queue.putNowait(1); return queue
        }
    }

    /// Calls the waiting entry point first (which binds the primitive to the running loop), then puts
    /// the primitive back as it was.
    func use(_ primitive: AnyObject & Sendable) async throws {
        switch self {
        case .lock: try await (primitive as! Lock).acquire(); try (primitive as! Lock).release()
        case .event: try await (primitive as! Event).wait()
        case .condition: try await (primitive as! Condition).acquire(); try (primitive as! Condition).release()
        case .semaphore: try await (primitive as! Asyncio.Semaphore).acquire(); try (primitive as! Asyncio.Semaphore).release()
        case .barrier: _ = try await (primitive as! Barrier).wait()
        case .queue: try (primitive as! Queue<Int>).putNowait(try await (primitive as! Queue<Int>).get())
        }
    }
}

@Suite("Confinement: synchronisation primitives and queues")
struct ConfinementSyncTests {
    @Test("Every entry point of a bound primitive traps off its loop's thread", arguments: SyncEntryPoint.allCases)
    func syncEntryPointOffTheLoopThreadTraps(_ entry: SyncEntryPoint) async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) { [entry] in
            try await entry.callOffItsLoop()
        }
        #expect(standardError(result).contains("\(entry.rawValue) was called on thread"))
    }

    @Test("Every entry point of a bound queue or generator traps off its loop's thread", arguments: QueueEntryPoint.allCases)
    func queueEntryPointOffTheLoopThreadTraps(_ entry: QueueEntryPoint) async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) { [entry] in
            try await entry.callOffItsLoop()
        }
        #expect(standardError(result).contains("\(entry.rawValue) was called on thread"))
    }

    @Test("A primitive bound to one loop traps in a task of another loop on the same thread", arguments: BoundPrimitive.allCases)
    func aPrimitiveBoundToOneLoopTrapsInAnotherLoop(_ kind: BoundPrimitive) async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) { [kind] in
            _ = try await onLoopThread { first in
                let primitive = try kind.make()
                try first.runUntilComplete { try await kind.use(primitive) }
                let second = try EventLoop()
                defer { try? second.close() }
                try second.runUntilComplete { try await kind.use(primitive) }
            }
        }
        #expect(standardError(result).contains("\(kind.rawValue): the primitive is bound to a different event loop"))
    }

    @Test("A primitive bound to one loop traps in a task of a loop running on another thread", arguments: BoundPrimitive.allCases)
    func aPrimitiveBoundToOneLoopTrapsInALoopOnAnotherThread(_ kind: BoundPrimitive) async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) { [kind] in
            let primitive = try kind.make()
            try await inLoopOnAnotherThread { _ in
                try await kind.use(primitive)
                // The second loop's thread starts while the first one's is alive, so it is another
                // thread (a thread that ended may hand its id on to the next one).
                try await inLoopOnAnotherThread { _ in try await kind.use(primitive) }
            }
        }
        #expect(standardError(result).contains("\(kind.rawValue) was called on thread"))
    }

    @Test("Waiting on a primitive outside any loop traps", arguments: BoundPrimitive.allCases)
    func waitingOutsideAnyLoopTraps(_ kind: BoundPrimitive) async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) { [kind] in
            try await kind.use(try kind.make())
        }
        #expect(standardError(result).contains("\(kind.rawValue) must be awaited in a task running on an event loop"))
    }

    @Test func primitivesSetUpBeforeAnyLoopRunsAreBoundByTheirFirstUseInALoop() async throws {
        // asyncio allows `Queue()` + `put_nowait` (and `Event().set()`) before `asyncio.run`.
        let queue = Queue<Int>(), event = Event(), semaphore = Asyncio.Semaphore(0)
        try queue.putNowait(1)
        try queue.putNowait(2)
        event.set()
        event.clear()
        event.set()
        try semaphore.release()
        #expect(queue.count == 2 && event.isSet && semaphore.available == 1)
        let (items, countAfterTheRun) = try await onLoopThread { loop -> ([Int], Int) in
            let items = try loop.runUntilComplete {
                try await event.wait()
                try await semaphore.acquire()
                return [try await queue.get(), try await queue.get()]
            }
            try loop.runUntilComplete { try await queue.put(3) }  // the same loop again: still fine
            return (items, queue.count)  // on the loop's thread with the loop stopped: fine too
        }
        #expect(items == [1, 2])
        #expect(countAfterTheRun == 1)
    }

    @Test func anUnboundPrimitiveMovesBetweenThreadsUntilALoopUsesIt() async throws {
        let queue = Queue<String>()
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            spawnThread(name: "setup") { continuation.resume(with: Result { try queue.putNowait("from another thread") }) }
        }
        let item = try await inLoopOnAnotherThread { _ in try await queue.get() }
        #expect(item == "from another thread")
    }
}
