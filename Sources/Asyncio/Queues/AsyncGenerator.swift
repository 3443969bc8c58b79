/// A pull-based async generator, like Python's `async def ... yield`: the producer runs only when the
/// consumer asks for the next element, and pauses at each `yield` until asked again.
///
/// ```swift
/// let items = AsyncGenerator<String> { yield in
///     for i in 0..<5 {
///         try await sleep(for: .seconds(0.5))
///         try await yield("item_\(i)")
///     }
/// }
/// for try await item in items { print("Received: \(item)") }
/// ```
///
/// `AsyncStream` differs: its producer runs ahead and buffers. Here nothing runs before the first
/// `next()`, and when the consumer stops early (breaks out of its loop and drops the iterator) the
/// producer is cancelled at its pending `yield`, like `aclose()`. The producer runs as a task on the
/// consumer's loop; iterate from a task of that loop. Errors thrown by the producer reach the
/// consumer's `next()`.
///
/// An iterator is loop-confined: its first `next()` binds it to the running loop (asyncio's
/// `_LoopBoundMixin`); `next()` and `yield` from another thread or another loop trap naming the call.
/// Creating the generator or an iterator touches no loop and is allowed anywhere.
public struct AsyncGenerator<Element>: AsyncSequence, @unchecked Sendable {
    /// Hands one element to the consumer and waits until it asks for the next.
    public typealias Yield = (Element) async throws -> Void

    private let body: @Sendable (@escaping Yield) async throws -> Void

    /// Creates a generator whose elements `body` produces by calling its `yield` argument.
    public init(_ body: @escaping @Sendable (_ yield: @escaping Yield) async throws -> Void) {
        self.body = body
    }

    /// The iterator for `for try await` over this sequence.
    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(body: body) }

    /// Drives the producer one element at a time.
    public struct AsyncIterator: AsyncIteratorProtocol {
        private let channel: GeneratorChannel<Element>
        private let lifetime: GeneratorLifetime<Element>

        init(body: @escaping @Sendable (@escaping Yield) async throws -> Void) {
            channel = GeneratorChannel(body: body)
            lifetime = GeneratorLifetime(channel: channel)
        }

        /// The next element, or nil at the end (`AsyncIteratorProtocol`).
        nonisolated(nonsending) public mutating func next() async throws -> Element? {
            try await channel.next()
        }
    }
}

/// The hand-over point between consumer and producer (loop-confined through its binding, hence
/// `@unchecked Sendable`).
final class GeneratorChannel<Element>: @unchecked Sendable {
    private let body: @Sendable (@escaping AsyncGenerator<Element>.Yield) async throws -> Void
    private var producer: LoopTask<Void>?
    private var producerWaiter: LoopWaiter?
    private var consumerWaiter: LoopWaiter?
    private var offered: Element?
    private var finished = false
    private var failure: (any Error)?
    /// Written once (the first `next()`), read by `next()` and `yield`; never accessed overlappingly.
    @exclusivity(unchecked) private var binding = LoopBinding()

    init(body: @escaping @Sendable (@escaping AsyncGenerator<Element>.Yield) async throws -> Void) {
        self.body = body
    }

    nonisolated(nonsending) func next() async throws -> Element? {
        let loop = binding.waitingLoop("AsyncGenerator.next")
        if finished { return try finish() }
        do {
            try await loop.suspend("AsyncGenerator.next") { waiter in
                consumerWaiter = waiter
                if producer == nil {
                    producer = try? loop.createTask(name: "async generator") { [self] in
                        do { try await body { [self] value in try await produce(value) } } catch { failure = error }
                        finished = true
                        consumerWaiter?.resume()
                        consumerWaiter = nil
                    }
                } else {
                    producerWaiter?.resume()
                    producerWaiter = nil
                }
            }
        } catch {
            cancelProducer()  // the consumer was cancelled: so is the producer, as an abandoned generator
            throw error
        }
        if let value = offered {
            offered = nil
            return value
        }
        return try finish()
    }

    private func finish() throws -> Element? {
        finished = true
        if let failure, !failure.isCancellation {
            self.failure = nil
            throw failure
        }
        return nil
    }

    /// The producer's `yield`: offer `value`, wake the consumer, wait until it asks again.
    nonisolated(nonsending) private func produce(_ value: Element) async throws {
        let loop = binding.waitingLoop("AsyncGenerator.yield")
        offered = value
        try await loop.suspend("AsyncGenerator.yield") { waiter in
            producerWaiter = waiter
            consumerWaiter?.resume()
            consumerWaiter = nil
        }
    }

    /// Cancels the producer task. Called from a deinit, so possibly on another thread: then the
    /// cancellation is handed to the producer's loop.
    func cancelProducer() {
        guard let producer else { return }
        if producer.loop.isOnLoopThread {
            producer.cancel()
        } else {
            _ = try? producer.loop.forwardThreadsafe { producer.cancel() }
        }
    }
}

/// Cancels the producer when the consumer's iterator goes away before the generator finished.
final class GeneratorLifetime<Element>: @unchecked Sendable {
    private let channel: GeneratorChannel<Element>
    init(channel: GeneratorChannel<Element>) { self.channel = channel }
    deinit { channel.cancelProducer() }
}
