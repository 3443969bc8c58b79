/// How long a connection may wait before the loop ends it: what every server needs so that a peer
/// that stops half-way (a client that sends `GET / HT` and goes quiet) or never reads cannot hold a
/// connection forever. asyncio has no such option (uvloop neither); the meanings follow nginx's
/// `keepalive_timeout`, `client_body_timeout` and `send_timeout`.
///
/// Give them to a server (``EventLoop/startServer(host:port:backlog:reusePort:limit:timeouts:_:)``,
/// ``EventLoop/createServer(host:port:backlog:reusePort:timeouts:_:)``: every accepted connection gets
/// them), or set ``StreamTransport/timeouts`` on one connection (a protocol in
/// ``StreamProtocol/connectionMade(_:)``, a streams handler through ``StreamWriter/underlyingTransport``).
/// `nil` means no limit; the default is no limit at all, as in asyncio.
///
/// - ``idle``: the connection is *idle* — between messages (see ``StreamTransport/isIdle`` and
///   ``StreamProtocol/isIdle(_:)``) — for this long: it is closed, cleanly (a streams handler's read
///   returns the end of the stream; a protocol gets ``StreamProtocol/connectionLost(_:)`` with `nil`).
///   The keep-alive timeout.
/// - ``read``: the connection is *not* idle — a message has begun and has not been answered — and no
///   byte has arrived for this long while it waits for more (streams: a read is waiting; protocol: the
///   transport is reading). It is closed after flushing what was written; the waiting read throws
///   ``ConnectionTimeoutError`` (``ConnectionTimeoutError/Kind/read``), a protocol gets it in
///   ``StreamProtocol/connectionLost(_:)``. In the protocol API the transport cannot tell a request still
///   arriving from one being worked on: the time counts from the last byte received or written, so set
///   it above the longest time the protocol takes to start answering a request.
/// - ``write``: bytes wait to be written and none has been for this long (the peer stopped reading): the
///   connection is aborted (nothing more can be delivered); ``StreamWriter/drain()``, writes and
///   ``StreamWriter/waitClosed()`` throw ``ConnectionTimeoutError`` (``ConnectionTimeoutError/Kind/write``),
///   a protocol gets it in ``StreamProtocol/connectionLost(_:)``. It also bounds the flush of a
///   ``StreamTransport/close()``. Progress inside one large write is noticed when the timer fires, so a
///   write that stalls after some progress is aborted between one and two `write` periods after that
///   progress.
///
/// Cost: one loop timer per connection, re-armed lazily. A read or a write only stores the time; the
/// timer fires at the earliest moment a timeout could expire, re-checks, and either ends the connection
/// or re-arms itself for the new earliest moment — at most one timer event per connection per period
/// of the shortest timeout, whatever the traffic. Idle connections cost no more than busy ones.
public struct ConnectionTimeouts: Sendable, Hashable, CustomStringConvertible {
    /// How long a connection may stay idle (between messages) before it is closed; nil: forever.
    public var idle: Duration?
    /// How long a connection in the middle of a message may wait for its next byte; nil: forever.
    public var read: Duration?
    /// How long buffered writes may make no progress before the connection is aborted; nil: forever.
    public var write: Duration?

    /// Timeouts with the given limits (nil: none).
    public init(idle: Duration? = nil, read: Duration? = nil, write: Duration? = nil) {
        precondition([idle, read, write].allSatisfy { $0 == nil || $0! > .zero }, "connection timeouts must be positive")
        self.idle = idle
        self.read = read
        self.write = write
    }

    /// No timeouts (asyncio's behaviour, and the default).
    public static let none = ConnectionTimeouts()

    /// Whether no timeout is set.
    public var isNone: Bool { idle == nil && read == nil && write == nil }

    /// The timeouts that are set, for logs and debugging.
    public var description: String {
        let parts = [("idle", idle), ("read", read), ("write", write)].compactMap { name, value in value.map { "\(name): \($0)" } }
        return "ConnectionTimeouts(\(parts.isEmpty ? "none" : parts.joined(separator: ", ")))"
    }
}

/// A connection was ended by one of its ``ConnectionTimeouts``. A streams handler that ends with this
/// error (from its own connection) is not reported to the exception handler: the timeout did what it
/// was configured to do.
public struct ConnectionTimeoutError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Which timeout expired.
    public enum Kind: String, Sendable, Hashable {
        /// ``ConnectionTimeouts/read``: a message began and its next bytes did not come.
        case read
        /// ``ConnectionTimeouts/write``: the peer stopped taking what was written.
        case write
    }

    /// Which timeout expired.
    public var kind: Kind

    /// An error for the expiry of `kind`.
    public init(_ kind: Kind) { self.kind = kind }

    /// The error's message.
    public var description: String { "ConnectionTimeoutError(\(kind.rawValue))" }
}
