#if canImport(Glibc)
import Glibc
#endif

/// A server listening on every loop of an ``EventLoopGroup``: one ``StreamServer`` per loop, all on
/// the same port (`SO_REUSEPORT`) or the same adopted socket, each accepting and serving its
/// connections on its own loop thread. Made by ``EventLoopGroup/startServer(host:port:backlog:limit:timeouts:_:)``
/// and the group's other `startServer`/`createServer` functions.
///
/// Why `SO_REUSEPORT` and not one acceptor handing connections out: with a listening socket per loop
/// the kernel spreads incoming connections over the loops (by a hash of the connection's addresses)
/// and each loop accepts on its own thread, so no connection crosses threads and nothing is locked or
/// handed off; one acceptor would cost every connection a cross-thread wake-up and make the acceptor's
/// loop the bottleneck. (The spread is per connection: a few long-lived connections may land on one
/// loop.)
///
/// Thread-safe: every member may be used from any thread, a loop of the group included; calls reach
/// each loop through its thread-safe inbox. Each element of ``servers`` stays confined to its loop.
/// The group's ``EventLoopGroup/shutdown(gracePeriod:)-git1`` shuts every one of them down
/// gracefully, as ``shutdown(gracePeriod:)``.
public final class GroupServer: Sendable, CustomStringConvertible {
    /// The servers, one per loop of the group and in the group's order; each is confined to its loop
    /// (use it from that loop's thread, e.g. `loop.runCoroutineThreadsafe { server.connectionCount }`).
    public let servers: [StreamServer]
    /// The bound TCP address (with the real port when the group was asked for port 0); nil for a
    /// Unix-domain socket.
    public let address: SocketAddress?

    init(servers: [StreamServer], address: SocketAddress?) {
        self.servers = servers
        self.address = address
    }

    private func onEveryLoop(_ body: @escaping @Sendable (StreamServer) -> Void) {
        for server in servers { _ = try? server.loop.callSoonThreadsafe { body(server) } }
    }

    /// Runs `body` on every server's loop and waits for all of them; a loop already closed is skipped
    /// (its server is gone with it).
    private func awaitEveryLoop(_ body: @escaping @Sendable (StreamServer) async throws -> Void) async throws {
        let futures = servers.compactMap { server in try? server.loop.runCoroutineThreadsafe { try await body(server) } }
        try await withTaskCancellationHandler {
            for future in futures { try await future.value }
        } onCancel: {
            for future in futures { future.cancel() }
        }
    }

    /// Stops listening on every loop (``StreamServer/close()``), without waiting; connections go on.
    public func close() { onEveryLoop { $0.close() } }

    /// Closes every connection on every loop (``StreamServer/closeClients()``), without waiting.
    public func closeClients() { onEveryLoop { $0.closeClients() } }

    /// Aborts every connection on every loop (``StreamServer/abortClients()``), without waiting.
    public func abortClients() { onEveryLoop { $0.abortClients() } }

    /// Shuts the server down gracefully on every loop at once (``StreamServer/shutdown(gracePeriod:)``)
    /// and returns when all are done: within about `gracePeriod`.
    public func shutdown(gracePeriod: Duration) async {
        try? await awaitEveryLoop { await $0.shutdown(gracePeriod: gracePeriod) }
    }

    /// Waits until every loop's server is closed and its connections are gone.
    /// - Throws: ``CancelledError`` if the waiting task is cancelled.
    public func waitClosed() async throws {
        try await awaitEveryLoop { try await $0.waitClosed() }
    }

    /// Serves until every loop's server is closed and its connections are gone (after ``close()``,
    /// ``shutdown(gracePeriod:)`` or the group's shutdown). Cancelling the calling task stops listening
    /// everywhere and throws ``CancelledError``.
    public func serveForever() async throws {
        try await awaitEveryLoop { try await $0.serveForever() }
    }

    /// The open connections of each loop's server, in the group's order (0 for a closed loop).
    public func connectionCounts() async -> [Int] {
        var counts: [Int] = []
        for server in servers {
            let count = try? await server.loop.runCoroutineThreadsafe { server.connectionCount }.value
            counts.append(count ?? 0)
        }
        return counts
    }

    /// A description for logs and debugging.
    public var description: String {
        "GroupServer(\(address.map(\.description) ?? "unix"), loops: \(servers.count))"
    }
}

extension EventLoopGroup {
    /// Starts a TCP server on every loop of the group, all listening on `host`:`port` with
    /// `SO_REUSEPORT` (why: see ``GroupServer``), with the loop's
    /// ``EventLoop/startServer(host:port:backlog:reusePort:limit:timeouts:_:)`` parameters; port 0
    /// picks a free port for all (read ``GroupServer/address``). Each connection's handler runs on the
    /// loop that accepted it, so it must be `@Sendable`.
    ///
    /// Blocks the calling thread until every loop listens (one trip to each loop); on one of the
    /// group's loops, that loop's server is made in place. If a loop fails, the servers already
    /// started are closed and the error is thrown.
    /// - Throws: ``IOError`` (`bind`: e.g. `EADDRINUSE`, also when the port is taken by a socket without
    ///   `SO_REUSEPORT`); ``EventLoopError/closed`` once the group is shut down.
    public func startServer(
        host: String = "127.0.0.1", port: Int, backlog: Int = 128, limit: Int = 64 * 1024,
        timeouts: ConnectionTimeouts = .none,
        _ handler: @escaping @Sendable (StreamReader, StreamWriter) async throws -> Void
    ) throws -> GroupServer {
        try startOnEveryLoop(port: port) { loop, _, port in
            try loop.startServer(host: host, port: port, backlog: backlog, reusePort: true, limit: limit,
                                 timeouts: timeouts, handler)
        }
    }

    /// Starts a protocol-API TCP server on every loop of the group, as
    /// ``startServer(host:port:backlog:limit:timeouts:_:)`` (each protocol lives on the loop that
    /// accepted its connection).
    /// - Throws: ``IOError`` (`bind`); ``EventLoopError/closed`` once the group is shut down.
    public func createServer(
        host: String = "127.0.0.1", port: Int, backlog: Int = 128, timeouts: ConnectionTimeouts = .none,
        _ protocolFactory: @escaping @Sendable () -> any StreamProtocol
    ) throws -> GroupServer {
        try startOnEveryLoop(port: port) { loop, _, port in
            try loop.createServer(host: host, port: port, backlog: backlog, reusePort: true, timeouts: timeouts,
                                  protocolFactory)
        }
    }

    /// Serves an already-bound socket (systemd socket activation, a process manager's) on every loop
    /// of the group: the first loop adopts `socket`, each other loop a duplicate of it (`dup`), and the
    /// loops take turns accepting from the one queue. Ownership as
    /// ``EventLoop/startServer(socket:backlog:limit:timeouts:_:)``: checks that fail leave the
    /// descriptor alone; past them the servers own it (and the duplicates).
    /// - Throws: ``IOError`` (`adopt`, `dup`, `listen`); ``EventLoopError/closed``.
    public func startServer(
        socket: Int32, backlog: Int = 128, limit: Int = 64 * 1024, timeouts: ConnectionTimeouts = .none,
        _ handler: @escaping @Sendable (StreamReader, StreamWriter) async throws -> Void
    ) throws -> GroupServer {
        try startOnEveryLoop(adopting: socket) { loop, fd in
            try loop.startServer(socket: fd, backlog: backlog, limit: limit, timeouts: timeouts, handler)
        }
    }

    /// ``startServer(socket:backlog:limit:timeouts:_:)`` in the protocol API.
    /// - Throws: ``IOError`` (`adopt`, `dup`, `listen`); ``EventLoopError/closed``.
    public func createServer(
        socket: Int32, backlog: Int = 128, timeouts: ConnectionTimeouts = .none,
        _ protocolFactory: @escaping @Sendable () -> any StreamProtocol
    ) throws -> GroupServer {
        try startOnEveryLoop(adopting: socket) { loop, fd in
            try loop.createServer(socket: fd, backlog: backlog, timeouts: timeouts, protocolFactory)
        }
    }

    /// Makes a server on each loop in turn with `make(loop, index, port)`; the port the first one bound
    /// (for port 0) is given to the others. On a failure, closes those already made and rethrows.
    private func startOnEveryLoop(
        port: Int, _ make: @escaping @Sendable (EventLoop, Int, Int) throws -> StreamServer
    ) throws -> GroupServer {
        var servers: [StreamServer] = []
        var address: SocketAddress?
        do {
            for (index, loop) in loops.enumerated() {
                let port = address?.port ?? port
                let (server, bound) = try onLoop(loop) { () throws -> (StreamServer, SocketAddress?) in
                    let server = try make(loop, index, port)
                    return (server, server.address)
                }
                servers.append(server)
                if address == nil { address = bound }
            }
        } catch {
            GroupServer(servers: servers, address: nil).close()
            throw error
        }
        return GroupServer(servers: servers, address: address)
    }

    /// Adopts `fd` on the first loop and a duplicate of it on each other one (made on that loop).
    private func startOnEveryLoop(
        adopting fd: Int32, _ make: @escaping @Sendable (EventLoop, Int32) throws -> StreamServer
    ) throws -> GroupServer {
        _ = try ListeningSocket.kind(of: fd)  // fails before anything owns the descriptor
        if isShuttingDown { throw EventLoopError.closed }
        var servers: [StreamServer] = []
        var address: SocketAddress?
        do {
            for (index, loop) in loops.enumerated() {
                let (server, bound) = try onLoop(loop) { () throws -> (StreamServer, SocketAddress?) in
                    var descriptor = fd
                    if index > 0 {
                        descriptor = dup(fd)
                        if descriptor < 0 { throw IOError("dup", "socket \(fd)", status: -errno) }
                    }
                    // Checked already and on its running loop: from here a failure closes the descriptor.
                    let server = try make(loop, descriptor)
                    return (server, server.address)
                }
                servers.append(server)
                if index == 0 { address = bound }
            }
        } catch {
            GroupServer(servers: servers, address: nil).close()  // the first one closes `fd`
            throw error
        }
        return GroupServer(servers: servers, address: address)
    }

    /// Runs `body` on `loop`'s thread and returns its result: in place on that thread, else through
    /// the loop's inbox, blocking until it is done.
    private func onLoop<T: Sendable>(_ loop: EventLoop, _ body: @escaping @Sendable () throws -> T) throws -> T {
        if loop.isOnLoopThread { return try body() }
        return try loop.runCoroutineThreadsafe { try body() }.result()
    }
}
