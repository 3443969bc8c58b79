import Asyncio
import AsyncioTesting
import Testing

/// The README's virtual-time example, verbatim: if this breaks, the README is wrong.
@Suite("README examples")
struct ReadmeExampleTests {
    @Test func givesUpAfterThirtySeconds() async throws {
        try await withTestLoop { test in                 // a fresh virtual-time loop on its own thread
            let elapsed = try test.run {
                let start = test.now
                let slow = try test.loop.createTask { try await test.loop.sleep(for: .seconds(3600)) }
                try test.loop.callLater(.seconds(30)) { slow.cancel(message: "timed out") }
                await #expect(throws: CancelledError(message: "timed out")) { try await slow.value }
                return test.now - start
            }
            #expect(elapsed == .seconds(30))             // exact, and the test takes microseconds
            try test.assertNoPendingTasks()
            try test.assertNoReportedErrors()
        }
    }
}
