import Asyncio

/// One example of the asyncio article, runnable on its own.
struct Example: Sendable {
    /// The name on the command line (`asyncio-tour NAME`).
    let name: String
    /// The article section it comes from.
    let title: String
    /// The example itself; it prints through `out` so tests can compare its output exactly.
    let body: @Sendable (TourOutput) async throws -> Void
}

/// Where examples print: standard output, or a buffer in tests.
final class TourOutput: @unchecked Sendable {
    // Confined to the loop thread that runs the example (examples print from loop tasks only).
    private(set) var lines: [String] = []
    private let echo: Bool

    init(echo: Bool) { self.echo = echo }

    func callAsFunction(_ line: String = "") {
        lines.append(line)
        if echo { print(line) }
    }

    /// Seconds on the loop clock formatted as the article prints them (`4.00`).
    static func seconds(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        return "\(hundredths / 100).\(String(format2: hundredths % 100))"
    }
}

extension String {
    /// Two digits, zero-padded.
    init(format2 value: Int) { self = value < 10 ? "0\(value)" : "\(value)" }
}
