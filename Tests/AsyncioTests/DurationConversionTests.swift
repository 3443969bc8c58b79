@testable import Asyncio
import AsyncioTesting
import Testing

/// Issue 17: one `Duration` → nanoseconds conversion, rounded up (a wait never ends early), used by
/// timers, sleeps, timeouts, the loop clock's instants and the test loop.
@Suite("Duration to nanoseconds")
struct DurationConversionTests {
    static let halfNanosecond = Duration(secondsComponent: 0, attosecondsComponent: 500_000_000)

    @Test func roundsUpAndSaturates() {
        #expect(Self.halfNanosecond.signedNanoseconds == 1)
        #expect(Duration(secondsComponent: 1, attosecondsComponent: 1).signedNanoseconds == 1_000_000_001)
        #expect((.zero - Self.halfNanosecond).signedNanoseconds == 0)        // up, toward +infinity
        #expect(Duration.nanoseconds(-3).signedNanoseconds == -3)
        #expect(Duration.seconds(Int64.max).signedNanoseconds == maxSignedNanoseconds)
        #expect(Duration.seconds(-5).clampedNanoseconds == 0)
        #expect(Self.halfNanosecond.clampedNanoseconds == 1)
        #expect(signedNanoseconds(fromSeconds: 0.0000000005) == 1)
        #expect(nanoseconds(fromSeconds: -1) == 0)
    }

    @Test func everyConsumerUsesTheSameRounding() throws {
        let instant = LoopClock.Instant(nanoseconds: 10)
        #expect(instant.advanced(by: Self.halfNanosecond).nanoseconds == 11)   // was truncated to 10
        let test = try TestLoop()
        defer { test.close() }
        try test.advance(by: Self.halfNanosecond)                              // was truncated to 0
        #expect(test.now == .nanoseconds(1))
        let slept = try test.run { () async throws -> Duration in
            let start = test.now
            try await test.loop.sleep(for: Self.halfNanosecond)
            return test.now - start
        }
        #expect(slept == .nanoseconds(1))
    }

    /// Issue 17, the one rule for time-taking APIs: every duration is a `Duration`; asyncio's float
    /// seconds are `.seconds(x)`, and a `Double` is only an instant of `loop.time()` (`callAt`).
    @Test func floatSecondsAreWrittenAsDurationSeconds() throws {
        let test = try TestLoop()
        defer { test.close() }
        let (slept, fired) = try test.run { () async throws -> (Duration, [Double]) in
            var fired: [Double] = []
            let start = test.now
            try await sleep(for: .seconds(0.25))
            let slept = test.now - start
            try test.loop.callLater(.seconds(0.5)) { fired.append(test.loop.time()) }
            try test.loop.callAt(test.loop.time() + 1.0) { fired.append(test.loop.time()) }
            try await sleep(for: .seconds(2))
            return (slept, fired)
        }
        #expect(slept == .milliseconds(250))
        #expect(fired == [0.75, 1.25])
    }
}
