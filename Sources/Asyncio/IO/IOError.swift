import CLibUV

/// A system or libuv operation failed: the operation, what it was applied to (an address, a path, a
/// socket), and the error's ``Code`` (`ECONNREFUSED`, `EADDRINUSE`, `ENOENT`...).
///
/// The one error type for system errors: compare its typed code,
/// `catch let error as IOError where error.code == .ECONNRESET`.
public struct IOError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A system error code: libuv's negative status (`uv_errno_t`), which on Unix is `-errno` for the
    /// errno codes, plus libuv's own (``EOF``) and the name-resolution codes (`EAI_*`).
    ///
    /// The static members carry the POSIX names that libuv's documentation and `errno(3)` use, so
    /// `error.code == .EPIPE` reads as the man page does. A code without a static member is still a
    /// code: `IOError.Code(errno: EILSEQ)`, or `Code(rawValue:)` with libuv's status. ``name`` is
    /// libuv's name for it, for messages; interpolating a code prints that name.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// libuv's status: negative (on Unix, `-errno` for an errno code).
        public var rawValue: Int32

        /// The code of a libuv status (a negative number, as libuv functions return).
        public init(rawValue: Int32) { self.rawValue = rawValue }

        /// The code of an `errno` value (positive, as `errno` holds it).
        public init(errno: Int32) { rawValue = -errno }

        /// libuv's name for the code, like `ECONNREFUSED` (`Unknown system error n` for a code libuv
        /// does not know).
        public var name: String {
            withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buffer in
                String(cString: uv_err_name_r(rawValue, buffer.baseAddress, buffer.count))
            }
        }

        /// The human-readable message for the code, like `connection refused`.
        public var message: String {
            withUnsafeTemporaryAllocation(of: CChar.self, capacity: 128) { buffer in
                String(cString: uv_strerror_r(rawValue, buffer.baseAddress, buffer.count))
            }
        }

        /// The code's ``name``.
        public var description: String { name }

    /// `EPIPE`: writing to a connection the peer closed.
    public static let EPIPE = Code(rawValue: UV_EPIPE.rawValue)
    /// `ECONNRESET`: the peer reset the connection.
    public static let ECONNRESET = Code(rawValue: UV_ECONNRESET.rawValue)
    /// `ECONNREFUSED`: nothing listens at the address connected to.
    public static let ECONNREFUSED = Code(rawValue: UV_ECONNREFUSED.rawValue)
    /// `ECONNABORTED`: the connection was aborted.
    public static let ECONNABORTED = Code(rawValue: UV_ECONNABORTED.rawValue)
    /// `EADDRINUSE`: the address is already in use.
    public static let EADDRINUSE = Code(rawValue: UV_EADDRINUSE.rawValue)
    /// `EADDRNOTAVAIL`: the address is not available on this host.
    public static let EADDRNOTAVAIL = Code(rawValue: UV_EADDRNOTAVAIL.rawValue)
    /// `ETIMEDOUT`: the operation timed out in the kernel (a TCP connect, for example).
    public static let ETIMEDOUT = Code(rawValue: UV_ETIMEDOUT.rawValue)
    /// `EHOSTUNREACH`: no route to the host.
    public static let EHOSTUNREACH = Code(rawValue: UV_EHOSTUNREACH.rawValue)
    /// `ENETUNREACH`: the network is unreachable.
    public static let ENETUNREACH = Code(rawValue: UV_ENETUNREACH.rawValue)
    /// `ENOTCONN`: the socket is not connected.
    public static let ENOTCONN = Code(rawValue: UV_ENOTCONN.rawValue)
    /// `EMFILE`: the process has too many open files.
    public static let EMFILE = Code(rawValue: UV_EMFILE.rawValue)
    /// `ENFILE`: the system has too many open files.
    public static let ENFILE = Code(rawValue: UV_ENFILE.rawValue)
    /// `ENOENT`: no such file or directory (also: a program to spawn that does not exist).
    public static let ENOENT = Code(rawValue: UV_ENOENT.rawValue)
    /// `EEXIST`: the file exists.
    public static let EEXIST = Code(rawValue: UV_EEXIST.rawValue)
    /// `ENOTDIR`: a path component is not a directory.
    public static let ENOTDIR = Code(rawValue: UV_ENOTDIR.rawValue)
    /// `EISDIR`: the path is a directory.
    public static let EISDIR = Code(rawValue: UV_EISDIR.rawValue)
    /// `ENOTEMPTY`: the directory is not empty.
    public static let ENOTEMPTY = Code(rawValue: UV_ENOTEMPTY.rawValue)
    /// `ENOSPC`: no space left on the device.
    public static let ENOSPC = Code(rawValue: UV_ENOSPC.rawValue)
    /// `EACCES`: permission denied.
    public static let EACCES = Code(rawValue: UV_EACCES.rawValue)
    /// `EPERM`: operation not permitted.
    public static let EPERM = Code(rawValue: UV_EPERM.rawValue)
    /// `EINVAL`: an invalid argument.
    public static let EINVAL = Code(rawValue: UV_EINVAL.rawValue)
    /// `EBADF`: a bad file descriptor (a file or handle already closed).
    public static let EBADF = Code(rawValue: UV_EBADF.rawValue)
    /// `EAGAIN`: the resource is temporarily unavailable.
    public static let EAGAIN = Code(rawValue: UV_EAGAIN.rawValue)
    /// `EBUSY`: the resource is busy.
    public static let EBUSY = Code(rawValue: UV_EBUSY.rawValue)
    /// `ECANCELED`: the operation was cancelled (a request cancelled by closing its handle).
    public static let ECANCELED = Code(rawValue: UV_ECANCELED.rawValue)
    /// `ESRCH`: no such process.
    public static let ESRCH = Code(rawValue: UV_ESRCH.rawValue)
    /// `EOF`: the end of the stream (libuv's `UV_EOF`, not an errno).
    public static let EOF = Code(rawValue: UV_EOF.rawValue)
    /// `EAI_NONAME`: name resolution: the host or service is unknown.
    public static let EAI_NONAME = Code(rawValue: UV_EAI_NONAME.rawValue)
    /// `EAI_AGAIN`: name resolution: a temporary failure.
    public static let EAI_AGAIN = Code(rawValue: UV_EAI_AGAIN.rawValue)
    /// `EAI_BADFLAGS`: name resolution: invalid flags.
    public static let EAI_BADFLAGS = Code(rawValue: UV_EAI_BADFLAGS.rawValue)
    }

    /// The operation ("connect", "bind", "read", "write", "getaddrinfo", "open", "uv_loop_init"...).
    public var operation: String
    /// The address or path involved (empty when there is none).
    public var target: String
    /// The error code: compare it with the static members, `error.code == .ECONNREFUSED`.
    public var code: Code
    /// The human-readable message.
    public var message: String

    /// An error of `operation` on `target` with `code` (its message is the code's).
    public init(operation: String, target: String = "", code: Code) {
        self.operation = operation
        self.target = target
        self.code = code
        message = code.message
    }

    /// An error from a negative libuv status (`-errno` for a system call's failure).
    init(_ operation: String, _ target: String, status: Int32) {
        self.init(operation: operation, target: target, code: Code(rawValue: status))
    }

    /// `operation target: NAME (message)`.
    public var description: String {
        target.isEmpty ? "\(operation): \(code.name) (\(message))" : "\(operation) \(target): \(code.name) (\(message))"
    }
}

/// `readExactly` or `readUntil` reached the end of the stream first (asyncio's
/// `IncompleteReadError`); `partial` holds what was read.
public struct IncompleteReadError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The bytes read before the end of the stream.
    public var partial: [UInt8]
    /// How many bytes were expected (nil for `readUntil`).
    public var expected: Int?
    /// The error's message.
    public var description: String {
        "\(partial.count) bytes read on a total of \(expected.map(String.init) ?? "undefined") expected bytes"
    }
}

/// `readUntil` found no separator within the reader's limit (asyncio's `LimitOverrunError`).
public struct LimitOverrunError: Error, Equatable, Sendable, CustomStringConvertible {
    /// How many bytes were buffered when the limit was hit.
    public var consumed: Int
    /// The error's message.
    public var description: String { "Separator is not found, and chunk exceed the limit (\(consumed) bytes)" }
}

/// Writing to a stream that was closed, or whose connection was lost.
public struct StreamClosedError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Creates the error.
    public init() {}
    /// The error's message.
    public var description: String { "the stream is closed" }
}
