/// An error reply of the server (`-WRONGTYPE Operation against a key holding the wrong kind of
/// value`): the command failed, the connection is fine.
///
/// ``RedisConnection/send(_:timeout:)-([String],_)`` throws it for a top-level error reply; the
/// next commands on the same connection are unaffected.
public struct RedisServerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The whole error text, e.g. `WRONGTYPE Operation against a key holding the wrong kind of value`.
    public var message: String

    /// Wraps the error text of a `-` or `!` reply.
    public init(message: String) { self.message = message }

    /// The error's code: its first word by Redis convention (`ERR`, `WRONGTYPE`, `NOSCRIPT`, `MOVED`).
    public var code: String {
        String(message.prefix { $0 != " " })
    }

    /// The message as the server sent it.
    public var description: String { message }
}

/// A failure of the client or of the connection, as opposed to an error reply of the server
/// (``RedisServerError``).
///
/// Every command in flight when a connection drops fails with one of these (``Kind/connectionLost``),
/// naming the command; what it did on the server is unknown.
public struct RedisError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public enum Kind: Sendable, Hashable {
        /// The connection dropped (reset, closed by the server, killed with `CLIENT KILL`, the server
        /// died) before the reply arrived; the command may or may not have run.
        case connectionLost
        /// The connection was closed by this side (``RedisConnection/close()``, ``RedisPool/close()``)
        /// before the reply arrived, or the command was sent after that.
        case closed
        /// No reply within the command's timeout. The connection stays usable: the late reply is
        /// read and dropped when it comes, so the replies after it still reach the right commands.
        case timedOut
        /// The server sent bytes that are not RESP, or a reply nobody asked for; the connection is
        /// closed.
        case protocolViolation
        /// The reply has a kind the convenience method cannot turn into its result type
        /// (e.g. ``RedisCommands/get(_:)`` given an array).
        case unexpectedReply
    }

    /// What went wrong.
    public var kind: Kind
    /// The command concerned (its name, e.g. `GET`), when there is one.
    public var command: String?
    /// A sentence for people.
    public var message: String

    /// An error of `kind` about `command`.
    public init(_ kind: Kind, command: String? = nil, message: String) {
        self.kind = kind
        self.command = command
        self.message = message
    }

    /// The message, prefixed with the command.
    public var description: String {
        command.map { "\($0): \(message)" } ?? message
    }
}
