@_spi(AsyncioTesting) import Asyncio
@testable import AsyncioTour
import Foundation
import Testing

/// Every example of the tour runs in virtual time and prints exactly its expected text
/// (`Expected/NAME.txt`, the article's "Output" where it gives one).
@Suite("asyncio-tour output")
struct TourOutputTests {
    static let expectedDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Expected")

    @Test(arguments: Tour.examples.map(\.name))
    func exampleOutputMatchesExpected(_ name: String) async throws {
        let example = try #require(Tour.example(named: name))
        let expected = try String(contentsOf: Self.expectedDirectory.appendingPathComponent("\(name).txt"), encoding: .utf8)
        let lines = try await onOwnThread { try Tour.run(example, virtualTime: true, echo: false) }
        let expectedLines = expected.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
        #expect(Self.droppingUnexpectedSlowStepWarnings(lines, expected: expectedLines).joined(separator: "\n") + "\n" == expected)
    }

    /// `actual` without the debug-mode slow-step warnings that `expected` does not list.
    ///
    /// Debug mode times steps on the real clock even in virtual time (it is for finding code that
    /// blocks the thread), so every warning the article shows is certain -- those steps block for
    /// 100-150 ms, and a step's time is never less than the time it blocked (DebugModeTests) -- but
    /// the absence of others is not: a step of a few microseconds really can block for tens of
    /// milliseconds on a lock whose holder is waiting for a CPU (under ThreadSanitizer, its runtime's
    /// mutexes, measured at 20-540 ms with 2 cores shared by parallel tests), and debug mode rightly
    /// reports it. Which steps are reported is checked exactly on a scripted clock in DebugModeTests.
    static func droppingUnexpectedSlowStepWarnings(_ actual: [String], expected: [String]) -> [String] {
        var kept: [String] = []
        var next = 0
        for line in actual {
            if next < expected.count && line == expected[next] {
                kept.append(line)
                next += 1
            } else if !(line.hasPrefix("   [debug mode] warning: Executing ") && line.hasSuffix(" took too long")) {
                kept.append(line)
            }
        }
        return kept
    }

    @Test func onlySlowStepWarningsTheExpectedOutputDoesNotListAreDropped() {
        let expected = ["1. Blocking", "   [debug mode] warning: Executing a callback took too long", "done"]
        let extra = "   [debug mode] warning: Executing a step of task 'Task-1' took too long"
        #expect(Self.droppingUnexpectedSlowStepWarnings([expected[0], extra, expected[1], extra, expected[2]], expected: expected) == expected)
        // A missing expected warning, or any other extra line, still fails the comparison.
        #expect(Self.droppingUnexpectedSlowStepWarnings([expected[0], extra, expected[2]], expected: expected) != expected)
        #expect(Self.droppingUnexpectedSlowStepWarnings([expected[0], expected[1], "surprise", expected[2]], expected: expected) != expected)
    }

    @Test func everyExampleHasAnExpectedOutputFile() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.expectedDirectory.path)
            .filter { $0.hasSuffix(".txt") }.map { String($0.dropLast(4)) }.sorted()
        #expect(files == Tour.examples.map(\.name).sorted())
    }
}

/// Runs a blocking loop on a thread of its own (never on a Swift concurrency pool thread).
///
/// The thread unblocks SIGINT and SIGTERM: it inherits the mask of the pool thread that created it,
/// and the test harness keeps those signals blocked elsewhere, so the signal-handling example's
/// self-sent SIGTERM would otherwise never be delivered to any thread libuv's handler can run on.
func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    let fence = HandoffFence()  // for ThreadSanitizer (see HandoffFence)
    let result = try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread {
            var signals = sigset_t()
            sigemptyset(&signals)
            sigaddset(&signals, SIGINT)
            sigaddset(&signals, SIGTERM)
            pthread_sigmask(SIG_UNBLOCK, &signals, nil)
            let result = Result { try body() }
            fence.publish()
            continuation.resume(with: result)
        }
    }
    fence.receive()
    return result
}
