import Asyncio

extension Tour {
    /// Timeout control: `waitFor(timeout:)` cancels the work when the time is up and throws
    /// `TimeoutError` (asyncio's `wait_for`; `withTimeout { }` is `asyncio.timeout`).
    static let waitFor = Example(name: "wait-for", title: "Timeout control") { out in
        @Sendable func longRunningTask() async throws -> String {
            try await sleep(for: .seconds(5))
            return "Complete"
        }
        do {
            let result = try await Asyncio.waitFor(timeout: .seconds(2)) { try await longRunningTask() }
            out(result)
        } catch is TimeoutError {
            out("Task timed out")
        }
    }
}
