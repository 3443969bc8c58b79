import Asyncio
#if canImport(Glibc)
import Glibc
#endif

extension Tour {
    /// Running blocking code: `runInExecutor` on a thread pool. Python needs a *process* pool for
    /// CPU-bound work (the GIL); Swift threads run truly in parallel, so one thread pool serves both.
    /// The output states what happened (overlap in time) rather than durations, which depend on the
    /// machine: this example blocks real threads even in virtual time. So that the overlap is a fact
    /// and not a race with the OS scheduler (on a busy machine a pool's third thread can start after
    /// the first job has ended), each job first waits until all of its batch have started -- which
    /// they can only do because the pool runs them on threads of their own, at the same time.
    static let runInExecutor = Example(name: "run-in-executor", title: "Executing synchronous functions in asynchronous code") { out in
        let loop = try EventLoop.running()

        @Sendable func blockingIOTask(_ n: Int, _ started: ThreadRendezvous) -> (result: String, start: Double, end: Double) {
            let start = wallClock()
            started.arrive()
            blockingSleep(microseconds: 200_000)  // a blocking call, like time.sleep
            return ("result_\(n)", start, wallClock())
        }
        @Sendable func cpuBoundTask(_ n: Int, _ started: ThreadRendezvous) -> (total: Int, start: Double, end: Double) {
            let start = wallClock()
            started.arrive()
            var total = 0
            for i in 0..<20_000_000 { total &+= i &* i }
            return (total, start, wallClock())
        }

        // I/O-bound work in a pool of 3 threads
        let ioStarted = ThreadRendezvous(count: 3)
        let io = try await withThreadPool(maxWorkers: 3) { pool in
            try await loop.gather(try (0..<3).map { i in try loop.createTask { try await loop.runInExecutor(pool) { blockingIOTask(i, ioStarted) } } })
        }
        out("Results: [\(io.map { "'\($0.result)'" }.joined(separator: ", "))]")
        out("IO tasks ran concurrently: \(ioStarted.allArrived && overlapping(io.map { ($0.start, $0.end) }))")

        // CPU-bound work in a pool of 2 threads (Python: ProcessPoolExecutor)
        let cpuStarted = ThreadRendezvous(count: 2)
        let cpu = try await withThreadPool(maxWorkers: 2) { pool in
            try await loop.gather(try (0..<2).map { i in try loop.createTask { try await loop.runInExecutor(pool) { cpuBoundTask(i, cpuStarted) } } })
        }
        out("CPU results equal: \(cpu[0].total == cpu[1].total)")
        out("CPU tasks ran in parallel on 2 threads: \(cpuStarted.allArrived && overlapping(cpu.map { ($0.start, $0.end) }))")
    }
}

/// Blocks each of `count` threads in ``arrive()`` until all of them have arrived (a pthread barrier
/// that gives up after 60 s, so that a pool that never ran the jobs together fails the example's
/// output instead of hanging it).
private final class ThreadRendezvous: @unchecked Sendable {
    // Allocated, not stored inline: a pthread mutex or condition must not move.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let count: Int
    private var arrived = 0  // guarded by `mutex`

    init(count: Int) {
        self.count = count
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    func arrive() {
        var deadline = timespec()
        clock_gettime(CLOCK_MONOTONIC, &deadline)
        deadline.tv_sec += 60
        pthread_mutex_lock(mutex)
        arrived += 1
        if arrived >= count { pthread_cond_broadcast(condition) }
        while arrived < count && pthread_cond_timedwait(condition, mutex, &deadline) != ETIMEDOUT {}
        pthread_mutex_unlock(mutex)
    }

    /// Whether all `count` threads arrived (read after they returned).
    var allArrived: Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return arrived >= count
    }
}

/// Whether every interval overlaps every other one.
private func overlapping(_ spans: [(Double, Double)]) -> Bool {
    for a in spans { for b in spans where a != b { if !(a.0 < b.1 && b.0 < a.1) { return false } } }
    return true
}

private func wallClock() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
