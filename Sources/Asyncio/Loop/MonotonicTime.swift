#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Nanoseconds of `CLOCK_MONOTONIC`: the loop's real time source (sub-microsecond, unlike libuv's
/// cached millisecond `uv_now`).
@inline(__always)
func monotonicNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
}

extension Duration {
    /// The duration in whole nanoseconds, clamped at zero for negative durations.
    var clampedNanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        if seconds < 0 || (seconds == 0 && attoseconds <= 0) { return 0 }
        let ns = attoseconds / 1_000_000_000 + (attoseconds % 1_000_000_000 == 0 ? 0 : 1)
        let (s, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? UInt64.max / 2 : s &+ UInt64(ns)
    }
}

/// Seconds as a `Double` to whole nanoseconds (never early: rounded up; negative → 0).
@inline(__always)
func nanoseconds(fromSeconds seconds: Double) -> UInt64 {
    guard seconds > 0 else { return 0 }
    guard seconds < 9.0e9 else { return UInt64.max / 2 }
    return UInt64((seconds * 1e9).rounded(.up))
}
