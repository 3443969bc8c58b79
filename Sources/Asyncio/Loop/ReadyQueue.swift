/// The loop's ready FIFO: a ring buffer of ``ReadyItem``s that items are moved into and out of.
///
/// Written for the hottest path of the loop (every `callSoon`, every task step, every due timer): a
/// general-purpose `Deque` checks its buffer's uniqueness (copy-on-write) on every append and every
/// removal, copies the item in and out, and goes through its generic index arithmetic — about 70
/// instructions per callback of the 350 it took. This one is a non-copyable value with one owner (the
/// loop), so it needs no copy-on-write, and `append` / `removeFirst` move the item.
///
/// Loop-confined, like the rest of the loop's hot state.
struct ReadyQueue: ~Copyable {
    private var buffer: UnsafeMutablePointer<ReadyItem>
    /// A power of two, so that positions wrap with a mask.
    private var capacity: Int
    private var head = 0
    private(set) var count = 0

    init(capacity: Int = 64) {
        precondition(capacity > 0 && capacity & (capacity - 1) == 0)
        self.capacity = capacity
        buffer = .allocate(capacity: capacity)
    }

    deinit {
        let firstPart = min(count, capacity - head)
        (buffer + head).deinitialize(count: firstPart)
        buffer.deinitialize(count: count - firstPart)
        buffer.deallocate()
    }

    var isEmpty: Bool { count == 0 }

    /// Adds `item` at the back.
    @inline(__always)
    mutating func append(_ item: consuming ReadyItem) {
        if _slowPath(count == capacity) { grow() }
        (buffer + ((head &+ count) & (capacity &- 1))).initialize(to: item)
        count &+= 1
    }

    /// Takes the item at the front; the queue must not be empty.
    @inline(__always)
    mutating func removeFirst() -> ReadyItem {
        let item = (buffer + head).move()
        head = (head &+ 1) & (capacity &- 1)
        count &-= 1
        return item
    }

    /// Takes every item, in order (the loop's close).
    mutating func removeAllItems() -> [ReadyItem] {
        var items: [ReadyItem] = []
        items.reserveCapacity(count)
        while count > 0 { items.append(removeFirst()) }
        head = 0
        return items
    }

    /// Destroys every item.
    mutating func removeAll() {
        while count > 0 { _ = removeFirst() }
        head = 0
    }

    /// Doubles the capacity, moving the items to the front of the new buffer in order.
    @inline(never)
    private mutating func grow() {
        let newCapacity = capacity * 2
        let newBuffer = UnsafeMutablePointer<ReadyItem>.allocate(capacity: newCapacity)
        let firstPart = min(count, capacity - head)
        newBuffer.moveInitialize(from: buffer + head, count: firstPart)
        (newBuffer + firstPart).moveInitialize(from: buffer, count: count - firstPart)
        buffer.deallocate()
        buffer = newBuffer
        capacity = newCapacity
        head = 0
    }
}
