import Asyncio

extension Tour {
    /// Task groups (Python 3.11's `TaskGroup`): structured concurrency; a failure cancels the rest and
    /// all errors come back together (`except*` becomes `catch let group as ExceptionGroup`).
    static let taskGroup = Example(name: "task-group", title: "Coroutine nesting and task groups") { out in
        struct TaskFailed: Error, CustomStringConvertible { let name: String; var description: String { "\(name) failed" } }

        @Sendable func taskWithException(_ name: String, shouldFail: Bool = false) async throws -> String {
            try await sleep(for: .seconds(1))
            if shouldFail { throw TaskFailed(name: name) }
            out("\(name) complete")
            return name
        }

        for failing in [[], ["Task 2", "Task 3"]] {
            do {
                try await Asyncio.taskGroup { group in
                    for name in ["Task 1", "Task 2", "Task 3"] {
                        try group.createTask { try await taskWithException(name, shouldFail: failing.contains(name)) }
                    }
                }
                out("All tasks completed successfully")
            } catch let group as ExceptionGroup {
                out("Caught \(group.errors.count) exceptions")
                for error in group.errors { out(" - \(error)") }
            }
        }
    }
}
