import Asyncio
#if canImport(Glibc)
import Glibc
#endif

extension Tour {
    /// Running blocking code: `runInExecutor` on a thread pool. Python needs a *process* pool for
    /// CPU-bound work (the GIL); Swift threads run truly in parallel, so one thread pool serves both.
    /// The output states what happened (overlap in time) rather than durations, which depend on the
    /// machine: this example blocks real threads even in virtual time.
    static let runInExecutor = Example(name: "run-in-executor", title: "Executing synchronous functions in asynchronous code") { out in
        let loop = try EventLoop.running()

        @Sendable func blockingIOTask(_ n: Int) -> (result: String, start: Double, end: Double) {
            let start = wallClock()
            usleep(200_000)  // a blocking call, like time.sleep
            return ("result_\(n)", start, wallClock())
        }
        @Sendable func cpuBoundTask(_ n: Int) -> (total: Int, start: Double, end: Double) {
            let start = wallClock()
            var total = 0
            for i in 0..<20_000_000 { total &+= i &* i }
            return (total, start, wallClock())
        }

        // I/O-bound work in a pool of 3 threads
        let io = try await withThreadPool(maxWorkers: 3) { pool in
            try await loop.gather(try (0..<3).map { i in try loop.createTask { try await loop.runInExecutor(pool) { blockingIOTask(i) } } })
        }
        out("Results: [\(io.map { "'\($0.result)'" }.joined(separator: ", "))]")
        out("IO tasks ran concurrently: \(overlapping(io.map { ($0.start, $0.end) }))")

        // CPU-bound work in a pool of 2 threads (Python: ProcessPoolExecutor)
        let cpu = try await withThreadPool(maxWorkers: 2) { pool in
            try await loop.gather(try (0..<2).map { i in try loop.createTask { try await loop.runInExecutor(pool) { cpuBoundTask(i) } } })
        }
        out("CPU results equal: \(cpu[0].total == cpu[1].total)")
        out("CPU tasks ran in parallel on 2 threads: \(overlapping(cpu.map { ($0.start, $0.end) }))")
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
