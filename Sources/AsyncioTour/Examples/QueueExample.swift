import Asyncio

extension Tour {
    /// Queue: producers and consumers, an end-of-work sentinel, `join`, then cancelling the consumers.
    /// The article's random delays come from a seeded generator, so the run is the same every time.
    /// Difference: the article's consumer puts the sentinel back without `task_done()`, so its
    /// `join()` never returns (in CPython too); here a consumer marks the sentinel done and stops, and
    /// the consumer left without a sentinel is cancelled after `join`.
    static let queue = Example(name: "queue", title: "Asynchronous queue") { out in
        let loop = try EventLoop.running()
        let queue = Queue<String?>(maxsize: 10)
        let random = SeededDelays(seed: 42)

        @Sendable func producer(_ id: Int) async throws {
            for i in 0..<5 {
                let item = "P\(id)-Item\(i)"
                try await queue.put(item)
                out("Producer \(id) produced: \(item)")
                try await sleep(for: .seconds(random.uniform(0.1, 0.5)))
            }
            try await queue.put(nil)  // end signal
        }

        @Sendable func consumer(_ id: Int) async throws {
            while true {
                guard let item = try await queue.get() else {
                    try queue.taskDone()  // the sentinel counts as an item too
                    out("Consumer \(id) received the end signal")
                    break
                }
                out("Consumer \(id) consumed: \(item)")
                try await sleep(for: .seconds(random.uniform(0.2, 0.6)))
                try queue.taskDone()
            }
        }

        let producers = try (0..<2).map { i in try loop.createTask { try await producer(i) } }
        let consumers = try (0..<3).map { i in try loop.createTask { try await consumer(i) } }
        _ = try await loop.gather(producers)
        try await queue.join()  // wait until every item was processed
        for consumer in consumers { consumer.cancel() }  // cancel the consumers
        _ = try await loop.gatherResults(consumers)
        out("All items processed")
    }
}

/// Deterministic pseudo-random delays (SplitMix64), used on the loop thread only.
final class SeededDelays: @unchecked Sendable {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    func uniform(_ low: Double, _ high: Double) -> Double {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        z ^= z >> 31
        let unit = Double(z >> 11) / Double(1 << 53)
        return ((low + (high - low) * unit) * 100).rounded() / 100  // whole hundredths: exact times
    }
}
