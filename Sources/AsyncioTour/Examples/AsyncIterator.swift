import Asyncio

extension Tour {
    /// Asynchronous iterators: `__aiter__`/`__anext__` become an `AsyncSequence` and its iterator.
    static let asyncIterator = Example(name: "async-iterator", title: "Asynchronous iterators") { out in
        struct AsyncRange: AsyncSequence {
            typealias Element = Int
            let start: Int, end: Int

            struct AsyncIterator: AsyncIteratorProtocol {
                var current: Int
                let end: Int
                mutating func next() async throws -> Int? {
                    guard current < end else { return nil }  // StopAsyncIteration
                    try await sleep(for: .seconds(0.1))            // simulate an asynchronous operation
                    defer { current += 1 }
                    return current
                }
            }

            func makeAsyncIterator() -> AsyncIterator { AsyncIterator(current: start, end: end) }
        }

        for try await i in AsyncRange(start: 0, end: 5) {
            out("Value: \(i)")
        }
    }
}
