import Asyncio

/// A small pool of ``RedisConnection``s to one server: each command goes to the least busy
/// connection (fewest replies awaited), and a connection that dropped is replaced, lazily, by a new
/// one for new commands — so a pool of size 1 is a reconnecting client.
///
/// Connections are opened on demand, up to ``size``: a new one only when every open one is busy.
/// The commands in flight on a connection that drops fail with ``RedisError/Kind/connectionLost``
/// (they may or may not have run, so the pool never retries them); the next commands connect anew.
///
/// ```swift
/// let pool = try RedisPool(host: "127.0.0.1", port: 6379, size: 4)
/// async let a = pool.incr("hits")
/// async let b = pool.get("greeting")
/// print(try await a, try await b)
/// pool.close()
/// ```
///
/// Loop-confined, like its connections: every public member checks that it runs on the loop's
/// thread, hence `@unchecked Sendable`.
public final class RedisPool: RedisCommands, @unchecked Sendable {
    /// The loop the pool and its connections belong to.
    public let loop: EventLoop
    /// The server's host.
    public let host: String
    /// The server's port.
    public let port: Int
    /// The most connections the pool opens.
    public let size: Int
    /// The configuration of every connection.
    public let configuration: RedisConfiguration

    private enum Slot {
        case empty
        /// Being connected; the event is set when that is over (either way).
        case connecting(Event)
        case open(RedisConnection)
    }

    private var slots: [Slot]
    private var closed = false
    /// Where the search for the least busy connection starts: rotates, so that idle connections share
    /// the work (round robin among equals).
    private var start = 0

    /// A pool of at most `size` connections to `host`:`port`; none is opened before the first command.
    /// - Parameters:
    ///   - host: the server's host name or address.
    ///   - port: the server's port.
    ///   - size: the most connections to open (at least 1).
    ///   - configuration: the configuration of every connection.
    ///   - loop: the loop to live on; nil means the loop running on this thread.
    /// - Throws: `EventLoopError.noRunningLoop` without a loop.
    public init(
        host: String = "127.0.0.1", port: Int = 6379, size: Int = 4,
        configuration: RedisConfiguration = RedisConfiguration(), loop: EventLoop? = nil
    ) throws {
        precondition(size > 0, "RedisPool: size must be at least 1")
        let loop = try loop ?? EventLoop.running()
        loop.preconditionOnLoopThread("RedisPool.init")
        self.loop = loop
        self.host = host
        self.port = port
        self.size = size
        self.configuration = configuration
        slots = Array(repeating: .empty, count: size)
    }

    /// How many connections are open now.
    public var openConnectionCount: Int {
        loop.preconditionOnLoopThread("RedisPool.openConnectionCount")
        return slots.count { if case .open(let connection) = $0 { connection.isOpen } else { false } }
    }

    /// The least busy open connection, or a new one when every open connection is busy and the
    /// pool has room. Use it for a command that must reach one particular connection
    /// (`CLIENT ID`, a `WATCH` ... `EXEC` sequence); plain commands need not.
    /// - Throws: ``RedisError/Kind/closed`` after ``close()``; what ``RedisConnection/connect(host:port:configuration:loop:)``
    ///   throws when a new connection fails.
    nonisolated(nonsending) public func connection() async throws -> RedisConnection {
        loop.preconditionOnLoopThread("RedisPool.connection")
        while true {
            if closed { throw RedisError(.closed, message: "the pool was closed") }
            var best: RedisConnection?
            var free: Int?
            var connecting: Event?
            for offset in 0..<size {
                let index = (start + offset) % size
                switch slots[index] {
                case .open(let connection) where connection.isOpen:
                    if best == nil || connection.inFlightCount < best!.inFlightCount { best = connection }
                case .open, .empty:
                    slots[index] = .empty
                    if free == nil { free = index }
                case .connecting(let event):
                    if connecting == nil { connecting = event }
                }
            }
            start = (start + 1) % size
            if let best, best.inFlightCount == 0 || free == nil { return best }
            if let free { return try await connect(slot: free) }
            try await connecting!.wait()  // every slot is connecting: take the first that is done
        }
    }

    nonisolated(nonsending) private func connect(slot: Int) async throws -> RedisConnection {
        let done = Event()
        slots[slot] = .connecting(done)
        defer { done.set() }
        do {
            let connection = try await RedisConnection.connect(host: host, port: port, configuration: configuration, loop: loop)
            if closed {
                connection.close()
                slots[slot] = .empty
                throw RedisError(.closed, message: "the pool was closed")
            }
            slots[slot] = .open(connection)
            return connection
        } catch {
            slots[slot] = .empty
            throw error
        }
    }

    /// Sends one command on the least busy connection; see ``RedisConnection/send(_:timeout:)-([String],_)``.
    nonisolated(nonsending) public func send(_ arguments: [String], timeout: Duration? = nil) async throws -> RedisReply {
        loop.preconditionOnLoopThread("RedisPool.send")
        return try await connection().send(arguments, timeout: timeout)
    }

    /// Sends one command with byte arguments on the least busy connection.
    nonisolated(nonsending) public func send(_ arguments: [[UInt8]], timeout: Duration? = nil) async throws -> RedisReply {
        loop.preconditionOnLoopThread("RedisPool.send")
        return try await connection().send(arguments, timeout: timeout)
    }

    /// Sends a batch on one connection (the least busy); see ``RedisConnection/pipeline(_:timeout:)``.
    nonisolated(nonsending) public func pipeline(_ commands: [[String]], timeout: Duration? = nil) async throws -> [RedisReply] {
        loop.preconditionOnLoopThread("RedisPool.pipeline")
        return try await connection().pipeline(commands, timeout: timeout)
    }

    /// Opens a ``RedisSubscription`` on a dedicated connection (not one of the pool's), with the pool's
    /// configuration, subscribed to `channels` and `patterns`.
    nonisolated(nonsending) public func subscribe(channels: [String] = [], patterns: [String] = []) async throws -> RedisSubscription {
        loop.preconditionOnLoopThread("RedisPool.subscribe")
        if closed { throw RedisError(.closed, message: "the pool was closed") }
        return try await RedisSubscription.connect(
            host: host, port: port, configuration: configuration, channels: channels, patterns: patterns, loop: loop)
    }

    /// Closes every connection (their commands in flight fail with ``RedisError/Kind/closed``); later
    /// commands throw ``RedisError/Kind/closed``. Harmless if already closed.
    public func close() {
        loop.preconditionOnLoopThread("RedisPool.close")
        closed = true
        for index in slots.indices {
            if case .open(let connection) = slots[index] { connection.close() }
            if case .connecting = slots[index] { continue }  // closed by `connect` when it finishes
            slots[index] = .empty
        }
    }
}
