import Asyncio

extension Tour {
    /// Semaphore: at most 3 tasks hold the resource at once. `async with sem:` is `withPermit { }`.
    static let semaphore = Example(name: "semaphore", title: "Asynchronous semaphore") { out in
        let loop = try EventLoop.running()
        let semaphore = Semaphore(3)  // allow a maximum of 3 concurrent executions

        @Sendable func accessResource(_ id: Int) async throws {
            try await semaphore.withPermit {
                out("Task \(id) acquired resource")
                try await sleep(for: .seconds(1))
                out("Task \(id) released resource")
            }
        }

        let start = loop.time()
        _ = try await gather((0..<10).map { i in { try await accessResource(i) } })
        out("Total time: \(TourOutput.seconds(loop.time() - start)) seconds")
    }
}
