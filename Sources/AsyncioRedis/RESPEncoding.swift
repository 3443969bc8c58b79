/// The bytes of a command argument: what ``RedisConnection`` writes as one RESP bulk string.
protocol RESPArgument {
    /// How many bytes ``withRESPBytes(_:)`` passes (without producing them: O(1) for native strings).
    var respByteCount: Int { get }
    /// The bytes, appended to a command by `appendRESPCommand`.
    func withRESPBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R
}

extension String: RESPArgument {
    var respByteCount: Int { utf8.count }

    func withRESPBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        if let result = try utf8.withContiguousStorageIfAvailable(body) { return result }
        return try Array(utf8).withUnsafeBufferPointer(body)
    }
}

extension Array: RESPArgument where Element == UInt8 {
    var respByteCount: Int { count }

    func withRESPBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try withUnsafeBufferPointer(body)
    }
}

extension Array where Element == UInt8 {
    /// Appends `arguments` as a RESP command: an array of bulk strings (`*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`).
    ///
    /// A command of up to `RESPEncoding.scratchLimit` bytes (the usual case) is encoded into a
    /// stack buffer and appended in one step: the array's uniqueness and capacity are checked once,
    /// not once per byte. (Appending piece by piece cost about 1,000 instructions per `GET key`, a
    /// third of the client's instructions in `asyncio-bench redis`.) A longer one is appended piece by
    /// piece, which is no cost next to copying its bytes.
    mutating func appendRESPCommand<Argument: RESPArgument>(_ arguments: [Argument]) {
        var length = 3 + RESPEncoding.decimalLength(arguments.count)
        for argument in arguments {
            let count = argument.respByteCount
            length += 5 + RESPEncoding.decimalLength(count) + count
        }
        guard length <= RESPEncoding.scratchLimit else {
            appendRESPCommandPiecewise(arguments)
            return
        }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: length) { scratch in
            var at = RESPEncoding.header(UInt8(ascii: "*"), arguments.count, into: scratch, at: 0)
            for argument in arguments {
                argument.withRESPBytes { bytes in
                    at = RESPEncoding.header(UInt8(ascii: "$"), bytes.count, into: scratch, at: at)
                    if let source = bytes.baseAddress, bytes.count > 0 {
                        (scratch.baseAddress! + at).update(from: source, count: bytes.count)
                    }
                    at += bytes.count
                    scratch[at] = 13
                    scratch[at + 1] = 10
                    at += 2
                }
            }
            assert(at == length, "appendRESPCommand: respByteCount disagrees with withRESPBytes")
            append(contentsOf: UnsafeBufferPointer(start: scratch.baseAddress, count: length))
        }
    }

    /// `appendRESPCommand(_:)` one piece at a time, for long commands.
    private mutating func appendRESPCommandPiecewise<Argument: RESPArgument>(_ arguments: [Argument]) {
        reserveCapacity(count + arguments.count * 16)
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
    /// The longest command encoded in a stack buffer and appended at once.
    static let scratchLimit = 1024

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
