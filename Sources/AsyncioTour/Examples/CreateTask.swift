import Asyncio

extension Tour {
    /// create_task: tasks start on the next loop iteration and run while the creator continues.
    static let createTask = Example(name: "create-task", title: "Creating tasks") { out in
        let loop = try EventLoop.running()

        @Sendable func worker(_ name: String, _ delay: Double) async throws -> String {
            out("\(name) started")
            try await sleep(seconds: delay)
            out("\(name) finished")
            return "\(name) result"
        }

        let a = try loop.createTask(name: "A") { try await worker("Task A", 2) }
        let b = try loop.createTask(name: "B") { try await worker("Task B", 1) }
        out("Tasks created")
        out(try await a.value)
        out(try await b.value)
    }
}
