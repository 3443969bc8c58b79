import Asyncio

extension Tour {
    /// Asynchronous generators: `AsyncGenerator` runs its body only when the consumer asks for the
    /// next item, like `async def ... yield` (Swift's `AsyncStream` would run ahead and buffer).
    static let asyncGenerator = Example(name: "async-generator", title: "Asynchronous generators") { out in
        func asyncGenerator(_ n: Int) -> AsyncGenerator<String> {
            AsyncGenerator { yield in
                for i in 0..<n {
                    try await sleep(for: .seconds(0.5))
                    try await yield("item_\(i)")
                }
            }
        }
        for try await item in asyncGenerator(5) {
            out("Received: \(item)")
        }
    }
}
