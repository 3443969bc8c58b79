/// A batch of items pushed to the ``Inbox`` from other threads: producers append under the inbox's
/// mutex, then the loop takes the whole batch and moves items out from the front, a bounded number per
/// iteration. Moving them out (rather than reading an array and dropping it once used up) frees each
/// callback when it has run: a batch of 200,000 callbacks released at once kept the loop busy for tens
/// of milliseconds, which is the latency the bounded admission exists to avoid.
///
/// Not thread-safe: owned by the inbox's mutex while producers fill it, by the loop thread after.
final class InboxBatch {
    private var base: UnsafeMutablePointer<Inbox.Item>
    private(set) var capacity: Int
    /// Items in `base[head..<end]` are initialized; those before `head` were taken.
    private var head = 0
    private var end = 0

    init(capacity: Int = 16) {
        self.capacity = max(1, capacity)
        base = .allocate(capacity: self.capacity)
    }

    deinit {
        (base + head).deinitialize(count: end - head)
        base.deallocate()
    }

    /// How many items are left.
    var count: Int { end - head }
    var isEmpty: Bool { head == end }

    @inline(__always)
    func append(_ item: Inbox.Item) {
        if end == capacity { grow() }
        (base + end).initialize(to: item)
        end += 1
    }

    /// Moves the first item out.
    @inline(__always)
    func removeFirst() -> Inbox.Item {
        let item = (base + head).move()
        head += 1
        if head == end { head = 0; end = 0 }
        return item
    }

    private func grow() {
        let newCapacity = count * 2 >= capacity ? capacity * 2 : capacity
        let fresh = UnsafeMutablePointer<Inbox.Item>.allocate(capacity: newCapacity)
        fresh.moveInitialize(from: base + head, count: end - head)
        base.deallocate()
        base = fresh
        end -= head
        head = 0
        capacity = newCapacity
    }
}
