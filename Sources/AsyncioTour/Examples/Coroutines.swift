import Asyncio

extension Tour {
    /// Coroutines: awaiting one after another takes the sum of the waits; running them as tasks
    /// concurrently takes the longest.
    static let coroutines = Example(name: "coroutines", title: "Coroutines: serial vs concurrent") { out in
        let loop = try EventLoop.running()

        @Sendable func fetchData(_ delay: Double) async throws -> String {
            try await sleep(seconds: delay)
            return "Data after \(Int(delay)) seconds"
        }

        var start = loop.time()
        let first = try await fetchData(1)
        let second = try await fetchData(3)
        out(first)
        out(second)
        out("Serial execution time: \(TourOutput.seconds(loop.time() - start)) seconds")

        start = loop.time()
        let tasks = try [1.0, 3.0].map { delay in try loop.createTask { try await fetchData(delay) } }
        for task in tasks { out(try await task.value) }
        out("Concurrent execution time: \(TourOutput.seconds(loop.time() - start)) seconds")
    }
}
