import Asyncio
import AsyncioTesting
import XCTest

/// The test loop works from XCTest too: a synchronous XCTest method owns its loop directly.
final class XCTestCompatibilityTests: XCTestCase {
    func testTimeoutRunsInVirtualTimeUnderXCTest() throws {
        let test = try TestLoop()
        defer { test.close() }
        let outcome = try test.run { () async throws -> String in
            let slow = try test.loop.createTask { () async throws -> String in
                try await test.loop.sleep(for: .seconds(30))
                return "finished"
            }
            try test.loop.callLater(.seconds(10)) { slow.cancel(message: "timed out") }
            do { return try await slow.value } catch let error as CancelledError { return error.message ?? "" }
        }
        XCTAssertEqual(outcome, "timed out")
        XCTAssertEqual(test.now, .seconds(10))
        XCTAssertNoThrow(try test.assertNoReportedErrors())
    }
}
