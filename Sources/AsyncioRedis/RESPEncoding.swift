/// The bytes of a command argument: what ``RedisConnection`` writes as one RESP bulk string.
protocol RESPArgument {
    /// The bytes, appended to a command by `appendRESPCommand`.
    func withRESPBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R
}

extension String: RESPArgument {
    func withRESPBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        if let result = try utf8.withContiguousStorageIfAvailable(body) { return result }
        return try Array(utf8).withUnsafeBufferPointer(body)
    }
}

extension Array: RESPArgument where Element == UInt8 {
    func withRESPBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try withUnsafeBufferPointer(body)
    }
}

extension Array where Element == UInt8 {
    /// Appends `arguments` as a RESP command: an array of bulk strings (`*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`).
    ///
    /// A command that fits in `RESPEncoding.scratchLimit` bytes (the usual case) is encoded into a
    /// stack buffer in one pass and appended in one step: the array's uniqueness and capacity are
    /// checked once, not once per byte. (Appending piece by piece cost about 1,000 instructions per
    /// `GET key`, a third of the client's instructions in `asyncio-bench redis`.) A longer one is
    /// appended piece by piece, which is no cost next to copying its bytes.
    mutating func appendRESPCommand<Argument: RESPArgument>(_ arguments: [Argument]) {
        let encoded = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: RESPEncoding.scratchLimit) { scratch -> Bool in
            // Every header takes at most 23 bytes: a type byte, 20 digits, CRLF.
            var at = RESPEncoding.header(UInt8(ascii: "*"), arguments.count, into: scratch, at: 0)
            for argument in arguments {
                let fits = argument.withRESPBytes { bytes -> Bool in
                    guard scratch.count - at >= 23 + bytes.count + 2 else { return false }
                    at = RESPEncoding.header(UInt8(ascii: "$"), bytes.count, into: scratch, at: at)
                    if let source = bytes.baseAddress, bytes.count > 0 {
                        (scratch.baseAddress! + at).initialize(from: source, count: bytes.count)
                    }
                    at += bytes.count
                    scratch[at] = 13
                    scratch[at + 1] = 10
                    at += 2
                    return true
                }
                guard fits else { return false }
            }
            append(contentsOf: UnsafeBufferPointer(start: scratch.baseAddress, count: at))
            return true
        }
        if !encoded { appendRESPCommandPiecewise(arguments) }
    }

    /// `appendRESPCommand(_:)` one piece at a time, for long commands.
    private mutating func appendRESPCommandPiecewise<Argument: RESPArgument>(_ arguments: [Argument]) {
        append(UInt8(ascii: "*"))
        appendDecimal(arguments.count)
        appendCRLF()
        for argument in arguments {
            argument.withRESPBytes { bytes in
                append(UInt8(ascii: "$"))
                appendDecimal(bytes.count)
                appendCRLF()
                append(contentsOf: bytes)
                appendCRLF()
            }
        }
    }

    @inline(__always)
    mutating func appendCRLF() {
        append(13)
        append(10)
    }

    /// Appends the decimal digits of a non-negative `value`.
    mutating func appendDecimal(_ value: Int) {
        if value < 10 {
            append(UInt8(truncatingIfNeeded: 48 + value))
            return
        }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // room for 24 digits
        var count = 0
        var rest = value
        Swift.withUnsafeMutableBytes(of: &digits) { scratch in
            while rest > 0 {
                scratch[23 - count] = UInt8(truncatingIfNeeded: 48 + rest % 10)
                rest /= 10
                count += 1
            }
            append(contentsOf: scratch[(24 - count)...])
        }
    }
}

/// Helpers of `appendRESPCommand`.
enum RESPEncoding {
    /// The stack buffer of `appendRESPCommand`: the longest command encoded there and appended at once.
    static var scratchLimit: Int { 1024 }

    /// How many decimal digits a non-negative `value` has.
    @inline(__always)
    static func decimalLength(_ value: Int) -> Int {
        var digits = 1
        var rest = value
        while rest >= 10 {
            rest /= 10
            digits += 1
        }
        return digits
    }

    /// Writes `type`, the decimal digits of a non-negative `value` and CRLF at `at`; returns the index
    /// after them.
    @inline(__always)
    static func header(_ type: UInt8, _ value: Int, into buffer: UnsafeMutableBufferPointer<UInt8>, at: Int) -> Int {
        buffer[at] = type
        let digits = decimalLength(value)
        var rest = value
        var index = at + digits
        while index > at {
            buffer[index] = UInt8(truncatingIfNeeded: 48 + rest % 10)
            rest /= 10
            index -= 1
        }
        buffer[at + digits + 1] = 13
        buffer[at + digits + 2] = 10
        return at + digits + 3
    }
}

/// The name of a command for errors: its first argument as sent (upper-cased only when an error names
/// it, so that the hot path allocates nothing for names of up to 15 bytes).
func commandName<Argument: RESPArgument>(_ arguments: [Argument]) -> String {
    if let name = arguments.first as? String { return name }
    return arguments.first?.withRESPBytes { String(decoding: $0.prefix(32), as: UTF8.self) } ?? ""
}
