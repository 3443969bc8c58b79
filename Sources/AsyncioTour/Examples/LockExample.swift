import Asyncio

extension Tour {
    /// Lock: protects a read-modify-write that spans an await. `async with lock:` is `lock.withLock { }`.
    static let lock = Example(name: "lock", title: "Asynchronous lock") { out in
        final class Counter: @unchecked Sendable {  // used by tasks of one loop only
            var value = 0
            let lock = Lock()

            func increment(_ name: String, _ out: TourOutput) async throws {
                try await lock.withLock {
                    out("\(name) acquired lock")
                    let temp = value
                    try await sleep(for: .seconds(0.1))  // simulate processing time
                    value = temp + 1
                    out("\(name) released lock, current value: \(value)")
                }
            }
        }
        let counter = Counter()
        _ = try await gather((0..<5).map { i in { @Sendable in try await counter.increment("Task \(i)", out) } })
        out("Final value: \(counter.value)")
    }
}
