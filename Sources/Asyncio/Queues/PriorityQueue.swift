import HeapModule

/// A queue that hands out its smallest item first (asyncio's `PriorityQueue`); items of equal priority
/// come out in the order they were put (stable: put 2a, 1b, 2c, 1d, ordered by the number, and get
/// b, d, a, c).
///
/// To give an item a priority of its own (asyncio's `put((priority, item))`), use a queue of
/// ``Prioritized`` entries and ``put(_:priority:)``: the item then needs no `Comparable` conformance.
///
/// ```swift
/// let jobs = PriorityQueue<Prioritized<Int, String>>()
/// try jobs.putNowait("write report", priority: 2)
/// try jobs.putNowait("fix outage", priority: 1)
/// try await jobs.get().item   // "fix outage"
/// ```
public final class PriorityQueue<Element: Comparable>: Queue<Element>, @unchecked Sendable {
    /// An item and its insertion number, which breaks ties between items of equal priority.
    private struct Entry: Comparable {
        let item: Element
        let order: UInt64
        // Items that are neither smaller nor larger than each other (equal priority, whatever `==`
        // says) come out in insertion order.
        static func < (a: Entry, b: Entry) -> Bool {
            if a.item < b.item { return true }
            if b.item < a.item { return false }
            return a.order < b.order
        }
        static func == (a: Entry, b: Entry) -> Bool { a.order == b.order }
    }
    private var heap = Heap<Entry>()
    private var nextOrder: UInt64 = 0

    override func storeItem(_ item: Element) {
        nextOrder += 1
        heap.insert(Entry(item: item, order: nextOrder))
    }
    override func takeItem() -> Element { heap.removeMin().item }
    override var itemCount: Int { heap.count }
    override func removeAllItems() -> Int { defer { heap = Heap() }; return heap.count }
}

/// An item with a priority apart from it, for a ``PriorityQueue``: the Swift form of asyncio's
/// `(priority, item)` tuples. Ordered (and equal) by priority alone, so that the item needs no
/// `Comparable` conformance; the queue keeps equal priorities in insertion order.
public struct Prioritized<Priority: Comparable, Item>: Comparable {
    /// The priority: smaller comes out first.
    public var priority: Priority
    /// The item.
    public var item: Item

    /// Wraps `item` with `priority`.
    public init(_ item: Item, priority: Priority) {
        self.item = item
        self.priority = priority
    }

    /// Orders by ``priority`` alone (the item needs no `Comparable`).
    public static func < (a: Self, b: Self) -> Bool { a.priority < b.priority }
    /// Equal when the priorities are (the items are not compared).
    public static func == (a: Self, b: Self) -> Bool { a.priority == b.priority }
}

extension Prioritized: Sendable where Priority: Sendable, Item: Sendable {}

extension PriorityQueue {
    /// Puts `item` with `priority`, waiting while the queue is full; see ``Queue/put(_:)``.
    nonisolated(nonsending) public func put<Priority, Item>(_ item: Item, priority: Priority) async throws
    where Element == Prioritized<Priority, Item> {
        try await put(Prioritized(item, priority: priority))
    }

    /// Puts `item` with `priority` without waiting; see ``Queue/putNowait(_:)``.
    public func putNowait<Priority, Item>(_ item: Item, priority: Priority) throws
    where Element == Prioritized<Priority, Item> {
        try putNowait(Prioritized(item, priority: priority))
    }
}
