@testable import Asyncio
import AsyncioTesting
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Every public member of ``TestLoop`` that is confined to its thread.
enum TestLoopEntryPoint: CaseIterable, Codable, Sendable {
    case trace, reportedErrors, advanceBy, advanceTo, runUntilIdle, run
    case assertNoPendingTasks, assertNoReportedErrors, traceDescription

    /// The name the precondition failure must give.
    var call: String {
        switch self {
        case .advanceBy, .advanceTo: return "TestLoop.advance"
        default: return "TestLoop.\(self)"
        }
    }

    func call(on test: TestLoop) throws {
        switch self {
        case .trace: _ = test.trace
        case .reportedErrors: _ = test.reportedErrors
        case .advanceBy: try test.advance(by: .seconds(1))
        case .advanceTo: try test.advance(to: test.clock.now)
        case .runUntilIdle: try test.runUntilIdle()
        case .run: _ = try test.run { 1 }
        case .assertNoPendingTasks: try test.assertNoPendingTasks()
        case .assertNoReportedErrors: try test.assertNoReportedErrors()
        case .traceDescription: _ = test.traceDescription
        }
    }
}

@Suite("TestLoop: confinement")
struct TestLoopConfinementTests {
    @Test("Every confined member of a test loop traps off its thread", arguments: TestLoopEntryPoint.allCases)
    func offItsThreadTraps(_ entry: TestLoopEntryPoint) async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) { [entry] in
            // Made on, and confined to, another thread, which stays alive (a thread that ended may hand its
            // id on to a thread started later, which would then pass for the test loop's).
            let fence = HandoffFence()
            let test = try await withCheckedThrowingContinuation { continuation in
                spawnThread(name: "parked-test-loop") {
                    let result = Result { try TestLoop() }
                    fence.publish()
                    continuation.resume(with: result)
                    while true { sleep(3600) }
                }
            }
            fence.receive()
            try entry.call(on: test)
        }
        let standardError = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(standardError.contains("\(entry.call) was called on thread"))
    }
}
