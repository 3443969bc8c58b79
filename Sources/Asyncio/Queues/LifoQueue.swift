/// A queue that hands out the most recently put item first (asyncio's `LifoQueue`).
public final class LifoQueue<Element>: Queue<Element>, @unchecked Sendable {
    private var stack: [Element] = []

    override func storeItem(_ item: Element) { stack.append(item) }
    override func takeItem() -> Element { stack.removeLast() }
    override var itemCount: Int { stack.count }
    override func removeAllItems() -> Int { defer { stack.removeAll() }; return stack.count }
}
