/// The reading half of a connection (asyncio's `StreamReader`).
///
/// Bytes arrive from libuv's reused read buffer with one copy into the reader's buffer; reading from
/// the socket pauses while more than twice ``limit`` bytes are buffered (a slow consumer does not grow
/// memory without bound) and resumes as the buffer drains. Also an `AsyncSequence` of lines (each
/// including its `\n`). Loop-confined, hence `@unchecked Sendable`.
public final class StreamReader: @unchecked Sendable, AsyncSequence {
    let transport: StreamTransport
    /// The buffer limit for ``readUntil(_:)`` / ``readLine()`` (asyncio's `limit`, 64 KiB by default).
    public let limit: Int
    private var buffer: [UInt8] = []
    private var start = 0
    private var eof = false
    private var error: (any Error)?
    private let waiters = WaitList()

    init(transport: StreamTransport, limit: Int) {
        self.transport = transport
        self.limit = limit
        transport.reader = self
        transport.startReading()
    }

    private var available: Int { buffer.count - start }

    func received(_ bytes: UnsafeRawBufferPointer) {
        if start > 0 && start >= buffer.count / 2 {
            buffer.removeFirst(start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
        if available > 2 * limit { transport.stopReading() }
        waiters.wakeAll()
    }

    func receivedEOF() {
        eof = true
        waiters.wakeAll()
    }

    func failed(_ error: any Error) {
        self.error = error
        waiters.wakeAll()
    }

    /// Whether the stream ended and everything buffered was read (asyncio's `at_eof()`).
    public var atEOF: Bool { eof && available == 0 }

    /// Waits until more data, the end, or an error arrives.
    nonisolated(nonsending) private func waitForData() async throws {
        if let error { throw error }
        if eof { return }
        transport.startReading()
        try await waiters.wait(on: transport.loop, "StreamReader.read")
        if let error, available == 0 { throw error }
    }

    private func take(_ count: Int) -> [UInt8] {
        let bytes = Array(buffer[start..<(start + count)])
        start += count
        if start == buffer.count { buffer.removeAll(keepingCapacity: true); start = 0 }
        if available <= limit { transport.startReading() }
        return bytes
    }

    /// Reads up to `maxCount` bytes (all that is buffered, at least one byte), waiting for data; an
    /// empty array means the end of the stream. `-1` reads until the end (asyncio's `read(n=-1)`).
    nonisolated(nonsending) public func read(_ maxCount: Int = -1) async throws -> [UInt8] {
        if maxCount == 0 { return [] }
        if maxCount < 0 {
            while !eof { try await waitForData() }
            return take(available)
        }
        while available == 0 && !eof { try await waitForData() }
        return take(Swift.min(maxCount, available))
    }

    /// Reads exactly `count` bytes.
    /// - Throws: ``IncompleteReadError`` (with the bytes read) if the stream ends first.
    nonisolated(nonsending) public func readExactly(_ count: Int) async throws -> [UInt8] {
        while available < count {
            if eof { throw IncompleteReadError(partial: take(available), expected: count) }
            try await waitForData()
        }
        return take(count)
    }

    /// Reads up to and including `separator`.
    /// - Throws: ``LimitOverrunError`` if ``limit`` bytes arrive without it (the data stays buffered);
    ///   ``IncompleteReadError`` if the stream ends first.
    nonisolated(nonsending) public func readUntil(_ separator: [UInt8] = [10]) async throws -> [UInt8] {
        precondition(!separator.isEmpty, "separator must not be empty")
        var searchFrom = start
        while true {
            if let end = find(separator, from: searchFrom) {
                let length = end + separator.count - start
                if length > limit { throw LimitOverrunError(consumed: length) }
                return take(length)
            }
            if available > limit { throw LimitOverrunError(consumed: available) }
            if eof { throw IncompleteReadError(partial: take(available), expected: nil) }
            searchFrom = Swift.max(start, buffer.count - separator.count + 1)
            try await waitForData()
        }
    }

    /// Reads one line, including its `\n`; at the end of the stream returns what is left (possibly
    /// empty), as asyncio's `readline()`.
    nonisolated(nonsending) public func readLine() async throws -> [UInt8] {
        do {
            return try await readUntil([10])
        } catch let incomplete as IncompleteReadError {
            return incomplete.partial
        }
    }

    private func find(_ separator: [UInt8], from: Int) -> Int? {
        guard buffer.count - from >= separator.count else { return nil }
        var i = from
        while i + separator.count <= buffer.count {
            if buffer[i] == separator[0] && buffer[i..<(i + separator.count)].elementsEqual(separator) { return i }
            i += 1
        }
        return nil
    }

    /// Iterates lines until the end of the stream.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let reader: StreamReader
        nonisolated(nonsending) public mutating func next() async throws -> [UInt8]? {
            let line = try await reader.readLine()
            return line.isEmpty ? nil : line
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(reader: self) }
}
