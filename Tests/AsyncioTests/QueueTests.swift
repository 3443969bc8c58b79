@testable import Asyncio
import Testing

@Suite("Queues")
struct QueueTests {
    @Test func fifoOrderAndNowaitErrors() async throws {
        try await inVirtualLoop { _ in
            let queue = Queue<Int>(maxsize: 2)
            try queue.putNowait(1)
            try await queue.put(2)
            #expect(queue.isFull && queue.count == 2)
            #expect(throws: QueueFull()) { try queue.putNowait(3) }
            #expect(try await queue.get() == 1)
            #expect(try queue.getNowait() == 2)
            #expect(throws: QueueEmpty()) { try queue.getNowait() }
        }
    }

    @Test func putWaitsWhileFullAndGetWhileEmpty() async throws {
        let order = try await inVirtualLoop { loop in
            let queue = Queue<String>(maxsize: 1), trace = Trace()
            let producer = try loop.createTask {
                for item in ["a", "b", "c"] {
                    try await queue.put(item)
                    trace("put \(item)")
                }
            }
            let consumer = try loop.createTask {
                for _ in 0..<3 {
                    try await loop.sleep(for: .seconds(1))
                    trace("got \(try await queue.get())")
                }
            }
            try await producer.value
            try await consumer.value
            return trace.events
        }
        #expect(order == ["put a", "got a", "put b", "got b", "put c", "got c"])
    }

    @Test func aGetterCancelledWhenHandedAnItemLeavesItForTheNext() async throws {
        let (got, remaining) = try await inVirtualLoop { loop -> (String, Int) in
            let queue = Queue<String>()
            let first = try loop.createTask { try await queue.get() }
            let second = try loop.createTask { try await queue.get() }
            try await loop.sleep(for: .zero)
            try queue.putNowait("item")   // wakes `first`...
            first.cancel()                // ...which is cancelled before it runs
            let got = try await second.value
            _ = try? await first.value
            return (got, queue.count)
        }
        #expect(got == "item")
        #expect(remaining == 0)
    }

    @Test func joinWaitsForTaskDoneAndTooManyThrows() async throws {
        let (order, elapsed) = try await inVirtualLoop { loop -> ([String], Double) in
            let queue = Queue<Int>(), trace = Trace()
            for i in 0..<3 { try queue.putNowait(i) }
            let worker = try loop.createTask {
                for _ in 0..<3 {
                    let item = try await queue.get()
                    try await loop.sleep(for: .seconds(1))
                    trace("done \(item)")
                    try queue.taskDone()
                }
            }
            try await queue.join()
            trace("joined")
            try await worker.value
            #expect(throws: TaskDoneCalledTooManyTimesError()) { try queue.taskDone() }
            return (trace.events, loop.time())
        }
        #expect(order == ["done 0", "done 1", "done 2", "joined"])
        #expect(elapsed == 3.0)
    }

    @Test func shutdownWakesWaitersAndRefusesPuts() async throws {
        try await inVirtualLoop { loop in
            let queue = Queue<Int>()
            let getter = try loop.createTask { try await queue.get() }
            try await loop.sleep(for: .zero)
            queue.shutdown()
            await #expect(throws: QueueShutDown()) { try await getter.value }
            #expect(throws: QueueShutDown()) { try queue.putNowait(1) }
            await #expect(throws: QueueShutDown()) { try await queue.put(1) }
        }
    }

    @Test func shutdownLetsRemainingItemsBeReadUnlessImmediate() async throws {
        try await inVirtualLoop { _ in
            let gentle = Queue<Int>()
            try gentle.putNowait(1)
            gentle.shutdown()
            #expect(try await gentle.get() == 1)
            await #expect(throws: QueueShutDown()) { try await gentle.get() }

            let immediate = Queue<Int>()
            try immediate.putNowait(1)
            immediate.shutdown(immediate: true)
            #expect(immediate.isEmpty)
            try await immediate.join()  // dropped items count as done
        }
    }

    @Test func theQueueIsAnAsyncSequenceEndingAtShutdown() async throws {
        let items = try await inVirtualLoop { loop -> [Int] in
            let queue = Queue<Int>()
            try loop.createTask {
                for i in 0..<3 { try await queue.put(i); try await loop.sleep(for: .seconds(1)) }
                queue.shutdown()
            }
            var items: [Int] = []
            for try await item in queue { items.append(item) }
            return items
        }
        #expect(items == [0, 1, 2])
    }

    /// Issue 17: asyncio's `(priority, item)` pairs, with an item that is not `Comparable`.
    @Test func priorityQueueTakesAPriorityApartFromTheItem() async throws {
        struct Request { let path: String }  // no Comparable, no Equatable
        let paths = try await inVirtualLoop { _ -> [String] in
            let queue = PriorityQueue<Prioritized<Int, Request>>()
            try queue.putNowait(Request(path: "/slow"), priority: 5)
            try await queue.put(Request(path: "/urgent-1"), priority: 0)
            try queue.putNowait(Request(path: "/normal"), priority: 1)
            try queue.putNowait(Request(path: "/urgent-2"), priority: 0)
            var paths: [String] = []
            while !queue.isEmpty {
                let entry = try await queue.get()
                paths.append("\(entry.priority)\(entry.item.path)")
            }
            return paths
        }
        #expect(paths == ["0/urgent-1", "0/urgent-2", "1/normal", "5/slow"])  // FIFO among equal priorities
    }

    @Test func priorityQueueIsOrderedAndStable() async throws {
        struct Job: Comparable { let priority: Int; let name: String
            static func < (a: Job, b: Job) -> Bool { a.priority < b.priority }
            static func == (a: Job, b: Job) -> Bool { a.priority == b.priority }
        }
        let names = try await inVirtualLoop { _ -> [String] in
            let queue = PriorityQueue<Job>()
            for (p, n) in [(3, "low"), (1, "high-a"), (2, "mid"), (1, "high-b")] { try await queue.put(Job(priority: p, name: n)) }
            var names: [String] = []
            while !queue.isEmpty { names.append(try await queue.get().name) }
            return names
        }
        #expect(names == ["high-a", "high-b", "mid", "low"])
    }

    @Test func lifoQueueHandsOutTheNewestFirst() async throws {
        let items = try await inVirtualLoop { _ -> [Int] in
            let queue = LifoQueue<Int>()
            for i in 1...3 { try queue.putNowait(i) }
            return [try queue.getNowait(), try queue.getNowait(), try queue.getNowait()]
        }
        #expect(items == [3, 2, 1])
    }
}

@Suite("AsyncGenerator")
struct AsyncGeneratorTests {
    @Test func theProducerRunsOnlyWhenAskedForTheNextElement() async throws {
        let trace = try await inVirtualLoop { loop in
            let trace = Trace()
            let generator = AsyncGenerator<Int> { yield in
                for i in 0..<3 {
                    trace("produce \(i)")
                    try await yield(i)
                }
                trace("producer done")
            }
            var iterator = generator.makeAsyncIterator()
            try await loop.sleep(for: .seconds(1))
            trace("asking")
            while let value = try await iterator.next() {
                trace("consume \(value)")
            }
            return trace.events
        }
        #expect(trace == ["asking", "produce 0", "consume 0", "produce 1", "consume 1", "produce 2", "consume 2", "producer done"])
    }

    @Test func breakingOutCancelsTheProducer() async throws {
        let events = try await inVirtualLoop { loop in
            let trace = Trace()
            let generator = AsyncGenerator<Int> { yield in
                do {
                    for i in 0... { try await yield(i) }
                } catch is CancelledError {
                    trace("producer cancelled")
                }
            }
            for try await value in generator where value == 2 { break }
            try await loop.sleep(for: .zero)
            try await loop.sleep(for: .zero)
            return trace.events
        }
        #expect(events == ["producer cancelled"])
    }

    @Test func producerErrorsReachTheConsumer() async throws {
        try await inVirtualLoop { _ in
            let generator = AsyncGenerator<Int> { yield in
                try await yield(1)
                throw Boom(code: 5)
            }
            var seen: [Int] = []
            await #expect(throws: Boom(code: 5)) { for try await value in generator { seen.append(value) } }
            #expect(seen == [1])
        }
    }
}
