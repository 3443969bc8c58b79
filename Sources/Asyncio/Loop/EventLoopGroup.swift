import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Several event loops, each running on a thread of its own: how one process uses more than one core
/// (SwiftNIO's `MultiThreadedEventLoopGroup`; asyncio has one loop per thread and leaves this to you).
///
/// Every loop is an ordinary ``EventLoop``, confined to its thread. Hand work to the group with
/// ``next()`` (round robin) and the loop's thread-safe entry points, or with ``submit(_:)``. Servers
/// started on the group listen on every loop (see `EventLoopGroup.startServer`). ``shutdown(gracePeriod:)-git1``
/// shuts every loop down gracefully — each runs its registered graceful-shutdown work (servers stop
/// accepting, finish in-flight work within the grace period), cancels its remaining tasks and closes —
/// and joins the threads.
///
/// Thread-safe (`Sendable`): every member may be used from any thread.
public final class EventLoopGroup: Sendable {
    /// The group's loops, in order.
    public let loops: [EventLoop]
    private let counter = Atomic<Int>(0)
    private let state: Mutex<State>
    /// Posted by each loop's thread when that loop is closed.
    private let stopped: GroupLatch

    private struct State {
        var shutdownRequested = false
        var gracePeriod: Duration = .seconds(10)
    }

    /// Starts `count` loops (`nil`: one per core), each on a new thread named `name-N`.
    /// - Throws: ``EventLoopError`` if a loop cannot be created (then none is left running).
    public init(loops: Int? = nil, name: String = "asyncio-loop") throws {
        let count = loops ?? activeProcessorCount()
        precondition(count >= 1, "EventLoopGroup needs at least one loop")
        var loops: [EventLoop] = []
        for _ in 0..<count {
            do { loops.append(try EventLoop()) } catch {
                for loop in loops { try? loop.close() }
                throw error
            }
        }
        self.loops = loops
        state = Mutex(State())
        stopped = GroupLatch(count: count)
        for (index, loop) in loops.enumerated() {
            spawnThread(name: "\(name)-\(index)") { [self] in serve(loop) }
        }
    }

    /// The body of a loop's thread: run until the group shuts down (a `stop()` of one loop alone does
    /// not end it), then shut the loop down gracefully and close it.
    private func serve(_ loop: EventLoop) {
        while !state.withLock({ $0.shutdownRequested }) {
            do { try loop.runForever() } catch {
                loop.log.error("EventLoopGroup: loop stopped running: \(error)")
                break
            }
        }
        let grace = state.withLock { $0.gracePeriod }
        if !loop.isClosed {
            _ = try? loop.runUntilComplete { try await loop.shutdownGracefully(gracePeriod: grace) }
            try? loop.cancelAllTasks()
            try? loop.close()
        }
        stopped.countDown()
    }

    /// The next loop, round robin. Thread-safe.
    public func next() -> EventLoop {
        loops[counter.wrappingAdd(1, ordering: .relaxed).oldValue % loops.count]
    }

    /// Runs `body` as a task on the ``next()`` loop and returns its handle (thread-safe).
    /// - Throws: ``EventLoopError/closed`` once the group is shut down.
    @discardableResult
    public func submit<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> ConcurrentFuture<T> {
        try next().runCoroutineThreadsafe(body)
    }

    /// Whether ``shutdown(gracePeriod:)-git1`` (or ``requestShutdown(gracePeriod:)``) was called.
    public var isShuttingDown: Bool { state.withLock { $0.shutdownRequested } }

    /// Starts shutting every loop down without waiting (safe from any thread, a loop's own included,
    /// e.g. from a signal handler): each loop runs its graceful-shutdown work with `gracePeriod`,
    /// cancels what is left, and closes. Calling it again does nothing.
    public func requestShutdown(gracePeriod: Duration = .seconds(10)) {
        let first = state.withLock { s -> Bool in
            if s.shutdownRequested { return false }
            s.shutdownRequested = true
            s.gracePeriod = gracePeriod
            return true
        }
        guard first else { return }
        for loop in loops { loop.stop() }
    }

    /// Shuts every loop down gracefully (see ``requestShutdown(gracePeriod:)``) and blocks until all
    /// are closed and their threads done. Must not be called from one of the group's loops (it would
    /// wait for itself): use ``requestShutdown(gracePeriod:)`` there.
    public func shutdown(gracePeriod: Duration = .seconds(10)) {
        precondition(!loops.contains { $0.isOnLoopThread && $0.isRunning },
                     "EventLoopGroup.shutdown called from one of its own loops: use requestShutdown")
        requestShutdown(gracePeriod: gracePeriod)
        stopped.wait()
    }

    /// ``shutdown(gracePeriod:)`` for async callers: waits without blocking a Swift pool thread.
    public func shutdown(gracePeriod: Duration = .seconds(10)) async {
        requestShutdown(gracePeriod: gracePeriod)
        await waitUntilShutDown()
    }

    /// Waits until every loop of the group is closed (after a shutdown requested anywhere, e.g. by a
    /// signal handler installed with ``shutdownOnTerminationSignals(gracePeriod:)``).
    public func waitUntilShutDown() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            stopped.notify { continuation.resume() }
        }
    }

    /// Blocks the calling thread until every loop of the group is closed.
    public func waitUntilShutDownBlocking() { stopped.wait() }

    /// Makes `SIGINT` and `SIGTERM` shut the whole group down gracefully: the handlers are installed on
    /// the first loop (a process delivers a signal once), and the first signal requests the shutdown;
    /// a second one ends the process at once, as asyncio's runner does for Ctrl+C.
    public func shutdownOnTerminationSignals(gracePeriod: Duration = .seconds(10)) throws {
        let loop = loops[0]
        let installed = try loop.runCoroutineThreadsafe { [self] () async throws -> Void in
            for signalNumber in [SIGINT, SIGTERM] {
                try loop.addSignalHandler(signalNumber) { [self] in
                    if isShuttingDown {
                        signal(signalNumber, SIG_DFL)
                        raise(signalNumber)
                    }
                    requestShutdown(gracePeriod: gracePeriod)
                }
            }
        }
        try installed.result()
    }
}

/// A countdown that threads can block on, or be notified by, until it reaches zero.
final class GroupLatch: Sendable {
    private struct State {
        var remaining: Int
        var notifications: [@Sendable () -> Void] = []
    }
    private let state: Mutex<State>
    private let condition = UnsafeCondition()

    init(count: Int) { state = Mutex(State(remaining: count)) }

    func countDown() {
        let fire = state.withLock { s -> [@Sendable () -> Void] in
            s.remaining -= 1
            guard s.remaining == 0 else { return [] }
            defer { s.notifications = [] }
            return s.notifications
        }
        condition.broadcast()
        for notify in fire { notify() }
    }

    func notify(_ body: @escaping @Sendable () -> Void) {
        let now = state.withLock { s -> Bool in
            if s.remaining == 0 { return true }
            s.notifications.append(body)
            return false
        }
        if now { body() }
    }

    func wait() {
        condition.wait { state.withLock { $0.remaining == 0 } }
    }
}

/// A pthread condition variable with its own mutex, for blocking waits on a predicate.
final class UnsafeCondition: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let cond = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(cond, nil)
    }

    deinit {
        pthread_cond_destroy(cond)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        cond.deallocate()
    }

    /// Blocks until `isDone` returns true (it is re-checked after every broadcast).
    func wait(until isDone: () -> Bool) {
        pthread_mutex_lock(mutex)
        while !isDone() { pthread_cond_wait(cond, mutex) }
        pthread_mutex_unlock(mutex)
    }

    func broadcast() {
        pthread_mutex_lock(mutex)
        pthread_cond_broadcast(cond)
        pthread_mutex_unlock(mutex)
    }
}

/// Work that takes part in a loop's graceful shutdown (a server: stop accepting, let in-flight work
/// finish within the grace period, then abort the rest).
protocol GracefulShutdown: AnyObject, Sendable {
    /// Shuts down within `gracePeriod` (on the loop thread).
    func shutdown(gracePeriod: Duration) async
}

extension EventLoop {
    /// Registers work to shut down gracefully when the loop's group shuts down.
    func registerForGracefulShutdown(_ participant: some GracefulShutdown) {
        gracefulShutdownParticipants[ObjectIdentifier(participant)] = participant
    }

    /// Removes a participant (it closed by itself).
    func unregisterFromGracefulShutdown(_ participant: some GracefulShutdown) {
        gracefulShutdownParticipants[ObjectIdentifier(participant)] = nil
    }

    /// Shuts every registered participant down, concurrently, within `gracePeriod`.
    func shutdownGracefully(gracePeriod: Duration) async throws {
        let participants = Array(gracefulShutdownParticipants.values)
        gracefulShutdownParticipants.removeAll()
        let tasks = try participants.map { participant in
            try createTask(name: "graceful shutdown") { await participant.shutdown(gracePeriod: gracePeriod) }
        }
        for task in tasks { try? await task.waitDone() }
    }
}
