import Asyncio

extension Tour {
    /// Task cancellation: the task sees `CancelledError` at its wait, cleans up and rethrows.
    static let cancellation = Example(name: "cancellation", title: "Task cancellation") { out in
        let loop = try EventLoop.running()

        @Sendable func longTask(_ name: String) async throws {
            do {
                out("\(name) starting")
                try await sleep(for: .seconds(10))
                out("\(name) complete")
            } catch let error as CancelledError {
                out("\(name) was cancelled")
                throw error  // re-throw so the awaiting code knows the task was cancelled
            }
        }

        let task = try loop.createTask { try await longTask("Long Task") }
        try await sleep(for: .seconds(2))
        out("Cancelling task")
        task.cancel()
        do {
            try await task.value
        } catch is CancelledError {
            out("Task confirmed cancelled")
        }
    }
}
