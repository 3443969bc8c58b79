/// A timer in the loop's heap, ordered by deadline and then by scheduling order. Deadlines are signed
/// nanoseconds of the loop's clock: a delay in the past gives a deadline before now, still ordered
/// (`callLater(-2)` fires before `callLater(-1)`, as asyncio's `call_later` with negative delays).
struct TimerEntry: Comparable {
    let deadline: Int64
    let sequence: UInt64
    let handle: TimerHandle

    static func < (a: TimerEntry, b: TimerEntry) -> Bool {
        a.deadline != b.deadline ? a.deadline < b.deadline : a.sequence < b.sequence
    }
    static func == (a: TimerEntry, b: TimerEntry) -> Bool { a.handle === b.handle }
}

/// The loop's pending timers: a 4-ary min-heap on (deadline, sequence), so equal deadlines come out in
/// scheduling order.
///
/// Four children per node halve the depth of a binary heap (9 levels for 200,000 timers) and keep the
/// children of a node on one or two cache lines; entries move by bitwise moves into a hole (no swaps, no
/// reference counting). Cancelled timers stay in until they surface or the loop compacts the heap.
struct TimerHeap {
    /// The entries in heap order (for a dump or a close, where order does not matter).
    private(set) var unordered: ContiguousArray<TimerEntry> = []

    var count: Int { unordered.count }
    var isEmpty: Bool { unordered.isEmpty }

    /// The earliest deadline, or nil when there is no timer.
    var minDeadline: Int64? { unordered.isEmpty ? nil : unordered[0].deadline }

    /// Whether the earliest timer was cancelled (false when there is none).
    var minIsCancelled: Bool { !unordered.isEmpty && unordered[0].handle.cancelled }

    init() {}

    /// Builds a heap from `entries` in O(n).
    init(_ entries: ContiguousArray<TimerEntry>) {
        unordered = entries
        let n = unordered.count
        guard n > 1 else { return }
        unordered.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            var index = (n - 2) / 4
            while index >= 0 {
                Self.siftDown(base, count: n, hole: index, item: (base + index).move())
                index -= 1
            }
        }
    }

    mutating func insert(_ entry: TimerEntry) {
        unordered.append(entry)
        unordered.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            var hole = buffer.count - 1
            let item = (base + hole).move()
            while hole > 0 {
                let parent = (hole - 1) / 4
                guard Self.precedes(item, base + parent) else { break }
                (base + hole).moveInitialize(from: base + parent, count: 1)
                hole = parent
            }
            (base + hole).initialize(to: item)
        }
    }

    /// Removes and returns the earliest timer. The heap must not be empty.
    mutating func removeMin() -> TimerEntry {
        let last = unordered.removeLast()
        if unordered.isEmpty { return last }
        return unordered.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            let top = base.move()
            Self.siftDown(base, count: buffer.count, hole: 0, item: last)
            return top
        }
    }

    /// Drops the entries `shouldRemove` matches, rebuilding the heap in O(n).
    mutating func removeAll(where shouldRemove: (TimerEntry) -> Bool) {
        var kept = unordered
        unordered = []  // `kept` is now the only reference: filtered in place
        kept.removeAll(where: shouldRemove)
        self = TimerHeap(kept)
    }

    /// Places `item` into the uninitialized slot `hole` or below it, moving smaller children up.
    @inline(__always)
    private static func siftDown(_ base: UnsafeMutablePointer<TimerEntry>, count: Int, hole start: Int, item: TimerEntry) {
        var hole = start
        while true {
            let first = 4 &* hole &+ 1
            if first >= count { break }
            var best = first
            var child = first &+ 1
            let end = Swift.min(first &+ 4, count)
            while child < end {
                if precedes(base + child, base + best) { best = child }
                child &+= 1
            }
            guard precedes(base + best, item) else { break }
            (base + hole).moveInitialize(from: base + best, count: 1)
            hole = best
        }
        (base + hole).initialize(to: item)
    }

    @inline(__always)
    private static func precedes(_ a: UnsafeMutablePointer<TimerEntry>, _ b: UnsafeMutablePointer<TimerEntry>) -> Bool {
        let x = a.pointee.deadline, y = b.pointee.deadline
        return x != y ? x < y : a.pointee.sequence < b.pointee.sequence
    }

    @inline(__always)
    private static func precedes(_ a: TimerEntry, _ b: UnsafeMutablePointer<TimerEntry>) -> Bool {
        let y = b.pointee.deadline
        return a.deadline != y ? a.deadline < y : a.sequence < b.pointee.sequence
    }

    @inline(__always)
    private static func precedes(_ a: UnsafeMutablePointer<TimerEntry>, _ b: TimerEntry) -> Bool {
        let x = a.pointee.deadline
        return x != b.deadline ? x < b.deadline : a.pointee.sequence < b.sequence
    }
}
