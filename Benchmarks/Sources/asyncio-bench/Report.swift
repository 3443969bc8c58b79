#if canImport(Glibc)
import Glibc
#endif

/// One JSON line, as ../shared/benchmarks/WORKLOADS.md specifies.
struct Report {
    var impl: String
    var workload: String
    var n: Int
    var seconds: Double
    var ops: Int? = nil
    var extra: [(String, String)] = []

    func print() {
        let perOp = seconds * 1e9 / Double(ops ?? n)
        var fields = [
            "\"impl\":\"\(impl)\"", "\"workload\":\"\(workload)\"", "\"n\":\(n)",
            "\"seconds\":\(format(seconds, 6))", "\"ns_per_op\":\(format(perOp, 1))",
        ]
        fields += extra.map { "\"\($0.0)\":\($0.1)" }
        Swift.print("{" + fields.joined(separator: ",") + "}")
        fflush(nil)
    }
}

/// Like WORKLOADS.md: a workload that has no equivalent on an implementation says so.
func unavailable(_ impl: String, _ workload: String, _ why: String) {
    Swift.print("{\"impl\":\"\(impl)\",\"workload\":\"\(workload)\",\"error\":\"\(why)\"}")
    fflush(nil)
}

func format(_ value: Double, _ digits: Int) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    return "\(rounded)"
}

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// VmRSS of this process in KiB.
func rssKiB() -> Int {
    guard let file = fopen("/proc/self/status", "r") else { return 0 }
    defer { fclose(file) }
    var line = [CChar](repeating: 0, count: 256)
    while fgets(&line, 256, file) != nil {
        let text = String(decoding: line.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if text.hasPrefix("VmRSS:") {
            return Int(text.split(whereSeparator: { $0 == " " || $0 == "\t" })[1]) ?? 0
        }
    }
    return 0
}

/// A counting semaphore for the main thread to wait on default-executor work.
final class Waiter: @unchecked Sendable {
    private var semaphore = sem_t()
    init() { sem_init(&semaphore, 0, 0) }
    func signal() { sem_post(&semaphore) }
    func wait() { sem_wait(&semaphore) }
}

/// A tiny deterministic PRNG (the timers workload needs a fixed seed; the Python anchor uses its own).
struct SplitMix64 {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return z ^ (z >> 31)
    }
    mutating func uniform(_ low: Double, _ high: Double) -> Double {
        low + (high - low) * Double(next() >> 11) / Double(1 << 53)
    }
}
