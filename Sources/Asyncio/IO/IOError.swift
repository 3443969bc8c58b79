import CLibUV

/// An I/O operation failed: the operation, what it was applied to (address or path), and libuv's
/// error name (`ECONNREFUSED`, `EADDRINUSE`, `ENOENT`...).
public struct IOError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The operation ("connect", "bind", "read", "write", "getaddrinfo", "open"...).
    public var operation: String
    /// The address or path involved.
    public var target: String
    /// libuv's error name, like `ECONNREFUSED`.
    public var code: String
    /// The human-readable message.
    public var message: String

    init(_ operation: String, _ target: String, status: Int32) {
        self.operation = operation
        self.target = target
        code = String(cString: uv_err_name(status))
        message = String(cString: uv_strerror(status))
    }

    public var description: String { "\(operation) \(target): \(code) (\(message))" }
}

/// `readExactly` or `readUntil` reached the end of the stream first (asyncio's
/// `IncompleteReadError`); `partial` holds what was read.
public struct IncompleteReadError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The bytes read before the end of the stream.
    public var partial: [UInt8]
    /// How many bytes were expected (nil for `readUntil`).
    public var expected: Int?
    public var description: String {
        "\(partial.count) bytes read on a total of \(expected.map(String.init) ?? "undefined") expected bytes"
    }
}

/// `readUntil` found no separator within the reader's limit (asyncio's `LimitOverrunError`).
public struct LimitOverrunError: Error, Equatable, Sendable, CustomStringConvertible {
    /// How many bytes were buffered when the limit was hit.
    public var consumed: Int
    public var description: String { "Separator is not found, and chunk exceed the limit (\(consumed) bytes)" }
}

/// Writing to a stream that was closed, or whose connection was lost.
public struct StreamClosedError: Error, Equatable, Sendable, CustomStringConvertible {
    public init() {}
    public var description: String { "the stream is closed" }
}
