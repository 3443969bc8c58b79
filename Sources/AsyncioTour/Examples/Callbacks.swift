import Asyncio

extension Tour {
    /// Callbacks: an async callback passed in, and a done callback on a task.
    static let callbacks = Example(name: "callbacks", title: "Callback functions") { out in
        let loop = try EventLoop.running()

        @Sendable func taskWithCallback(_ value: Int, _ callback: @Sendable (Int) async -> Void) async throws -> Int {
            try await sleep(for: .seconds(1))
            let result = value * 2
            await callback(result)
            return result
        }
        @Sendable func onComplete(_ result: Int) async { out("Task complete, result: \(result)") }

        _ = try await taskWithCallback(10, onComplete)

        let task = try loop.createTask { try await taskWithCallback(20, onComplete) }
        task.addDoneCallback { finished in
            do {
                out("Result obtained via done_callback: \(try finished.result())")
            } catch {
                out("Task exception: \(error)")
            }
        }
        _ = try await task.value
        try await sleep(for: .zero)  // the done callback runs on the next iteration (asyncio: same)
    }
}
