import Asyncio

extension Tour {
    /// Exception handling: `gather(..., return_exceptions=True)` is `gatherResults`, whose elements
    /// are `Result`s.
    static let exceptionHandling = Example(name: "exception-handling", title: "Exception handling") { out in
        let loop = try EventLoop.running()
        struct TaskFailed: Error, CustomStringConvertible { let id: Int; var description: String { "Task \(id) failed" } }

        @Sendable func taskMayFail(_ id: Int, shouldFail: Bool = false) async throws -> String {
            try await sleep(for: .seconds(1))
            if shouldFail { throw TaskFailed(id: id) }
            return "Task \(id) succeeded"
        }

        let tasks = try [(1, false), (2, true), (3, false)].map { id, fail in
            try loop.createTask { try await taskMayFail(id, shouldFail: fail) }
        }
        // gather would stop at the first error; gatherResults returns every outcome.
        let results = try await loop.gatherResults(tasks)
        for (i, result) in results.enumerated() {
            switch result {
            case .success(let value): out("Task \(i) result: \(value)")
            case .failure(let error): out("Task \(i) exception: \(error)")
            }
        }
    }
}
