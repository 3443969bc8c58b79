import Asyncio

extension Tour {
    /// Coroutines: awaiting one after another takes the sum of the waits; `gather` runs them
    /// concurrently and takes the longest.
    static let coroutines = Example(name: "coroutines", title: "Defining and executing coroutines") { out in
        let loop = try EventLoop.running()

        @Sendable func fetchData(_ id: Int) async throws -> String {
            out("Starting to fetch data \(id)")
            try await sleep(for: .seconds(2))  // simulate an I/O operation
            out("Data \(id) fetch complete")
            return "data_\(id)"
        }

        var start = loop.time()
        _ = try await fetchData(1)  // serial execution
        _ = try await fetchData(2)
        out("Serial execution time: \(TourOutput.seconds(loop.time() - start)) seconds")

        start = loop.time()  // concurrent execution
        let results = try await gather([{ try await fetchData(3) }, { try await fetchData(4) }, { try await fetchData(5) }])
        out("Concurrent execution time: \(TourOutput.seconds(loop.time() - start)) seconds")
        out("Results: [\(results.map { "'\($0)'" }.joined(separator: ", "))]")
    }
}
