import DequeModule

/// A FIFO queue for tasks on one loop (asyncio's `Queue`).
///
/// `put` waits while the queue is full (`maxsize > 0`), `get` while it is empty, each in FIFO order;
/// a waiter cancelled after being woken wakes the next one, so no item or free slot is lost.
/// ``taskDone()`` / ``join()`` track unfinished work; ``shutdown(immediate:)`` (Python 3.13) stops the
/// queue. The queue is also an `AsyncSequence` of its items, ending when it is shut down and empty.
///
/// ``PriorityQueue`` and ``LifoQueue`` change only the order items come out, by overriding the item
/// storage (as CPython's `_put`/`_get`).
///
/// Loop-confined: bound to the loop it is first used on (asyncio's `_LoopBoundMixin`), then usable
/// only from that loop's thread; misuse (another thread, another loop) traps naming the call. It may
/// be filled with ``putNowait(_:)`` before any loop runs. Hence `@unchecked Sendable`.
public class Queue<Element>: @unchecked Sendable, AsyncSequence {
    /// The capacity; 0 means unbounded.
    public let maxsize: Int
    private var items = Deque<Element>()
    private let getters = WaitList()
    private let putters = WaitList()
    private var unfinishedTasks = 0
    private let finished = Event()
    private var isShutDown = false
    /// Written once (the first use in a loop), read by every entry point; never accessed overlappingly.
    /// (`finished` stays unbound: the queue checks for it.)
    @exclusivity(unchecked) private final var binding = LoopBinding()
    /// "Queue", "PriorityQueue" or "LifoQueue", for confinement messages (built only on the way to a trap).
    private final var typeName: String { String(String(describing: type(of: self)).prefix { $0 != "<" }) }

    /// Creates a queue holding at most `maxsize` items (0: unbounded).
    public init(maxsize: Int = 0) {
        self.maxsize = maxsize
        finished.setFlag()
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
    public var count: Int {
        binding.check("\(typeName).count")
        return itemCount
    }
    /// Whether the queue is empty.
    public var isEmpty: Bool {
        binding.check("\(typeName).isEmpty")
        return itemCount == 0
    }
    /// Whether the queue holds `maxsize` items (never, when unbounded).
    public var isFull: Bool {
        binding.check("\(typeName).isFull")
        return full
    }
    private var full: Bool { maxsize > 0 && itemCount >= maxsize }

    // MARK: put and get

    /// Puts `item`, waiting while the queue is full.
    /// - Throws: ``QueueShutDown`` if the queue is (or becomes) shut down; ``CancelledError``.
    nonisolated(nonsending) public func put(_ item: Element) async throws {
        let loop = binding.waitingLoop("\(typeName).put")
        while full {
            if isShutDown { throw QueueShutDown() }
            try await putters.wait(on: loop, "Queue.put", handOn: { [self] in if !full { putters.wakeFirst() } })
        }
        try putNowait(item)
    }

    /// Puts `item` without waiting.
    /// - Throws: ``QueueFull`` if the queue is full, ``QueueShutDown`` if it was shut down.
    public func putNowait(_ item: Element) throws {
        binding.check("\(typeName).putNowait")
        if isShutDown { throw QueueShutDown() }
        if full { throw QueueFull() }
        storeItem(item)
        unfinishedTasks += 1
        finished.clearFlag()
        getters.wakeFirst()
    }

    /// Removes and returns the next item, waiting while the queue is empty.
    /// - Throws: ``QueueShutDown`` once the queue is shut down and empty; ``CancelledError``.
    nonisolated(nonsending) public func get() async throws -> Element {
        let loop = binding.waitingLoop("\(typeName).get")
        while itemCount == 0 {
            if isShutDown { throw QueueShutDown() }
            try await getters.wait(on: loop, "Queue.get", handOn: { [self] in if itemCount != 0 { getters.wakeFirst() } })
        }
        return try getNowait()
    }

    /// Removes and returns the next item without waiting.
    /// - Throws: ``QueueEmpty`` if the queue is empty (``QueueShutDown`` if it is also shut down).
    public func getNowait() throws -> Element {
        binding.check("\(typeName).getNowait")
        if itemCount == 0 { throw isShutDown ? QueueShutDown() : QueueEmpty() }
        let item = takeItem()
        putters.wakeFirst()
        return item
    }

    // MARK: task tracking

    /// Marks one item taken with `get` as processed (asyncio's `task_done()`).
    /// - Throws: ``TaskDoneCalledTooManyTimesError`` if called more times than items were put.
    public func taskDone() throws {
        binding.check("\(typeName).taskDone")
        guard unfinishedTasks > 0 else { throw TaskDoneCalledTooManyTimesError() }
        unfinishedTasks -= 1
        if unfinishedTasks == 0 { finished.setFlag() }
    }

    /// Waits until every item put has been marked done with ``taskDone()``.
    nonisolated(nonsending) public func join() async throws {
        let loop = binding.waitingLoop("\(typeName).join")
        if unfinishedTasks > 0 { try await finished.wait(on: loop, "Queue.join") }
    }

    /// Shuts the queue down (Python 3.13): `put` now throws ``QueueShutDown`` and so does `get` once
    /// the queue is empty; waiting putters and getters are woken to find out. With `immediate`, the
    /// remaining items are dropped (counted as done, so ``join()`` returns).
    public func shutdown(immediate: Bool = false) {
        binding.check("\(typeName).shutdown")
        isShutDown = true
        if immediate {
            let dropped = removeAllItems()
            unfinishedTasks = Swift.max(0, unfinishedTasks - dropped)
            if unfinishedTasks == 0 { finished.setFlag() }
        }
        getters.wakeAll()
        putters.wakeAll()
    }

    // MARK: AsyncSequence

    /// Iterates the queue's items with `get()`; ends when the queue is shut down and empty.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let queue: Queue<Element>
        /// The next element, or nil at the end (`AsyncIteratorProtocol`).
        nonisolated(nonsending) public mutating func next() async throws -> Element? {
            _ = queue.binding.waitingLoop("\(queue.typeName).next")
            do { return try await queue.get() } catch is QueueShutDown { return nil }
        }
    }

    /// The iterator for `for try await` over this sequence.
    public func makeAsyncIterator() -> AsyncIterator {
        binding.check("\(typeName).makeAsyncIterator")
        return AsyncIterator(queue: self)
    }
}
