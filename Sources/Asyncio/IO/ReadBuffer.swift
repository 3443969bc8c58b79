#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The bytes a ``StreamReader`` received and has not consumed yet, and the separator search of its
/// `readUntil` / `readLine` (asyncio's `readuntil` over `StreamReader._buffer`).
///
/// Pure data logic: no I/O, no loop, no waiting, so that it can be fuzzed on its own (`Fuzz/`, which
/// compiles this very file). Every offset it takes or returns counts from the first unconsumed byte;
/// the storage behind it is compacted as bytes are consumed, which no caller can observe.
///
/// Memory: it holds what was received and not consumed, and little more. Once drained it keeps at
/// most ``retainedCapacity`` bytes of storage for the next message (a connection that once received
/// a 60 KB request does not keep 60 KB while idle).
struct ReadBuffer {
    /// The most storage a drained buffer keeps (small messages then reuse it without allocating).
    static let retainedCapacity = 2048

    /// The bytes; those before `head` were consumed and are dropped when compacting.
    private var storage: [UInt8] = []
    private var head = 0
    /// How many bytes were consumed since the stream began: the stream position of the first
    /// unconsumed byte.
    private(set) var consumedCount = 0

    /// How many bytes are buffered.
    var count: Int { storage.count - head }
    var isEmpty: Bool { head == storage.count }
    /// The buffered bytes (a copy; for checks and tests).
    var bytes: [UInt8] { Array(storage[head...]) }
    /// The bytes of storage held, consumed or not (tests).
    var capacity: Int { storage.capacity }

    /// Appends bytes that arrived.
    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        compactIfWorthIt()
        storage.append(contentsOf: bytes)
    }

    /// Appends bytes that arrived.
    mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// Removes and returns the first `n` bytes (`0 <= n <= count`).
    mutating func removeFirst(_ n: Int) -> [UInt8] {
        precondition(n >= 0 && n <= count, "ReadBuffer.removeFirst(\(n)) with \(count) bytes buffered")
        if n == storage.count {  // everything, from the start: hand the storage over instead of copying it
            defer { storage = []; head = 0; consumedCount += n }
            return storage
        }
        let taken = Array(storage[head..<(head + n)])
        discardFirst(n)
        return taken
    }

    /// Drops the first `n` bytes (`0 <= n <= count`).
    mutating func discardFirst(_ n: Int) {
        precondition(n >= 0 && n <= count, "ReadBuffer.discardFirst(\(n)) with \(count) bytes buffered")
        head += n
        consumedCount += n
        if head == storage.count {
            storage.removeAll(keepingCapacity: storage.capacity <= ReadBuffer.retainedCapacity)
            head = 0
        }
    }

    /// Drops every buffered byte.
    mutating func discardAll() { discardFirst(count) }

    /// Drops the consumed prefix once it is at least half of the storage: appending then moves at most
    /// as many bytes as were consumed since the last compaction (amortised O(1) a byte).
    private mutating func compactIfWorthIt() {
        if head > 0 && head >= storage.count - head {
            storage.removeFirst(head)
            head = 0
        }
    }

    /// Whether `separator` is buffered starting at `offset`.
    func hasSeparator(_ separator: [UInt8], at offset: Int) -> Bool {
        offset >= 0 && count - offset >= separator.count
            && storage[(head + offset)..<(head + offset + separator.count)].elementsEqual(separator)
    }

    /// The offset of the first `separator` that starts at or after `offset`.
    func firstIndex(of separator: [UInt8], from offset: Int) -> Int? {
        let length = separator.count
        precondition(length > 0 && offset >= 0, "ReadBuffer.firstIndex: empty separator or negative offset")
        guard count - offset >= length else { return nil }
        return storage.withUnsafeBufferPointer { bytes -> Int? in
            separator.withUnsafeBufferPointer { separator -> Int? in
                let base = bytes.baseAddress!
                let lastStart = bytes.count - length
                var index = head + offset
                while index <= lastStart {
                    guard let hit = memchr(base + index, Int32(separator[0]), lastStart - index + 1) else { return nil }
                    index = UnsafeRawPointer(base).distance(to: UnsafeRawPointer(hit))
                    if length == 1 || memcmp(base + index + 1, separator.baseAddress! + 1, length - 1) == 0 {
                        return index - head
                    }
                    index += 1
                }
                return nil
            }
        }
    }

    /// A search for a separator that goes on where it stopped as more bytes arrive (asyncio's
    /// `offset` in `readuntil`: no separator starts before it). Kept as a stream position, so that
    /// consuming and compacting never move it.
    struct SeparatorSearch {
        let separator: [UInt8]
        fileprivate var resumePosition: Int
    }

    /// The outcome of ``search(_:limit:)``.
    enum SearchResult: Equatable {
        /// The separator ends `length` bytes into the buffer.
        case found(length: Int)
        /// The separator starts after `limit` bytes, or more than `limit` bytes before any place it
        /// could still start are buffered: asyncio's `LimitOverrunError` and its `consumed` (the
        /// bytes before the separator, or `count + 1 - separator.count`).
        case overLimit(consumed: Int)
        /// Not buffered yet, and within the limit: wait for more bytes.
        case notFound
    }

    /// Starts a search for `separator` (not empty) at the first unconsumed byte.
    func startSearch(for separator: [UInt8]) -> SeparatorSearch {
        precondition(!separator.isEmpty, "separator must not be empty")
        return SeparatorSearch(separator: separator, resumePosition: consumedCount)
    }

    /// Looks for the separator in the bytes not searched yet; `limit` bounds the bytes before it.
    /// Searching again after more bytes arrived looks only at what could hold a new match.
    func search(_ search: inout SeparatorSearch, limit: Int) -> SearchResult {
        let separator = search.separator
        // Bytes consumed meanwhile (by another reader) can only move the resume point to the front.
        let offset = Swift.max(0, search.resumePosition - consumedCount)
        guard count - offset >= separator.count else { return .notFound }  // nothing new to look at
        if let index = firstIndex(of: separator, from: offset) {
            return index > limit ? .overLimit(consumed: index) : .found(length: index + separator.count)
        }
        // A separator could still start in the last `separator.count - 1` bytes.
        let resume = Swift.max(0, count + 1 - separator.count)
        search.resumePosition = consumedCount + resume
        return resume > limit ? .overLimit(consumed: resume) : .notFound
    }

    /// What asyncio's `readline` does after a `LimitOverrunError`: drops the overlong line through its
    /// separator if the separator is at `consumed`, else everything buffered.
    mutating func discardOverlongLine(consumed: Int, separator: [UInt8]) {
        if hasSeparator(separator, at: consumed) {
            discardFirst(consumed + separator.count)
        } else {
            discardAll()
        }
    }
}
