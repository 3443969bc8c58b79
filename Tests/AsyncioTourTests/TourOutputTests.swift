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
        #expect(lines.joined(separator: "\n") + "\n" == expected)
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
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread {
            var signals = sigset_t()
            sigemptyset(&signals)
            sigaddset(&signals, SIGINT)
            sigaddset(&signals, SIGTERM)
            pthread_sigmask(SIG_UNBLOCK, &signals, nil)
            continuation.resume(with: Result { try body() })
        }
    }
}
