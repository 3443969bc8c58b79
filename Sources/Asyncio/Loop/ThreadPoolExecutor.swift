import DequeModule
#if canImport(Glibc)
import Glibc
#endif

/// A pool of worker threads for blocking or CPU-bound work (Python's
/// `concurrent.futures.ThreadPoolExecutor`), used through ``EventLoop/runInExecutor(_:_:)``.
///
/// Swift threads run truly in parallel (no GIL), so this pool also replaces Python's
/// `ProcessPoolExecutor` for CPU-bound work. Thread-safe: submit from any thread.
public final class ThreadPoolExecutor: Sendable {
    /// The queue and the worker counts, guarded by `monitor`.
    private struct State {
        var jobs = Deque<@Sendable () -> Void>()
        var shutDown = false
        /// Workers waiting and not yet signalled.
        var idle = 0
        /// Signals sent to idle workers that no worker has consumed yet.
        var wakeups = 0
        /// Workers running a job (they take no queued job until it returns).
        var busy = 0
        var threads = 0
    }

    /// The maximum number of worker threads.
    public let maxWorkers: Int
    // A plain pthread mutex and condition variable: Synchronization.Mutex is a priority-inheritance
    // futex that spins in `_lockSlow` under contention, and a pool's workers contend by design
    // (the executor workload spent 64% of its time there).
    private let monitor = Monitor(State())

    /// Creates a pool of at most `maxWorkers` threads, started on demand.
    /// - Precondition: `maxWorkers >= 1`.
    public init(maxWorkers: Int) {
        precondition(maxWorkers >= 1, "maxWorkers must be >= 1")
        self.maxWorkers = maxWorkers
    }

    /// Runs `job` on a worker thread: an idle worker is woken, or a new one started while fewer
    /// than ``maxWorkers`` run; otherwise the job waits for the next free worker.
    /// - Throws: ``ExecutorShutDownError`` after ``shutdown(wait:)``.
    public func submit(_ job: @escaping @Sendable () -> Void) throws {
        let startThread = try monitor.withLock { s -> Bool in
            if s.shutDown { throw ExecutorShutDownError() }
            s.jobs.append(job)
            // Workers awake and between jobs take queued jobs before they sleep: wake or start one
            // more only when the queue outgrows them (one wake-up per burst, not one context switch
            // per job). A worker busy with a (maybe blocking) job does not count.
            if s.jobs.count <= s.threads - s.idle - s.busy { return false }
            if s.idle > 0 {
                s.idle -= 1
                s.wakeups += 1
                monitor.signal()
                return false
            }
            if s.threads < maxWorkers { s.threads += 1; return true }
            return false
        }
        if startThread { spawnThread(name: "asyncio-worker") { [self] in work() } }
    }

    private func work() {
        monitor.lock()
        while true {
            if let job = monitor.state.jobs.popFirst() {
                monitor.state.busy += 1
                monitor.unlock()
                job()
                monitor.lock()
                monitor.state.busy -= 1
            } else if monitor.state.shutDown {
                monitor.state.threads -= 1
                monitor.broadcast()  // shutdown(wait:) waits for threads == 0
                monitor.unlock()
                return
            } else {
                monitor.state.idle += 1
                monitor.wait()
                if monitor.state.wakeups > 0 { monitor.state.wakeups -= 1 } else { monitor.state.idle -= 1 }  // spurious
            }
        }
    }

    /// Stops accepting work; with `wait`, blocks until every submitted job ran and the threads ended
    /// (Python's `shutdown(wait=True)`).
    public func shutdown(wait: Bool = true) {
        monitor.lock()
        monitor.state.shutDown = true
        monitor.broadcast()
        if wait { while monitor.state.threads > 0 { monitor.wait() } }
        monitor.unlock()
    }

    /// Whether ``shutdown(wait:)`` was called.
    public var isShutDown: Bool { monitor.withLock { $0.shutDown } }
}

/// A value guarded by a pthread mutex, with one condition variable. `state` may be touched only
/// between `lock()` and `unlock()` (or inside `withLock`), which is what makes it `@unchecked Sendable`.
final class Monitor<State>: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// Unchecked exclusivity: the mutex is what makes accesses exclusive (the dynamic checks would
    /// cost more than the inbox's whole critical section).
    @exclusivity(unchecked)
    var state: State

    init(_ state: State) {
        self.state = state
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    func lock() { pthread_mutex_lock(mutex) }
    func tryLock() -> Bool { pthread_mutex_trylock(mutex) == 0 }
    func unlock() { pthread_mutex_unlock(mutex) }
    /// Waits on the condition (lock held).
    func wait() { pthread_cond_wait(condition, mutex) }
    /// Waits on another condition with this mutex (lock held).
    func wait(on other: UnsafeMutablePointer<pthread_cond_t>) { pthread_cond_wait(other, mutex) }
    func signal() { pthread_cond_signal(condition) }
    func broadcast() { pthread_cond_broadcast(condition) }

    func withLock<T>(_ body: (inout State) throws -> T) rethrows -> T {
        lock()
        defer { unlock() }
        return try body(&state)
    }
}

/// Work submitted to a ``ThreadPoolExecutor`` that was shut down.
public struct ExecutorShutDownError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Creates the error.
    public init() {}
    /// The error's message.
    public var description: String { "cannot schedule new work after shutdown" }
}


/// Runs `body` with a new pool of `maxWorkers` threads and shuts the pool down afterwards, waiting
/// for its threads (Python's `with ThreadPoolExecutor(max_workers=n) as executor:`).
nonisolated(nonsending) public func withThreadPool<T>(
    maxWorkers: Int, _ body: (ThreadPoolExecutor) async throws -> T
) async throws -> T {
    let pool = ThreadPoolExecutor(maxWorkers: maxWorkers)
    defer { pool.shutdown(wait: true) }
    return try await body(pool)
}
