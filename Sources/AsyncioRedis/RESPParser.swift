/// An incremental RESP2/RESP3 parser: feed it bytes as they arrive, in chunks of any size, and take
/// complete replies out with ``next()``.
///
/// A value type with no I/O of its own. It resumes where it stopped: an aggregate (array, map, set,
/// push) is built element by element across chunks, so a large reply arriving in many reads is
/// parsed once, not again from its start at every read. A scalar waits until it is complete.
///
/// Bytes that are not RESP, or that exceed the ``Limits``, make ``next()`` throw a
/// ``RedisError`` of kind ``RedisError/Kind/protocolViolation``; after that the parser stays failed
/// (the stream has lost its framing). No input makes it trap, allocate in proportion to a length
/// it has not received, or loop without consuming bytes.
///
/// ```swift
/// var parser = RESPParser()
/// parser.feed(Array("*2\r\n$3\r\nfoo\r\n:4".utf8))
/// try parser.next()                   // nil: the array is not complete yet
/// parser.feed(Array("2\r\n".utf8))
/// try parser.next()                   // .array([.bulkString(Array("foo".utf8)), .integer(42)])
/// ```
public struct RESPParser: Sendable {
    /// Bounds that protect the client from a broken or hostile peer.
    public struct Limits: Sendable, Hashable {
        /// The longest bulk string, blob error or verbatim string (Redis's `proto-max-bulk-len`
        /// default: 512 MiB).
        public var maxBulkLength = 512 * 1024 * 1024
        /// The most elements (or pairs) one aggregate may announce.
        public var maxAggregateLength = Int(Int32.max)
        /// How deep aggregates may nest.
        public var maxDepth = 256
        /// The longest line of a simple string, error, number or length.
        public var maxLineLength = 64 * 1024

        /// The defaults.
        public init() {}
    }

    /// The parser's bounds.
    public let limits: Limits
    /// Bytes fed and not yet consumed, from `head` on.
    private var buffer: [UInt8] = []
    private var head = 0
    /// The aggregates being built, outermost first.
    private var stack: [Frame] = []
    private var failure: RedisError?

    /// A parser with `limits`.
    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// How many bytes were fed and not consumed yet (the start of an incomplete reply).
    public var bufferedByteCount: Int { buffer.count - head }

    /// Whether the parser is in the middle of a reply: bytes are buffered or an aggregate is open.
    public var isMidReply: Bool { head < buffer.count || !stack.isEmpty }

    /// Appends `bytes` to what is buffered.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        makeRoom()
        if let base = bytes.baseAddress, bytes.count > 0 {
            buffer.append(contentsOf: UnsafeBufferPointer(start: base.assumingMemoryBound(to: UInt8.self), count: bytes.count))
        }
    }

    /// Appends `bytes` to what is buffered.
    public mutating func feed(_ bytes: some Sequence<UInt8>) {
        makeRoom()
        buffer.append(contentsOf: bytes)
    }

    /// Drops the consumed bytes: all of them when nothing is left (the common case, which keeps the
    /// capacity), else the consumed prefix once it is at least half the buffer.
    private mutating func makeRoom() {
        if head == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 0 && head >= buffer.count / 2 {
            buffer.removeSubrange(0..<head)
            head = 0
        }
    }

    /// The next complete reply, or nil until more bytes are fed.
    /// - Throws: ``RedisError`` (``RedisError/Kind/protocolViolation``) for bytes that are not RESP, and
    ///   again on every later call.
    public mutating func next() throws -> RedisReply? {
        if let failure { throw failure }
        do {
            return try parseNext()
        } catch let error as RedisError {
            failure = error
            throw error
        }
    }

    private mutating func parseNext() throws -> RedisReply? {
        let bytes = buffer  // shares the storage: the closure below mutates `stack` and `head`, not `buffer`
        return try bytes.withUnsafeBufferPointer { input -> RedisReply? in
            var position = head
            outer: while true {
                guard let element = try Self.element(in: input, at: &position, limits: limits) else {
                    head = position  // elements already taken into open aggregates stay consumed
                    return nil
                }
                var value: RedisReply
                switch element {
                case .value(let scalar):
                    value = scalar
                case .aggregate(let kind, let count):
                    if count == 0 {
                        if kind == .attribute { continue outer }
                        value = Frame(kind: kind, count: 0).build()
                    } else {
                        guard stack.count < limits.maxDepth else {
                            throw Self.violation("aggregates nested deeper than \(limits.maxDepth)")
                        }
                        stack.append(Frame(kind: kind, count: count))
                        continue outer
                    }
                }
                while !stack.isEmpty {
                    let top = stack.count - 1
                    stack[top].elements.append(value)
                    stack[top].remaining -= 1
                    if stack[top].remaining > 0 { continue outer }
                    let frame = stack.removeLast()
                    if frame.kind == .attribute { continue outer }  // attributes annotate the next value: dropped
                    value = frame.build()
                }
                head = position
                return value
            }
        }
    }

    // MARK: elements

    private enum AggregateKind: UInt8 {
        case array, set, map, push, attribute
    }

    private enum Element {
        case value(RedisReply)
        case aggregate(AggregateKind, Int)
    }

    /// An aggregate being built.
    private struct Frame {
        let kind: AggregateKind
        /// Elements still to come (keys and values count one each in maps and attributes).
        var remaining: Int
        var elements: [RedisReply] = []

        init(kind: AggregateKind, count: Int) {
            self.kind = kind
            remaining = kind == .map || kind == .attribute ? count * 2 : count
            elements.reserveCapacity(Swift.min(remaining, 1024))  // never trust a length not yet received
        }

        func build() -> RedisReply {
            switch kind {
            case .array: .array(elements)
            case .set: .set(elements)
            case .push: .push(elements)
            case .map, .attribute:
                .map(stride(from: 0, to: elements.count, by: 2).map { RedisReply.Pair(key: elements[$0], value: elements[$0 + 1]) })
            }
        }
    }

    private static let cr: UInt8 = 13
    private static let lf: UInt8 = 10

    /// Parses one scalar, or the header of one aggregate, at `position`; advances `position` past it.
    /// Nil (and `position` unchanged) when the bytes end first.
    private static func element(in input: UnsafeBufferPointer<UInt8>, at position: inout Int, limits: Limits) throws -> Element? {
        let start = position
        guard start < input.count else { return nil }
        let type = input[start]
        guard let lineEnd = try lineEnd(in: input, from: start + 1, limit: limits.maxLineLength) else { return nil }
        let line = UnsafeBufferPointer(rebasing: input[(start + 1)..<lineEnd])
        var next = lineEnd + 2
        let element: Element
        switch type {
        case UInt8(ascii: "+"):
            element = .value(.simpleString(String(decoding: line, as: UTF8.self)))
        case UInt8(ascii: "-"):
            element = .value(.error(RedisServerError(message: String(decoding: line, as: UTF8.self))))
        case UInt8(ascii: ":"):
            element = .value(.integer(try integer(line)))
        case UInt8(ascii: "$"), UInt8(ascii: "!"), UInt8(ascii: "="):
            if line.count == 1 && line[0] == UInt8(ascii: "?") { throw violation("streamed strings are not supported") }
            let length = try integer(line)
            if length == -1 && type == UInt8(ascii: "$") {
                element = .value(.null)
                break
            }
            guard length >= 0 && length <= limits.maxBulkLength else { throw violation("bad bulk length \(length)") }
            let dataStart = next
            guard input.count - dataStart >= length + 2 else { return nil }
            guard input[dataStart + length] == cr && input[dataStart + length + 1] == lf else {
                throw violation("bulk data not followed by CRLF")
            }
            let data = UnsafeBufferPointer(rebasing: input[dataStart..<(dataStart + length)])
            next = dataStart + length + 2
            switch type {
            case UInt8(ascii: "$"):
                element = .value(.bulkString(Array(data)))
            case UInt8(ascii: "!"):
                element = .value(.error(RedisServerError(message: String(decoding: data, as: UTF8.self))))
            default:
                guard length >= 4 && data[3] == UInt8(ascii: ":") else { throw violation("verbatim string without a format") }
                element = .value(.verbatimString(
                    format: String(decoding: UnsafeBufferPointer(rebasing: data[0..<3]), as: UTF8.self),
                    text: String(decoding: UnsafeBufferPointer(rebasing: data[4...]), as: UTF8.self)))
            }
        case UInt8(ascii: "*"), UInt8(ascii: "~"), UInt8(ascii: "%"), UInt8(ascii: ">"), UInt8(ascii: "|"):
            if line.count == 1 && line[0] == UInt8(ascii: "?") { throw violation("streamed aggregates are not supported") }
            let count = try integer(line)
            if count == -1 && type == UInt8(ascii: "*") {
                element = .value(.null)
                break
            }
            guard count >= 0 && count <= limits.maxAggregateLength else { throw violation("bad aggregate length \(count)") }
            let kind: AggregateKind = switch type {
            case UInt8(ascii: "*"): .array
            case UInt8(ascii: "~"): .set
            case UInt8(ascii: "%"): .map
            case UInt8(ascii: ">"): .push
            default: .attribute
            }
            element = .aggregate(kind, count)
        case UInt8(ascii: "_"):
            guard line.isEmpty else { throw violation("null with data") }
            element = .value(.null)
        case UInt8(ascii: ","):
            guard !line.isEmpty, let value = Double(String(decoding: line, as: UTF8.self)) else { throw violation("bad double") }
            element = .value(.double(value))
        case UInt8(ascii: "#"):
            guard line.count == 1, line[0] == UInt8(ascii: "t") || line[0] == UInt8(ascii: "f") else { throw violation("bad boolean") }
            element = .value(.boolean(line[0] == UInt8(ascii: "t")))
        case UInt8(ascii: "("):
            let digits = line.first == UInt8(ascii: "-") || line.first == UInt8(ascii: "+") ? UnsafeBufferPointer(rebasing: line.dropFirst()) : line
            guard !digits.isEmpty, digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
                throw violation("bad big number")
            }
            element = .value(.bigNumber(String(decoding: line, as: UTF8.self)))
        default:
            throw violation("unknown type byte \(type)")
        }
        position = next
        return element
    }

    /// The index of the CR of the CRLF that ends the line starting at `from`; nil if the bytes end
    /// first. Throws for a CR or LF on its own, or a line longer than `limit`.
    private static func lineEnd(in input: UnsafeBufferPointer<UInt8>, from: Int, limit: Int) throws -> Int? {
        var index = from
        let end = limit >= input.count - from ? input.count : from + limit + 1
        while index < end {
            let byte = input[index]
            if byte == cr {
                guard index + 1 < input.count else { return nil }
                guard input[index + 1] == lf else { throw violation("CR not followed by LF") }
                return index
            }
            if byte == lf { throw violation("LF without CR") }
            index += 1
        }
        if end - from > limit { throw violation("line longer than \(limit) bytes") }
        return nil
    }

    /// A decimal integer with an optional sign, as RESP writes integers and lengths.
    private static func integer(_ digits: UnsafeBufferPointer<UInt8>) throws -> Int {
        var index = 0
        var negative = false
        if let first = digits.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            negative = first == UInt8(ascii: "-")
            index = 1
        }
        guard index < digits.count else { throw violation("bad integer") }
        var value = 0
        while index < digits.count {
            let digit = Int(digits[index]) - 48
            guard digit >= 0 && digit <= 9 else { throw violation("bad integer") }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = negative ? times10.subtractingReportingOverflow(digit) : times10.addingReportingOverflow(digit)
            guard !overflow1 && !overflow2 else { throw violation("integer out of range") }
            value = sum
            index += 1
        }
        return value
    }

    private static func violation(_ what: String) -> RedisError {
        RedisError(.protocolViolation, message: "the server sent bytes that are not RESP: \(what)")
    }
}
