import DequeModule

/// A FIFO queue for tasks on one loop (asyncio's `Queue`).
///
/// `put` waits while the queue is full (`maxsize > 0`), `get` while it is empty, each in FIFO order;
/// a waiter cancelled after being woken wakes the next one, so no item or free slot is lost.
/// ``taskDone()`` / ``join()`` track unfinished work; ``shutdown(immediate:)`` (Python 3.13) stops the
/// queue. The queue is also an `AsyncSequence` of its items, ending when it is shut down and empty.
///
/// ``PriorityQueue`` and ``LifoQueue`` change only the order items come out, by overriding the item
/// storage (as CPython's `_put`/`_get`). Loop-confined, hence `@unchecked Sendable`.
public class Queue<Element>: @unchecked Sendable, AsyncSequence {
    /// The capacity; 0 means unbounded.
    public let maxsize: Int
    private var items = Deque<Element>()
    private let getters = WaitList()
    private let putters = WaitList()
    private var unfinishedTasks = 0
    private let finished = Event()
    private var isShutDown = false

    /// Creates a queue holding at most `maxsize` items (0: unbounded).
    public init(maxsize: Int = 0) {
        self.maxsize = maxsize
        finished.set()
    }

    // MARK: storage (overridden by PriorityQueue and LifoQueue)

    /// Stores one item. Subclasses override it together with ``takeItem()`` and ``itemCount``.
    func storeItem(_ item: Element) { items.append(item) }
    /// Removes the next item to hand out.
    func takeItem() -> Element { items.removeFirst() }
    /// How many items are stored.
    var itemCount: Int { items.count }
    /// Drops every stored item, returning how many there were.
    func removeAllItems() -> Int { defer { items.removeAll() }; return items.count }

    // MARK: state

    /// Number of items in the queue (asyncio's `qsize()`).
    public var count: Int { itemCount }
    /// Whether the queue is empty.
    public var isEmpty: Bool { itemCount == 0 }
    /// Whether the queue holds `maxsize` items (never, when unbounded).
    public var isFull: Bool { maxsize > 0 && itemCount >= maxsize }

    // MARK: put and get

    /// Puts `item`, waiting while the queue is full.
    /// - Throws: ``QueueShutDown`` if the queue is (or becomes) shut down; ``CancelledError``.
    nonisolated(nonsending) public func put(_ item: Element) async throws {
        let loop = try runningLoop("Queue.put")
        while isFull {
            if isShutDown { throw QueueShutDown() }
            try await putters.wait(on: loop, "Queue.put", handOn: { [self] in if !isFull { putters.wakeFirst() } })
        }
        try putNowait(item)
    }

    /// Puts `item` without waiting.
    /// - Throws: ``QueueFull`` if the queue is full, ``QueueShutDown`` if it was shut down.
    public func putNowait(_ item: Element) throws {
        if isShutDown { throw QueueShutDown() }
        if isFull { throw QueueFull() }
        storeItem(item)
        unfinishedTasks += 1
        finished.clear()
        getters.wakeFirst()
    }

    /// Removes and returns the next item, waiting while the queue is empty.
    /// - Throws: ``QueueShutDown`` once the queue is shut down and empty; ``CancelledError``.
    nonisolated(nonsending) public func get() async throws -> Element {
        let loop = try runningLoop("Queue.get")
        while isEmpty {
            if isShutDown { throw QueueShutDown() }
            try await getters.wait(on: loop, "Queue.get", handOn: { [self] in if !isEmpty { getters.wakeFirst() } })
        }
        return try getNowait()
    }

    /// Removes and returns the next item without waiting.
    /// - Throws: ``QueueEmpty`` if the queue is empty (``QueueShutDown`` if it is also shut down).
    public func getNowait() throws -> Element {
        if isEmpty { throw isShutDown ? QueueShutDown() : QueueEmpty() }
        let item = takeItem()
        putters.wakeFirst()
        return item
    }

    // MARK: task tracking

    /// Marks one item taken with `get` as processed (asyncio's `task_done()`).
    /// - Throws: ``TaskDoneCalledTooManyTimesError`` if called more times than items were put.
    public func taskDone() throws {
        guard unfinishedTasks > 0 else { throw TaskDoneCalledTooManyTimesError() }
        unfinishedTasks -= 1
        if unfinishedTasks == 0 { finished.set() }
    }

    /// Waits until every item put has been marked done with ``taskDone()``.
    nonisolated(nonsending) public func join() async throws {
        if unfinishedTasks > 0 { try await finished.wait() }
    }

    /// Shuts the queue down (Python 3.13): `put` now throws ``QueueShutDown`` and so does `get` once
    /// the queue is empty; waiting putters and getters are woken to find out. With `immediate`, the
    /// remaining items are dropped (counted as done, so ``join()`` returns).
    public func shutdown(immediate: Bool = false) {
        isShutDown = true
        if immediate {
            let dropped = removeAllItems()
            unfinishedTasks = Swift.max(0, unfinishedTasks - dropped)
            if unfinishedTasks == 0 { finished.set() }
        }
        getters.wakeAll()
        putters.wakeAll()
    }

    // MARK: AsyncSequence

    /// Iterates the queue's items with `get()`; ends when the queue is shut down and empty.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let queue: Queue<Element>
        nonisolated(nonsending) public mutating func next() async throws -> Element? {
            do { return try await queue.get() } catch is QueueShutDown { return nil }
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(queue: self) }
}
