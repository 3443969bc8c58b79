import Asyncio

extension Tour {
    /// Decorators: Swift has no decorators; higher-order functions do the same job.
    /// `@async_timer` becomes `timed { }` and `@async_retry(3, 0.5)` becomes `retrying(attempts:delay:)`.
    /// The article's random failures are replaced by a fixed plan (fail once, then succeed) so the
    /// output is the same on every run.
    static let decorators = Example(name: "decorators", title: "Asynchronous decorators") { out in
        let loop = try EventLoop.running()
        let plan = PlannedOutcomes([false, true])  // first call fails, second succeeds

        @Sendable func unstableAPICall() async throws -> String {
            try await sleep(for: .seconds(0.5))
            guard plan.next() else { throw APIError() }
            return "Success"
        }

        do {
            let (result, duration) = try await loop.timed {
                try await loop.retrying(attempts: 3, delay: .seconds(0.5), onRetry: { attempt, error in
                    out("Attempt \(attempt) failed: \(error), retrying in 0.5 seconds...")
                }) {
                    try await unstableAPICall()
                }
            }
            out("unstable_api_call took: \(TourOutput.seconds(Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)) seconds")
            out("Result: \(result)")
        } catch {
            out("Final failure: \(error)")
        }
    }
}

private struct APIError: Error, CustomStringConvertible {
    var description: String { "API call failed" }
}

/// Successive outcomes of the simulated API (used on the loop thread only).
private final class PlannedOutcomes: @unchecked Sendable {
    private var outcomes: [Bool]
    init(_ outcomes: [Bool]) { self.outcomes = outcomes }
    func next() -> Bool { outcomes.isEmpty ? true : outcomes.removeFirst() }
}
