import Asyncio

extension Tour {
    /// Creating tasks: a task starts on the loop's next iteration, while its creator goes on.
    static let createTask = Example(name: "create-task", title: "Creating tasks") { out in
        let loop = try EventLoop.running()

        @Sendable func processData(_ name: String, _ delay: Double) async throws -> String {
            out("\(name) starting processing")
            try await sleep(for: .seconds(delay))
            out("\(name) processing complete")
            return "\(name)_result"
        }

        // Creating tasks schedules them; they start once main waits.
        let task1 = try loop.createTask { try await processData("Task 1", 2) }
        let task2 = try loop.createTask { try await processData("Task 2", 1) }
        out("Tasks created, doing other things...")
        try await sleep(for: .seconds(0.5))

        let result1 = try await task1.value
        let result2 = try await task2.value
        out("Results: \(result1), \(result2)")
    }
}
