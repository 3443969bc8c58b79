/// The reading half of a connection (asyncio's `StreamReader`).
///
/// Bytes arrive from libuv's reused read buffer with one copy into the reader's buffer; reading from
/// the socket pauses while more than twice ``limit`` bytes are buffered (a slow consumer does not grow
/// memory without bound) and resumes as the buffer drains. Also an `AsyncSequence` of lines (each
/// including its `\n`).
///
/// Loop-confined, hence `@unchecked Sendable`: every method and property must be used on the loop's
/// thread, and traps with a message naming the call anywhere else.
public final class StreamReader: @unchecked Sendable, AsyncSequence {
    let transport: StreamTransport
    /// ``limit``, read without the confinement check.
    private let maximum: Int
    /// The received bytes not consumed yet, and the separator search. Loop-confined state is
    /// `@exclusivity(unchecked)`: never accessed from two places at once, and a dynamic check per
    /// access costs more than a buffered read itself.
    @exclusivity(unchecked) private var buffer = ReadBuffer()
    @exclusivity(unchecked) private var eof = false
    @exclusivity(unchecked) private var error: (any Error)?
    private let waiters = WaitList()

    init(transport: StreamTransport, limit: Int) {
        precondition(limit > 0, "a StreamReader's limit must be positive, not \(limit)")
        self.transport = transport
        self.maximum = limit
        transport.reader = self
        transport.startReading()
    }

    /// The most bytes ``readUntil(_:)`` and ``readLine()`` return before the separator (asyncio's
    /// `limit`, 64 KiB by default); reading from the socket pauses above twice as many buffered bytes.
    public var limit: Int {
        transport.loop.preconditionOnLoopThread("StreamReader.limit")
        return maximum
    }

    func received(_ bytes: UnsafeRawBufferPointer) {
        buffer.append(bytes)
        if buffer.count > 2 * maximum { transport.stopReading() }
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

    /// Whether a read call is waiting for data (tests synchronise their writers with it).
    var isWaitingForData: Bool { !waiters.isEmpty }
    /// Whether no received byte waits to be consumed.
    var isBufferEmpty: Bool { buffer.isEmpty }
    /// How many bytes arrived since the stream began, consumed or not.
    var receivedByteCount: Int { buffer.consumedCount + buffer.count }

    /// Whether the stream ended and everything buffered was read (asyncio's `at_eof()`).
    public var atEOF: Bool {
        transport.loop.preconditionOnLoopThread("StreamReader.atEOF")
        return eof && buffer.isEmpty
    }

    /// Waits until more data, the end, or an error arrives.
    nonisolated(nonsending) private func waitForData(_ what: StaticString) async throws {
        if let error { throw error }
        if eof { return }
        transport.startReading()
        transport.readerWillWait()
        try await waiters.wait(on: transport.loop, "\(what)")
        // A timeout ends the read that waited, whatever was buffered (the half of a message that
        // stalled is of no use); other errors come after the buffered bytes.
        if let error, buffer.isEmpty || error is ConnectionTimeoutError { throw error }
    }

    /// Resumes reading from the socket once the buffer is back within the limit (asyncio's
    /// `_maybe_resume_transport`).
    private func didConsume() {
        if !eof && buffer.count <= maximum { transport.startReading() }
    }

    private func take(_ count: Int) -> [UInt8] {
        let bytes = buffer.removeFirst(count)
        didConsume()
        return bytes
    }

    /// Reads up to `maxCount` bytes (all that is buffered, at least one byte), waiting for data; an
    /// empty array means the end of the stream. `nil` (the default) reads until the end (asyncio's
    /// `read(n=-1)`), as ``AsyncFile/read(_:)`` does; a negative count does too, as in asyncio, so
    /// ported `read(-1)` calls keep their meaning.
    nonisolated(nonsending) public func read(_ maxCount: Int? = nil) async throws -> [UInt8] {
        transport.loop.preconditionOnLoopThread("StreamReader.read")
        guard let maxCount, maxCount >= 0 else {
            while !eof { try await waitForData("StreamReader.read") }
            return take(buffer.count)
        }
        if maxCount == 0 { return [] }
        while buffer.isEmpty && !eof { try await waitForData("StreamReader.read") }
        return take(Swift.min(maxCount, buffer.count))
    }

    /// Reads exactly `count` bytes (`count >= 0`).
    /// - Throws: ``IncompleteReadError`` (with the bytes read, which leave the buffer) if the stream
    ///   ends first.
    nonisolated(nonsending) public func readExactly(_ count: Int) async throws -> [UInt8] {
        transport.loop.preconditionOnLoopThread("StreamReader.readExactly")
        precondition(count >= 0, "readExactly needs a count of at least 0, not \(count)")
        while buffer.count < count {
            if eof { throw IncompleteReadError(partial: take(buffer.count), expected: count) }
            try await waitForData("StreamReader.readExactly")
        }
        return take(count)
    }

    /// Reads up to and including `separator` (not empty).
    /// - Throws: ``LimitOverrunError`` if the separator comes after more than ``limit`` bytes, or more
    ///   than ``limit`` bytes are buffered without it (besides a partial separator at the end); the data
    ///   stays buffered. ``IncompleteReadError`` (with what was buffered, which leaves the buffer) if the
    ///   stream ends first.
    nonisolated(nonsending) public func readUntil(_ separator: [UInt8] = [10]) async throws -> [UInt8] {
        transport.loop.preconditionOnLoopThread("StreamReader.readUntil")
        precondition(!separator.isEmpty, "readUntil needs a separator of at least one byte")
        // A message already buffered (pipelined requests) is taken without another async call.
        var search = buffer.startSearch(for: separator)
        if case .found(let length) = buffer.search(&search, limit: maximum) { return take(length) }
        return try await read(until: separator, "StreamReader.readUntil")
    }

    /// asyncio's `readuntil`, for ``readUntil(_:)`` and ``readLine()``.
    nonisolated(nonsending) private func read(until separator: [UInt8], _ what: StaticString) async throws -> [UInt8] {
        var search = buffer.startSearch(for: separator)
        while true {
            switch buffer.search(&search, limit: maximum) {
            case .found(let length):
                return take(length)
            case .overLimit(let consumed):
                throw LimitOverrunError(consumed: consumed)
            case .notFound:
                // A separator may have come with the end of the stream: EOF counts only once searched.
                if eof { throw IncompleteReadError(partial: take(buffer.count), expected: nil) }
                try await waitForData(what)
            }
        }
    }

    /// Reads one line, including its `\n`; at the end of the stream returns what is left (possibly
    /// empty), as asyncio's `readline()`.
    /// - Throws: ``LimitOverrunError`` (asyncio raises `ValueError`) if the line is longer than
    ///   ``limit`` before its `\n`. That line is dropped, through its `\n` if it was buffered, else with
    ///   everything buffered (the rest of the line then comes as the next line), so the next call reads
    ///   on.
    nonisolated(nonsending) public func readLine() async throws -> [UInt8] {
        transport.loop.preconditionOnLoopThread("StreamReader.readLine")
        return try await line("StreamReader.readLine")
    }

    nonisolated(nonsending) private func line(_ what: StaticString) async throws -> [UInt8] {
        var search = buffer.startSearch(for: [10])
        if case .found(let length) = buffer.search(&search, limit: maximum) { return take(length) }
        do {
            return try await read(until: [10], what)
        } catch let incomplete as IncompleteReadError {
            return incomplete.partial
        } catch let overrun as LimitOverrunError {
            buffer.discardOverlongLine(consumed: overrun.consumed, separator: [10])
            didConsume()
            throw overrun
        }
    }

    /// Iterates lines (as ``StreamReader/readLine()``) until the end of the stream.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let reader: StreamReader
        /// The next element, or nil at the end (`AsyncIteratorProtocol`).
        nonisolated(nonsending) public mutating func next() async throws -> [UInt8]? {
            reader.transport.loop.preconditionOnLoopThread("StreamReader.AsyncIterator.next")
            let line = try await reader.line("StreamReader.AsyncIterator.next")
            return line.isEmpty ? nil : line
        }
    }

    /// The iterator for `for try await` over this sequence.
    public func makeAsyncIterator() -> AsyncIterator {
        transport.loop.preconditionOnLoopThread("StreamReader.makeAsyncIterator")
        return AsyncIterator(reader: self)
    }
}
