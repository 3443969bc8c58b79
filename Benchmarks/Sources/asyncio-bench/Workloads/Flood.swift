import Asyncio
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// flood (ours, issue 19's "fairness under load"): `threads` threads each send `n` callSoonThreadsafe
/// callbacks (each increments a counter; the last one stops the loop) while a 1 ms timer re-arms itself
/// on the loop. Prints the timer's lateness (fire time − deadline, both on the loop's clock): max, p99,
/// p50, the number of firings, the total time and the process's peak RSS (`getrusage`). On a busy
/// machine lateness includes time the loop thread spent runnable but waiting for a CPU (16 busy
/// producers on 2 cores, other processes): `loop_cpu_wait_ms` is that time over the run (from
/// /proc/thread-self/schedstat), `late_max_cpu_wait_ms` its share in the interval that ended with the
/// latest firing, and `late_max_net_ms` the largest lateness less the CPU wait of its interval (the
/// interval starts at the previous firing, about 1 ms before the deadline, so this slightly
/// under-counts the loop's own delay).
///
/// `--capacity C` bounds the loop's inbox to C waiting callbacks and makes the producers use the
/// waiting variant (a producer thread blocks while the inbox is full).
func flood(impl: String, n: Int, threads: Int, capacity: Int?) throws {
    guard impl == "loop" else { return unavailable(impl, "flood", "measures this loop's inbox") }
    let loop = try EventLoop(inboxCapacity: capacity)
    let total = threads * n
    let delivered = Counter()
    nonisolated(unsafe) var lateness: [Double] = []
    lateness.reserveCapacity(4096)
    nonisolated(unsafe) var worst = (late: -1.0, cpuWait: 0.0)
    nonisolated(unsafe) var worstNet = 0.0
    nonisolated(unsafe) var firstWait = 0.0, lastWait = 0.0, endWait = 0.0
    nonisolated(unsafe) var floodOver = false
    let period = 0.001

    func arm() throws {
        let deadline = loop.time() + period
        try loop.callAt(deadline) {
            let late = loop.time() - deadline
            lateness.append(late)
            let wait = runQueueWaitSeconds()
            if late > worst.late { worst = (late, wait - lastWait) }
            worstNet = max(worstNet, late - (wait - lastWait))
            lastWait = wait
            if !floodOver { try arm() }
        }
    }

    let start = now()
    try loop.callSoon {
        firstWait = runQueueWaitSeconds()
        lastWait = firstWait
        try arm()
        for _ in 0..<threads {
            Thread.start {
                for _ in 0..<n {
                    let callback: @Sendable () -> Void = {
                        if delivered.increment() == total {
                            floodOver = true
                            endWait = runQueueWaitSeconds()
                            loop.stop()
                        }
                    }
                    if capacity == nil {
                        try! loop.callSoonThreadsafe(callback)
                    } else {
                        try! loop.callSoonThreadsafeWaitingForRoom(callback)
                    }
                }
            }
        }
    }
    try loop.runForever()
    let seconds = now() - start
    precondition(delivered.value == total)
    try loop.close()

    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    let sorted = lateness.sorted()
    func percentile(_ p: Double) -> Double {
        sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
    }
    Report(impl: impl, workload: "flood", n: total, seconds: seconds, extra: [
        ("threads", "\(threads)"),
        ("capacity", capacity.map { "\($0)" } ?? "null"),
        ("timer_firings", "\(sorted.count)"),
        ("timer_late_max_ms", format((sorted.last ?? 0) * 1e3, 3)),
        ("timer_late_p99_ms", format(percentile(0.99) * 1e3, 3)),
        ("timer_late_p50_ms", format(percentile(0.50) * 1e3, 3)),
        ("max_rss_mib", format(Double(usage.ru_maxrss) / 1024, 1)),
        ("loop_cpu_wait_ms", format((endWait - firstWait) * 1e3, 1)),
        ("late_max_cpu_wait_ms", format(worst.cpuWait * 1e3, 3)),
        ("late_max_net_ms", format(worstNet * 1e3, 3)),
    ]).print()
}

/// Counts the delivered callbacks (only the loop thread increments it; atomic so the main thread may
/// read it after the loop stopped without a data race).
private final class Counter: Sendable {
    private let count = Atomic<Int>(0)
    func increment() -> Int { count.add(1, ordering: .relaxed).newValue }
    var value: Int { count.load(ordering: .relaxed) }
}

/// The calling thread's time spent runnable but waiting for a CPU, in seconds (schedstat's 2nd field).
private func runQueueWaitSeconds() -> Double {
    guard let file = fopen("/proc/thread-self/schedstat", "r") else { return 0 }
    defer { fclose(file) }
    var line = [CChar](repeating: 0, count: 128)
    guard fgets(&line, 128, file) != nil else { return 0 }
    let fields = String(decoding: line.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        .split(separator: " ")
    guard fields.count >= 2, let waiting = UInt64(fields[1]) else { return 0 }
    return Double(waiting) / 1e9
}
