/// The bytes of a command argument: what ``RedisConnection`` writes as one RESP bulk string.
protocol RESPArgument {
    /// The byte count and the bytes, appended to `buffer` by `appendRESPBulk`.
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
    mutating func appendRESPCommand<Argument: RESPArgument>(_ arguments: [Argument]) {
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

/// The name of a command for errors: its first argument as sent (upper-cased only when an error names
/// it, so that the hot path allocates nothing for names of up to 15 bytes).
func commandName<Argument: RESPArgument>(_ arguments: [Argument]) -> String {
    if let name = arguments.first as? String { return name }
    return arguments.first?.withRESPBytes { String(decoding: $0.prefix(32), as: UTF8.self) } ?? ""
}
