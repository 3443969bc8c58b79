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

/// The largest magnitude of a signed deadline or delay: about 146 years, far from `Int64` overflow
/// when added to a monotonic reading.
let maxSignedNanoseconds: Int64 = 1 << 62

extension Duration {
    /// The duration in whole nanoseconds, negative ones included (rounded up: never early), saturating
    /// at ±``maxSignedNanoseconds``.
    var signedNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let limit = maxSignedNanoseconds / 1_000_000_000
        if seconds >= limit { return maxSignedNanoseconds }
        if seconds <= -limit { return -maxSignedNanoseconds }
        // `attoseconds` has the sign of the duration: truncating a negative part rounds it up already.
        let part = attoseconds / 1_000_000_000 + (attoseconds > 0 && attoseconds % 1_000_000_000 != 0 ? 1 : 0)
        return seconds * 1_000_000_000 + part
    }
}

/// Seconds as a `Double` to whole signed nanoseconds (rounded up, saturating; NaN is 0).
@inline(__always)
func signedNanoseconds(fromSeconds seconds: Double) -> Int64 {
    guard !seconds.isNaN else { return 0 }
    let limit = Double(maxSignedNanoseconds) / 1e9
    if seconds >= limit { return maxSignedNanoseconds }
    if seconds <= -limit { return -maxSignedNanoseconds }
    return Int64((seconds * 1e9).rounded(.up))
}

extension EventLoop {
    /// The loop's time in signed nanoseconds, the unit of timer deadlines.
    @inline(__always)
    var nowDeadline: Int64 { Int64(clamping: nowNanoseconds) }

    /// The deadline `delay` from now (in the past for a negative delay).
    @inline(__always)
    func deadline(after delay: Int64) -> Int64 { nowDeadline &+ delay }
}
