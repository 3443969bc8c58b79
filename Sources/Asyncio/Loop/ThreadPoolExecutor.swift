import DequeModule
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A pool of worker threads for blocking or CPU-bound work (Python's
/// `concurrent.futures.ThreadPoolExecutor`), used through ``EventLoop/runInExecutor(_:_:)``.
///
/// Swift threads run truly in parallel (no GIL), so this pool also replaces Python's
/// `ProcessPoolExecutor` for CPU-bound work. Thread-safe: submit from any thread.
public final class ThreadPoolExecutor: Sendable {
    private struct State {
        var jobs = Deque<@Sendable () -> Void>()
        var shutDown = false
        var idle = 0
        var threads = 0
        var running = 0
    }

    /// The maximum number of worker threads.
    public let maxWorkers: Int
    private let state = Mutex(State())
    private let wakeup = ThreadSemaphore()
    private let finished = ThreadSemaphore()

    /// Creates a pool of at most `maxWorkers` threads, started on demand.
    /// - Precondition: `maxWorkers >= 1`.
    public init(maxWorkers: Int) {
        precondition(maxWorkers >= 1, "maxWorkers must be >= 1")
        self.maxWorkers = maxWorkers
    }

    /// Runs `job` on a worker thread.
    /// - Throws: ``ExecutorShutDownError`` after ``shutdown(wait:)``.
    public func submit(_ job: @escaping @Sendable () -> Void) throws {
        let startThread = try state.withLock { s -> Bool in
            if s.shutDown { throw ExecutorShutDownError() }
            s.jobs.append(job)
            if s.idle > 0 { s.idle -= 1; return false }
            if s.threads < maxWorkers { s.threads += 1; s.running += 1; return true }
            return false
        }
        if startThread {
            spawnThread(name: "asyncio-worker") { [self] in work() }
        } else {
            wakeup.signal()
        }
    }

    private func work() {
        while true {
            let job = state.withLock { s -> (@Sendable () -> Void)?? in
                if let job = s.jobs.popFirst() { return .some(job) }
                if s.shutDown { return .some(nil) }
                s.idle += 1
                return nil
            }
            switch job {
            case .some(.some(let job)): job()
            case .some(.none):
                state.withLock { $0.running -= 1 }
                finished.signal()
                return
            case .none: wakeup.wait()
            }
        }
    }

    /// Stops accepting work; with `wait`, blocks until every submitted job ran and the threads ended
    /// (Python's `shutdown(wait=True)`).
    public func shutdown(wait: Bool = true) {
        let (threads, idle) = state.withLock { s -> (Int, Int) in
            let first = !s.shutDown
            s.shutDown = true
            return first ? (s.threads, s.idle) : (0, 0)
        }
        state.withLock { $0.idle = 0 }
        for _ in 0..<idle { wakeup.signal() }
        if wait { for _ in 0..<threads { finished.wait() } }
    }

    /// Whether ``shutdown(wait:)`` was called.
    public var isShutDown: Bool { state.withLock { $0.shutDown } }
}

/// Work submitted to a ``ThreadPoolExecutor`` that was shut down.
public struct ExecutorShutDownError: Error, Equatable, Sendable, CustomStringConvertible {
    public init() {}
    public var description: String { "cannot schedule new work after shutdown" }
}


/// A POSIX counting semaphore for worker threads (thread-safe by construction).
private final class ThreadSemaphore: @unchecked Sendable {
    private let semaphore = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)
    init() { sem_init(semaphore, 0, 0) }
    deinit { sem_destroy(semaphore); semaphore.deallocate() }
    func signal() { sem_post(semaphore) }
    func wait() { while sem_wait(semaphore) != 0 {} }
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
