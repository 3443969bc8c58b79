import Asyncio

extension Tour {
    /// The article's three performance tips, measured on the loop clock.
    static let performanceTips = Example(name: "performance-tips", title: "Performance optimization tips") { out in
        let loop = try EventLoop.running()
        @Sendable func someAsyncFunc(_ i: Int) async throws -> Int {
            try await sleep(for: .seconds(0.1))
            return i
        }

        // 1. Avoid awaiting tasks one by one in a loop
        var start = loop.time()
        for i in 0..<10 { _ = try await loop.createTask { try await someAsyncFunc(i) }.value }  // bad
        out("1. awaiting each task in the loop: \(TourOutput.seconds(loop.time() - start)) seconds")
        start = loop.time()
        let tasks = try (0..<10).map { i in try loop.createTask { try await someAsyncFunc(i) } }  // good
        _ = try await loop.gather(tasks)
        out("   creating all, then gather: \(TourOutput.seconds(loop.time() - start)) seconds")

        // 2. Use a semaphore to bound concurrency
        let semaphore = Semaphore(10)
        let running = ConcurrencyMeter()
        start = loop.time()
        _ = try await gather((0..<100).map { i in
            { @Sendable in try await semaphore.withPermit { try await running.measure { try await someAsyncFunc(i) } } }
        })
        out("2. 100 tasks, at most \(running.peak) at once: \(TourOutput.seconds(loop.time() - start)) seconds")

        // 3. Batch processing, with a checkpoint between batches
        let items = Array(0..<250)
        start = loop.time()
        var batches = 0
        for batchStart in stride(from: 0, to: items.count, by: 100) {
            let batch = items[batchStart..<min(batchStart + 100, items.count)]
            _ = try await gather(batch.map { item in { try await someAsyncFunc(item) } })
            batches += 1
            try await sleep(for: .seconds(0.1))  // checkpoint or throttling between batches
        }
        out("3. \(items.count) items in \(batches) batches of 100: \(TourOutput.seconds(loop.time() - start)) seconds")
    }
}

/// Counts how many operations run at once (loop thread only).
private final class ConcurrencyMeter: @unchecked Sendable {
    private var current = 0
    private(set) var peak = 0
    func measure<T>(_ body: () async throws -> T) async throws -> T {
        current += 1
        peak = max(peak, current)
        defer { current -= 1 }
        return try await body()
    }
}
