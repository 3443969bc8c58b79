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

// Durations and seconds become nanoseconds in ONE way: `Duration.signedNanoseconds` (and, for the
// asyncio-style `Double` seconds, `signedNanoseconds(fromSeconds:)`), rounded UP to a whole nanosecond
// and saturating. Every other form (`clampedNanoseconds`, `nanoseconds(fromSeconds:)`, a clock
// instant advanced by a duration, a test loop advanced by one) is that value, clamped.
//
// Rounding up so that a wait never ends early: a timer, sleep or timeout is due no sooner than the
// duration asked for, against `loop.time()`. asyncio rounds the other way at the edges (its
// `_run_once` runs timers due within `clock_resolution` of now, so it can fire up to one clock tick
// early; `selectors` round the poll timeout up to whole milliseconds so as not to spin); libuv keeps
// timers in whole milliseconds of a cached `uv_now` truncated from the monotonic clock, so a libuv
// timer can fire up to a millisecond early against the real clock. This loop keeps nanosecond
// deadlines against `CLOCK_MONOTONIC` and rounds the poll timeout up to whole milliseconds (see
// `runOnce`), so neither early-firing applies: a wait ends at or after its deadline.

/// The largest magnitude of a signed deadline or delay: about 146 years, far from `Int64` overflow
/// when added to a monotonic reading.
let maxSignedNanoseconds: Int64 = 1 << 62

extension Duration {
    /// The duration in whole nanoseconds, negative ones included (rounded up: never early), saturating
    /// at ±``maxSignedNanoseconds``: the package's one `Duration` → nanoseconds conversion.
    package var signedNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let limit = maxSignedNanoseconds / 1_000_000_000
        if seconds >= limit { return maxSignedNanoseconds }
        if seconds <= -limit { return -maxSignedNanoseconds }
        // `attoseconds` has the sign of the duration: truncating a negative part rounds it up already.
        let part = attoseconds / 1_000_000_000 + (attoseconds > 0 && attoseconds % 1_000_000_000 != 0 ? 1 : 0)
        return seconds * 1_000_000_000 + part
    }

    /// ``signedNanoseconds``, clamped at zero for negative durations.
    package var clampedNanoseconds: UInt64 { UInt64(max(0, signedNanoseconds)) }
}

/// Seconds as a `Double` to whole signed nanoseconds (rounded up, saturating; NaN is 0): the one
/// conversion of asyncio-style seconds.
@inline(__always)
func signedNanoseconds(fromSeconds seconds: Double) -> Int64 {
    guard !seconds.isNaN else { return 0 }
    let limit = Double(maxSignedNanoseconds) / 1e9
    if seconds >= limit { return maxSignedNanoseconds }
    if seconds <= -limit { return -maxSignedNanoseconds }
    return Int64((seconds * 1e9).rounded(.up))
}

/// ``signedNanoseconds(fromSeconds:)``, clamped at zero (negative and NaN → 0).
@inline(__always)
func nanoseconds(fromSeconds seconds: Double) -> UInt64 {
    UInt64(max(0, signedNanoseconds(fromSeconds: seconds)))
}

extension EventLoop {
    /// The loop's time in signed nanoseconds, the unit of timer deadlines.
    @inline(__always)
    var nowDeadline: Int64 { Int64(clamping: nowNanoseconds) }

    /// The deadline `delay` from now (in the past for a negative delay).
    @inline(__always)
    func deadline(after delay: Int64) -> Int64 { nowDeadline &+ delay }
}
