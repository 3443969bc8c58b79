import HeapModule

/// A queue that hands out its smallest item first (asyncio's `PriorityQueue`); items of equal priority
/// come out in the order they were put (stable).
public final class PriorityQueue<Element: Comparable>: Queue<Element>, @unchecked Sendable {
    private struct Entry: Comparable {
        let item: Element
        let order: UInt64
        static func < (a: Entry, b: Entry) -> Bool { a.item != b.item ? a.item < b.item : a.order < b.order }
        static func == (a: Entry, b: Entry) -> Bool { a.item == b.item && a.order == b.order }
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
