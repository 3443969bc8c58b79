import Asyncio

/// cpu_pool (ours, not in WORKLOADS.md): two CPU-bound jobs of N iterations each, run in a 1-worker
/// pool (one worker does both) and in a 2-worker pool; reports the 2-worker time and the speed-up
/// (issue 5: about 2x on two idle cores).
func cpuPool(impl: String, n: Int) throws {
    guard impl == "loop" else { return unavailable(impl, "cpu_pool", "a property of our thread pool") }
    @Sendable func job() -> UInt64 {  // xorshift steps: no closed form for the optimizer to find
        var x: UInt64 = 88_172_645_463_325_252
        for _ in 0..<n { x ^= x << 13; x ^= x >> 7; x ^= x << 17 }
        return x
    }
    let (serial, parallel) = try run { () async throws -> (Double, Double) in
        let loop = try EventLoop.running()
        func timed(workers: Int) async throws -> Double {
            try await withThreadPool(maxWorkers: workers) { pool in
                let start = now()
                let results = try await loop.gather(try (0..<2).map { _ in try loop.runInExecutorFuture(pool, job) })
                precondition(results[0] == results[1])
                return now() - start
            }
        }
        _ = try await timed(workers: 2)  // warm-up: page in the code, start the CPUs' clocks
        return (try await timed(workers: 1), try await timed(workers: 2))
    }
    Report(impl: impl, workload: "cpu_pool", n: n, seconds: parallel, ops: 2,
           extra: [("one_worker_s", format(serial, 6)), ("speedup", format(serial / parallel, 2))]).print()
}
