// The oracle of the StreamReader property test and of the ReadBuffer fuzzer (Fuzz/ compiles this very
// file): asyncio's StreamReader (CPython 3.13, Lib/asyncio/streams.py) on a plain array, written to be
// obviously right rather than fast. It imports nothing, so that the fuzzer can build it on its own.

/// What one read call returns or throws.
enum ReadOutcome: Equatable, Sendable {
    /// The bytes returned (`read`, `readExactly`, `readUntil`, `readLine`, the line iterator).
    case bytes([UInt8])
    /// The line iterator's `nil` (asyncio's `StopAsyncIteration`).
    case endOfLines
    /// `LimitOverrunError` (asyncio's `readline` raises `ValueError` instead).
    case limitOverrun(consumed: Int)
    /// `IncompleteReadError`.
    case incompleteRead(partial: [UInt8], expected: Int?)
}

/// asyncio's `StreamReader` without a transport: bytes are fed in, and each read call either returns
/// its outcome or `nil` where asyncio would wait for data (feed more, or the end, and call again).
struct ReaderModel {
    let limit: Int
    private(set) var buffer: [UInt8] = []
    private(set) var eof = false

    init(limit: Int) { self.limit = limit }

    mutating func feed(_ bytes: [UInt8]) { buffer += bytes }
    mutating func feedEOF() { eof = true }

    /// `at_eof()`.
    var atEOF: Bool { eof && buffer.isEmpty }

    private mutating func take(_ count: Int) -> [UInt8] {
        let taken = Array(buffer.prefix(count))
        buffer.removeFirst(count)
        return taken
    }

    /// `read(n)`: `n < 0` reads to the end; else up to `n` of what is buffered, waiting while nothing is.
    mutating func read(_ n: Int) -> ReadOutcome? {
        if n == 0 { return .bytes([]) }
        if n < 0 { return eof ? .bytes(take(buffer.count)) : nil }
        if buffer.isEmpty && !eof { return nil }
        return .bytes(take(Swift.min(n, buffer.count)))
    }

    /// `readexactly(n)`.
    mutating func readExactly(_ n: Int) -> ReadOutcome? {
        if buffer.count >= n { return .bytes(take(n)) }
        return eof ? .incompleteRead(partial: take(buffer.count), expected: n) : nil
    }

    /// The first place `separator` starts in the buffer: every place is tried, from the start.
    func firstIndex(of separator: [UInt8]) -> Int? {
        guard buffer.count >= separator.count else { return nil }
        for start in 0...(buffer.count - separator.count) where Array(buffer[start..<(start + separator.count)]) == separator {
            return start
        }
        return nil
    }

    /// `readuntil(separator)`: the limit bounds the bytes before the separator; without a separator,
    /// the bytes where none can start any more (all but the last `separator.count - 1`). An overrun
    /// leaves the buffer alone; the end of the stream empties it into the error.
    mutating func readUntil(_ separator: [UInt8]) -> ReadOutcome? {
        if let start = firstIndex(of: separator) {
            return start > limit ? .limitOverrun(consumed: start) : .bytes(take(start + separator.count))
        }
        let searched = Swift.max(0, buffer.count + 1 - separator.count)
        if searched > limit { return .limitOverrun(consumed: searched) }
        return eof ? .incompleteRead(partial: take(buffer.count), expected: nil) : nil
    }

    /// `readline()`: at the end, what is left; after an overrun, the line is dropped through its `\n`
    /// if that is where the overrun stopped, else the whole buffer is.
    mutating func readLine() -> ReadOutcome? {
        switch readUntil([10]) {
        case .incompleteRead(let partial, _)?:
            return .bytes(partial)
        case .limitOverrun(let consumed)?:
            if consumed < buffer.count && buffer[consumed] == 10 {
                buffer.removeFirst(consumed + 1)
            } else {
                buffer.removeAll()
            }
            return .limitOverrun(consumed: consumed)
        case let other:
            return other
        }
    }

    /// `__anext__` of the line iterator: `readline()`, and the end at an empty line.
    mutating func nextLine() -> ReadOutcome? {
        let line = readLine()
        return line == .bytes([]) ? .endOfLines : line
    }
}
