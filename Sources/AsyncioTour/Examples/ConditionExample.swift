import Asyncio

extension Tour {
    /// Condition variable: a producer/consumer queue. The article's printed output is garbled (it
    /// shows "Produced: item_1, queue length: 0" and consumes item_2 twice); this prints what the
    /// program really does.
    static let condition = Example(name: "condition", title: "Asynchronous condition variable") { out in
        final class AsyncQueue: @unchecked Sendable {  // used by tasks of one loop only
            var queue: [String] = []
            let condition = Condition()
            let out: TourOutput
            init(out: TourOutput) { self.out = out }

            func produce(_ item: String) async throws {
                try await condition.withLock {
                    queue.append(item)
                    out("Produced: \(item), queue length: \(queue.count)")
                    try condition.notify()  // notify consumers
                }
            }

            func consume() async throws -> String {
                try await condition.withLock {
                    while queue.isEmpty {
                        out("Queue is empty, waiting...")
                        try await condition.wait()  // wait for notification
                    }
                    let item = queue.removeFirst()
                    out("Consumed: \(item), queue length: \(queue.count)")
                    return item
                }
            }
        }

        let queue = AsyncQueue(out: out)
        _ = try await gather({
            for i in 0..<5 {
                try await sleep(for: .seconds(0.5))
                try await queue.produce("item_\(i)")
            }
        }, {
            for _ in 0..<5 {
                _ = try await queue.consume()
                try await sleep(for: .seconds(1))
            }
        })
    }
}
