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
/// started on the group listen on every loop (``startServer(host:port:backlog:limit:timeouts:_:)``,
/// ``GroupServer``). ``shutdown(gracePeriod:)-git1`` shuts every loop down gracefully — each runs its
/// registered graceful-shutdown work (every server on it shuts down as
/// ``StreamServer/shutdown(gracePeriod:)``: stops accepting, closes idle connections, lets in-flight
/// work finish within the grace period, aborts the rest), cancels its remaining tasks and closes —
/// and joins the threads.
///
/// Thread-safe (`Sendable`): every member may be used from any thread.
public final class EventLoopGroup: Sendable {
    /// The group's loops, in order.
    public let loops: [EventLoop]
    private let counter = Atomic<Int>(0)
    private let core: GroupCore

    /// Starts `count` loops (`nil`: one per core), each created on, and confined to, a new thread of its
    /// own named `name-N` (so no other thread ever holds one of them as its loop thread).
    /// - Throws: ``EventLoopError`` if a loop cannot be created (then none is left running).
    public init(loops: Int? = nil, name: String = "asyncio-loop") throws {
        let count = loops ?? activeProcessorCount()
        precondition(count >= 1, "EventLoopGroup needs at least one loop")
        let core = GroupCore(count: count)
        for index in 0..<count {
            spawnThread(name: "\(name)-\(index)") { core.serve(index) }
        }
        let created = core.waitForLoops()
        guard let loops = try? created.map({ try $0.get() }) else {
            core.requestShutdown(gracePeriod: .zero)
            core.waitUntilStopped()
            for result in created { if case .failure(let error) = result { throw error } }
            preconditionFailure("unreachable: a loop failed without an error")
        }
        self.loops = loops
        self.core = core
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
    public var isShuttingDown: Bool { core.monitor.withLock { $0.shutdownRequested } }

    /// Starts shutting every loop down without waiting (safe from any thread, a loop's own included,
    /// e.g. from a signal handler): each loop runs its graceful-shutdown work with `gracePeriod`,
    /// cancels what is left, and closes. Calling it again does nothing.
    public func requestShutdown(gracePeriod: Duration = .seconds(10)) {
        core.requestShutdown(gracePeriod: gracePeriod)
    }

    /// Shuts every loop down gracefully (see ``requestShutdown(gracePeriod:)``) and blocks until all
    /// are closed and their threads done. Must not be called from one of the group's loops (it would
    /// wait for itself): use ``requestShutdown(gracePeriod:)`` there.
    public func shutdown(gracePeriod: Duration = .seconds(10)) {
        precondition(!loops.contains { $0.isOnLoopThread },
                     "EventLoopGroup.shutdown called from one of its own loops: use requestShutdown")
        requestShutdown(gracePeriod: gracePeriod)
        core.waitUntilStopped()
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
            core.whenStopped { continuation.resume() }
        }
    }

    /// Blocks the calling thread until every loop of the group is closed.
    public func waitUntilShutDownBlocking() { core.waitUntilStopped() }

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

/// The state a group shares with its threads, under one pthread mutex (which ThreadSanitizer sees).
final class GroupCore: Sendable {
    struct State {
        /// Each thread's loop, once it has made it.
        var created: [Result<EventLoop, any Error>?]
        var shutdownRequested = false
        var gracePeriod: Duration = .seconds(10)
        /// Threads whose loop is not closed yet.
        var running: Int
        var whenStopped: [@Sendable () -> Void] = []
    }
    let monitor: Monitor<State>

    init(count: Int) {
        monitor = Monitor(State(created: Array(repeating: nil, count: count), running: count))
    }

    /// The body of loop thread `index`: make the loop (it belongs to this thread from the start), run
    /// it until the group shuts down (a `stop()` of one loop alone does not end it), then shut it down
    /// gracefully and close it.
    func serve(_ index: Int) {
        let loop: EventLoop
        do {
            loop = try EventLoop()
            report(index, .success(loop))
        } catch {
            report(index, .failure(error))
            finished()
            return
        }
        while !monitor.withLock({ $0.shutdownRequested }) {
            do { try loop.runForever() } catch {
                loop.log.error("EventLoopGroup: loop stopped running: \(error)")
                break
            }
        }
        let grace = monitor.withLock { $0.gracePeriod }
        if !loop.isClosed {
            _ = try? loop.runUntilComplete { try await loop.shutdownGracefully(gracePeriod: grace) }
            try? loop.cancelAllTasks()
            try? loop.close()
        }
        finished()
    }

    private func report(_ index: Int, _ result: Result<EventLoop, any Error>) {
        monitor.lock()
        monitor.state.created[index] = result
        monitor.broadcast()
        monitor.unlock()
    }

    /// Blocks until every thread has made its loop (or failed to).
    func waitForLoops() -> [Result<EventLoop, any Error>] {
        monitor.lock()
        defer { monitor.unlock() }
        while monitor.state.created.contains(where: { $0 == nil }) { monitor.wait() }
        return monitor.state.created.map { $0! }
    }

    func requestShutdown(gracePeriod: Duration) {
        let loops = monitor.withLock { s -> [EventLoop] in
            if s.shutdownRequested { return [] }
            s.shutdownRequested = true
            s.gracePeriod = gracePeriod
            return s.created.compactMap { try? $0?.get() }
        }
        for loop in loops { loop.stop() }
    }

    private func finished() {
        monitor.lock()
        monitor.state.running -= 1
        var notify: [@Sendable () -> Void] = []
        if monitor.state.running == 0 {
            notify = monitor.state.whenStopped
            monitor.state.whenStopped = []
        }
        monitor.broadcast()
        monitor.unlock()
        for body in notify { body() }
    }

    /// Blocks until every loop is closed.
    func waitUntilStopped() {
        monitor.lock()
        while monitor.state.running > 0 { monitor.wait() }
        monitor.unlock()
    }

    /// Runs `body` once every loop is closed (now, if they are).
    func whenStopped(_ body: @escaping @Sendable () -> Void) {
        let now = monitor.withLock { s -> Bool in
            if s.running == 0 { return true }
            s.whenStopped.append(body)
            return false
        }
        if now { body() }
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
