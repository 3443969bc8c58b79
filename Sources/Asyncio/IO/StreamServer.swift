import CLibUV
#if canImport(Glibc)
import Glibc
#endif

/// A listening TCP or Unix-domain server (asyncio's `Server`). In the streams API every accepted
/// connection runs the handler in a task of its own with a reader and a writer (the writer is closed
/// when the handler returns; a handler that throws ends only its own connection, and its error goes
/// to the loop's exception handler); in the protocol API each connection gets a new protocol object.
///
/// Ending it, as asyncio 3.12/3.13:
/// - ``close()`` stops listening; connections already accepted go on. ``waitClosed()`` and
///   ``serveForever()`` return once the server is closed and every connection is gone (streams: its
///   handler returned).
/// - ``closeClients()`` closes every connection (flushing what was written), ``abortClients()``
///   aborts them.
/// - ``shutdown(gracePeriod:)`` does all of it in order: stops listening, closes the idle connections
///   at once (between messages: see ``StreamTransport/isIdle`` and ``StreamProtocol/isIdle(_:)``),
///   closes each busy one as soon as it becomes idle, and aborts whatever is left when the grace
///   period ends — so ``serveForever()`` returns within the grace period. A server started on a loop
///   of an ``EventLoopGroup`` takes part in the group's graceful shutdown
///   (``EventLoopGroup/shutdown(gracePeriod:)-git1``, ``EventLoopGroup/shutdownOnTerminationSignals(gracePeriod:)``).
///
/// Loop-confined: every member checks that it runs on the loop thread (a call from another thread is
/// a precondition failure naming it), hence `@unchecked Sendable`.
public final class StreamServer: UVHandleOwner, LoopResource, @unchecked Sendable {
    /// What an accepted connection is handed to.
    enum Acceptor {
        case streams(limit: Int, (StreamReader, StreamWriter) async throws -> Void)
        case protocols(() -> any StreamProtocol)
    }

    /// An open connection: its transport and, in the streams API, its handler's task.
    private struct Connection {
        let transport: StreamTransport
        var task: LoopTask<Void>?
    }

    let loop: EventLoop
    /// The listening socket's libuv handle (it owns the descriptor: closing it closes the socket and,
    /// for a Unix path the server bound, removes the file).
    private let listener: UVHandle
    /// Watches the listening socket for connections to accept (`uv_poll`): the server accepts them
    /// itself (`accept4`) instead of libuv's `uv_listen`, which on `EMFILE` either drops the pending
    /// connections without telling anyone (its reserve-descriptor trick) or calls back in a tight loop.
    private var acceptWatcher: UVHandle?
    /// The listening socket (owned by ``listener``).
    private var listenFD: Int32 = -1
    /// While accepting is paused after running out of descriptors or memory: resumes it.
    private var acceptResumeTimer: TimerHandle?
    private var acceptErrors = 0
    private let isTCP: Bool
    private let acceptor: Acceptor
    private let timeouts: ConnectionTimeouts
    /// Open connections, by transport (streams: until the handler returns; protocols: until the
    /// transport is closed).
    private var connections: [ObjectIdentifier: Connection] = [:]
    private let closedWaiters = WaitList()
    private var closed = false
    /// Unregistered from the loop (closed, no connection left).
    private var finished = false
    /// The socket file of a Unix server (libuv removes it when the listening handle closes).
    fileprivate var socketPath: String?

    private init(loop: EventLoop, listener: UVHandle, isTCP: Bool, acceptor: Acceptor, timeouts: ConnectionTimeouts) {
        self.loop = loop
        self.listener = listener
        self.isTCP = isTCP
        self.acceptor = acceptor
        self.timeouts = timeouts
        listener.attach(self)
    }

    /// Binds with `bind` and listens; on failure the listening handle is closed (which removes a
    /// socket file it bound) before throwing. The server registers with the loop: closing the loop
    /// closes it, and the loop's graceful shutdown (a group's) shuts it down.
    static func listen(
        loop: EventLoop, handle: UVHandle, isTCP: Bool, acceptor: Acceptor, timeouts: ConnectionTimeouts,
        backlog: Int, target: String, bind: (StreamServer, UVHandle) throws -> Void
    ) throws -> StreamServer {
        let server = StreamServer(loop: loop, listener: handle, isTCP: isTCP, acceptor: acceptor, timeouts: timeouts)
        do {
            try bind(server, handle)
            var fd: uv_os_fd_t = -1
            let status = uv_fileno(handle.pointer.assumingMemoryBound(to: uv_handle_t.self), &fd)
            if status < 0 { throw IOError("listen", target, status: status) }
            if Glibc.listen(fd, Int32(clamping: backlog)) != 0 { throw IOError("listen", target, status: -errno) }
            server.listenFD = fd
            let watcher = try UVHandle("uv_poll_init", target, type: UV_POLL, loop: loop) { raw in
                uv_poll_init_socket(loop.uvLoop, raw.assumingMemoryBound(to: uv_poll_t.self), fd)
            }
            watcher.attach(server)
            server.acceptWatcher = watcher
            let started = server.startAccepting()
            if started < 0 { throw IOError("uv_poll_start", target, status: started) }
        } catch {
            server.acceptWatcher?.close()  // before the listener closes the descriptor it watches
            handle.close()
            throw error
        }
        loop.register(server)
        loop.registerForGracefulShutdown(server)
        return server
    }

    @inline(__always)
    private func check(_ what: @autoclosure () -> String) { loop.preconditionOnLoopThread(what()) }

    /// How many accepted connections are open (streams: whose handler has not returned).
    public var connectionCount: Int {
        check("StreamServer.connectionCount")
        return connections.count
    }

    /// The bound address (TCP), with the real port when bound to port 0; nil once closed.
    public var address: SocketAddress? {
        check("StreamServer.address")
        guard isTCP, listener.isOpen else { return nil }
        var storage = sockaddr_storage()
        var length = Int32(MemoryLayout<sockaddr_storage>.size)
        let status = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                uv_tcp_getsockname(listener.pointer.assumingMemoryBound(to: uv_tcp_t.self), $0, &length)
            }
        }
        return status == 0 ? SocketAddress(storage: storage) : nil
    }

    /// The open connections' transports (tests).
    var connectionTransports: [StreamTransport] { connections.values.map(\.transport) }

    /// Whether the server stopped listening.
    public var isClosed: Bool {
        check("StreamServer.isClosed")
        return closed
    }

    /// How many accepts failed since the server started (`EMFILE`, `ENFILE`, `ENOBUFS`, `ENOMEM`, a
    /// connection that failed before it was accepted...): each is also reported to the loop's
    /// exception handler. Running out of descriptors or memory pauses accepting for
    /// ``acceptRetryDelay`` (pending connections wait in the backlog), as uvloop, NIO and Go do,
    /// instead of retrying at once; the server serves again when descriptors free up.
    public var acceptErrorCount: Int {
        check("StreamServer.acceptErrorCount")
        return acceptErrors
    }

    /// How long accepting pauses after `EMFILE`, `ENFILE`, `ENOBUFS` or `ENOMEM` (100 ms).
    public static let acceptRetryDelay: Duration = .milliseconds(100)

    /// Whether accepting is paused after an accept error (tests).
    var isAcceptPaused: Bool { acceptResumeTimer != nil }

    /// Watches the listening socket; returns libuv's status.
    private func startAccepting() -> Int32 {
        guard let acceptWatcher, acceptWatcher.isOpen else { return 0 }
        return uv_poll_start(acceptWatcher.pointer.assumingMemoryBound(to: uv_poll_t.self), Int32(UV_READABLE.rawValue)) { raw, status, _ in
            UVHandle.owner(of: raw, as: StreamServer.self).acceptReady(status: status)
        }
    }

    /// The listening socket is readable: accepts every pending connection (as libuv does), until
    /// `EAGAIN`, an error that pauses accepting, or the server closes.
    private func acceptReady(status: Int32) {
        guard !closed else { return }
        if status < 0 {
            acceptFailed(IOError("accept", target, status: status))
            return pauseAccepting()
        }
        while !closed && acceptResumeTimer == nil {
            let fd = asyncio_accept(listenFD)
            if fd >= 0 {
                serve(fd)
                continue
            }
            let code = errno
            switch code {
            case EAGAIN, EWOULDBLOCK:
                return
            case EINTR, ECONNABORTED:
                continue  // nothing to report (libuv ignores an aborted connection too)
            case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                acceptFailed(IOError("accept", target, status: -code))
                return pauseAccepting()
            case ENETDOWN, EPROTO, ENOPROTOOPT, EHOSTDOWN, ENONET, EHOSTUNREACH, EOPNOTSUPP, ENETUNREACH, EPERM:
                // A connection that failed before it was accepted (Linux reports its error here):
                // the next one may well be fine.
                acceptFailed(IOError("accept", target, status: -code))
            default:
                // Unexpected (EBADF, EINVAL...): reported, and paused rather than spinning on it.
                acceptFailed(IOError("accept", target, status: -code))
                return pauseAccepting()
            }
        }
    }

    /// Stops watching the listening socket for ``acceptRetryDelay``.
    private func pauseAccepting() {
        guard acceptResumeTimer == nil, let acceptWatcher, acceptWatcher.isOpen else { return }
        _ = uv_poll_stop(acceptWatcher.pointer.assumingMemoryBound(to: uv_poll_t.self))  // cannot fail
        acceptResumeTimer = loop.scheduleTimer(at: loop.deadline(after: StreamServer.acceptRetryDelay.signedNanoseconds)) { [weak self] in
            self?.resumeAccepting()
        }
    }

    private func resumeAccepting() {
        acceptResumeTimer = nil
        guard !closed else { return }
        let status = startAccepting()
        if status < 0 {
            acceptFailed(IOError("uv_poll_start", target, status: status))
            pauseAccepting()
        }
    }

    /// Serves an accepted connection's socket `fd`: a transport adopts it, then the handler or
    /// the protocol takes over. On failure the socket is closed and the failure reported.
    private func serve(_ fd: Int32) {
        let client: StreamTransport
        do {
            client = isTCP ? try .tcp(on: loop) : try .pipe(on: loop)
        } catch {
            Glibc.close(fd)
            return acceptFailed(error)
        }
        let adopted = isTCP
            ? uv_tcp_open(client.handle.pointer.assumingMemoryBound(to: uv_tcp_t.self), fd)
            : uv_pipe_open(client.handle.pointer.assumingMemoryBound(to: uv_pipe_t.self), fd)
        do {
            if adopted < 0 {
                Glibc.close(fd)  // libuv did not take it
                throw IOError("accept", target, status: adopted)
            }
            try client.setNoDelay()
        } catch {
            client.closeNow()
            return acceptFailed(error)
        }
        if !timeouts.isNone { client.setTimeouts(timeouts) }
        let key = ObjectIdentifier(client)
        switch acceptor {
        case .streams(let limit, let handler):
            let reader = StreamReader(transport: client, limit: limit)
            let writer = StreamWriter(transport: client)
            let task: LoopTask<Void>
            do {
                task = try loop.createTask(name: "connection") { try await handler(reader, writer) }
            } catch {
                client.closeNow()
                return acceptFailed(error)
            }
            connections[key] = Connection(transport: client, task: task)
            task.addDoneCallback { [self] finished in
                // asyncio: "Unhandled exception in client_connected_cb"; the server goes on. A
                // connection's own timeout is not a failure of the handler.
                if let error = try? finished.error(), !(error is ConnectionTimeoutError) {
                    loop.report(ExceptionContext(
                        message: "Unhandled error in a connection handler", error: error, source: finished.description))
                }
                client.closeAfterFlush()
                connectionEnded(key)
            }
        case .protocols(let factory):
            let userProtocol = factory()
            connections[key] = Connection(transport: client, task: nil)
            client.onClosed = { [self] in connectionEnded(key) }
            client.userProtocol = userProtocol
            userProtocol.connectionMade(client)
            client.startReading()
        }
    }

    /// An accept that failed (`EMFILE`, `ENFILE`, `ENOMEM`...): counted, reported, and the server goes on.
    private func acceptFailed(_ error: any Error) {
        acceptErrors += 1
        loop.report(ExceptionContext(message: "Error accepting a connection", error: error, source: target))
    }

    private var target: String {
        socketPath ?? (isTCP ? "server" : "unix server")
    }

    private func connectionEnded(_ key: ObjectIdentifier) {
        connections[key] = nil
        if closed && connections.isEmpty {
            closedWaiters.wakeAll()
            finish()
        }
    }

    /// Closed with no connection left: the loop need not know the server any more.
    private func finish() {
        guard !finished else { return }
        finished = true
        loop.unregister(self)
        loop.unregisterFromGracefulShutdown(self)
    }

    /// Stops listening (asyncio's `close()`); connections already accepted go on. A Unix server's
    /// socket file is removed (libuv unlinks the path a pipe bound when it closes). Harmless if
    /// already closed.
    public func close() {
        check("StreamServer.close")
        stopListening()
    }

    /// Closes the listening socket: the watcher first (it must never watch a closed descriptor).
    private func closeListener() {
        acceptResumeTimer?.cancel()
        acceptResumeTimer = nil
        acceptWatcher?.close()
        listener.close()
    }

    private func stopListening() {
        guard !closed else { return }
        closed = true
        closeListener()
        if connections.isEmpty {
            closedWaiters.wakeAll()
            finish()
        }
    }

    /// Closes every open connection, as each transport's ``StreamTransport/close()`` (asyncio 3.13's
    /// `close_clients()`): what was written is delivered first; a streams handler's reads then see the
    /// end of the stream and its writes throw ``StreamClosedError``. Does not stop listening: connections
    /// accepted afterwards go on (call ``close()`` first).
    public func closeClients() {
        check("StreamServer.closeClients")
        for connection in Array(connections.values) { connection.transport.closeAfterFlush() }
    }

    /// Aborts every open connection, as each transport's ``StreamTransport/abort()`` (asyncio 3.13's
    /// `abort_clients()`): buffered writes are discarded, TCP peers get a reset. Unlike asyncio, whose
    /// server counts transports, this server counts streams handlers, so it also cancels every handler
    /// still running: with its connection gone it has nothing left to do, and ``waitClosed()`` can end.
    public func abortClients() {
        check("StreamServer.abortClients")
        abortAll()
    }

    private func abortAll() {
        for connection in Array(connections.values) {
            connection.transport.abortNow()
            connection.task?.cancel(message: "the server aborted its clients")
        }
    }

    /// Shuts the server down gracefully within `gracePeriod`, and returns once every connection is
    /// gone: stops listening (as ``close()``); closes the idle connections at once — a streams handler
    /// waiting for its next message sees the end of the stream — and every other one as soon as it
    /// becomes idle (its request answered); when the grace period ends, aborts what is left
    /// (``abortClients()``, which also cancels the handlers). A server of a group's loop is shut down
    /// this way by the group's ``EventLoopGroup/shutdown(gracePeriod:)-git1``.
    ///
    /// "Idle" is ``StreamTransport/isIdle`` (streams: the handler waits in a read with nothing buffered,
    /// and nothing arrived since its last write) or, in the protocol API, ``StreamProtocol/isIdle(_:)``.
    /// If the calling task is cancelled, what is left is aborted at once and this returns without
    /// waiting.
    nonisolated(nonsending) public func shutdown(gracePeriod: Duration) async {
        check("StreamServer.shutdown")
        stopListening()
        for connection in Array(connections.values) { connection.transport.closeWhenIdle() }
        guard !isFullyClosed else { return }
        let deadline = loop.scheduleTimer(at: loop.deadline(after: gracePeriod.signedNanoseconds)) { [weak self] in
            self?.abortAll()
        }
        defer { deadline.cancel() }
        do {
            while !isFullyClosed { try await closedWaiters.wait(on: loop, "StreamServer.shutdown") }
        } catch {
            abortAll()
        }
    }

    private var isFullyClosed: Bool {
        closed && connections.isEmpty && listener.state == .closed && (acceptWatcher?.state ?? .closed) == .closed
    }

    func handleDidClose(_ handle: UVHandle) { closedWaiters.wakeAll() }

    /// Waits until the server is closed and every connection is gone (asyncio 3.12's
    /// `wait_closed()`): streams handlers have returned, protocol connections have closed.
    nonisolated(nonsending) public func waitClosed() async throws {
        check("StreamServer.waitClosed")
        while !isFullyClosed {
            try await closedWaiters.wait(on: loop, "StreamServer.waitClosed")
        }
    }

    /// Serves until the server is closed and its connections are gone (asyncio 3.12's `serve_forever()`:
    /// after ``close()`` it returns once ``waitClosed()`` would, so ``shutdown(gracePeriod:)`` ends it
    /// within the grace period). Cancelling the calling task stops listening and throws at once,
    /// leaving the open connections to go on.
    nonisolated(nonsending) public func serveForever() async throws {
        check("StreamServer.serveForever")
        do {
            while !isFullyClosed { try await closedWaiters.wait(on: loop, "StreamServer.serveForever") }
        } catch {
            stopListening()
            throw error
        }
    }

    func closeForLoopShutdown() {
        closed = true
        finished = true
        loop.unregisterFromGracefulShutdown(self)
        closeListener()
        for connection in connections.values { connection.task?.cancel() }
    }
}

extension StreamServer: GracefulShutdown {}

/// Clears the way for a Unix server at `path`: a socket file there is a leftover (a server that died
/// without removing it) and is removed, as asyncio's `start_unix_server` does; anything else there
/// (a regular file, a directory) is left untouched and refused.
/// - Throws: ``IOError`` (`bind`, `EADDRINUSE`) when something that is not a socket is at `path`;
///   (`unlink`) when the stale socket cannot be removed.
private func removeStaleSocket(at path: String) throws {
    var info = stat()
    guard lstat(path, &info) == 0 else { return }
    guard info.st_mode & S_IFMT == S_IFSOCK else {
        throw IOError("bind", "\(path) (exists and is not a socket)", status: UV_EADDRINUSE.rawValue)
    }
    if unlink(path) != 0 && errno != ENOENT { throw IOError("unlink", path, status: -errno) }
}

extension EventLoop {
    /// Starts a TCP server on `host`:`port` (port 0 picks a free port: read ``StreamServer/address``)
    /// whose handler gets a reader and a writer for each connection (asyncio's `start_server`).
    /// An error thrown by the handler ends its connection and goes to the loop's exception handler.
    /// - Parameters:
    ///   - host: the numeric address to listen on ("127.0.0.1", "0.0.0.0" for every IPv4 interface, "::").
    ///   - port: the port; 0 picks a free one.
    ///   - backlog: the most connections the kernel queues before they are accepted (`listen`'s).
    ///   - reusePort: set `SO_REUSEPORT`, so that other sockets (other loops, other processes) may
    ///     listen on the same port and the kernel spreads the connections among them.
    ///   - limit: each reader's ``StreamReader/limit`` (asyncio's `limit`, 64 KiB): the longest line or
    ///     `readUntil` chunk; reading pauses above twice as many buffered bytes.
    ///   - timeouts: every connection's ``ConnectionTimeouts`` (none by default, as asyncio).
    ///   - handler: runs once per connection, as a task of its own; the writer is closed when it returns.
    /// - Throws: ``IOError`` (`bind`, e.g. `EADDRINUSE`; `address` for a bad host; `socket`, e.g. `EMFILE`).
    public func startServer(
        host: String = "127.0.0.1", port: Int, backlog: Int = 128, reusePort: Bool = false, limit: Int = 64 * 1024,
        timeouts: ConnectionTimeouts = .none,
        _ handler: @escaping (StreamReader, StreamWriter) async throws -> Void
    ) throws -> StreamServer {
        try checkUsable("EventLoop.startServer")
        return try listenTCP(host: host, port: port, backlog: backlog, reusePort: reusePort, timeouts: timeouts,
                             .streams(limit: limit, handler))
    }

    /// Starts a TCP server in the protocol API (asyncio's `loop.create_server`): each accepted
    /// connection gets a new protocol from `protocolFactory`, driven from libuv's callbacks with no
    /// task per connection. `backlog`, `reusePort` and `timeouts` are
    /// ``startServer(host:port:backlog:reusePort:limit:timeouts:_:)``'s.
    /// - Throws: ``IOError`` (`bind`, e.g. `EADDRINUSE`; `address` for a bad host; `socket`, e.g. `EMFILE`).
    public func createServer(
        host: String = "127.0.0.1", port: Int, backlog: Int = 128, reusePort: Bool = false,
        timeouts: ConnectionTimeouts = .none,
        _ protocolFactory: @escaping () -> any StreamProtocol
    ) throws -> StreamServer {
        try checkUsable("EventLoop.createServer")
        return try listenTCP(host: host, port: port, backlog: backlog, reusePort: reusePort, timeouts: timeouts,
                             .protocols(protocolFactory))
    }

    /// Starts a Unix-domain socket server at `path` (asyncio's `start_unix_server`). A socket file
    /// left at `path` by a server that is gone is replaced; the file is removed when the server closes.
    /// `limit` and `timeouts` are ``startServer(host:port:backlog:reusePort:limit:timeouts:_:)``'s.
    /// - Throws: ``IOError`` (`bind`, `EADDRINUSE`) when a file that is not a socket is at `path` (it
    ///   is left untouched).
    public func startUnixServer(
        path: String, backlog: Int = 128, limit: Int = 64 * 1024, timeouts: ConnectionTimeouts = .none,
        _ handler: @escaping (StreamReader, StreamWriter) async throws -> Void
    ) throws -> StreamServer {
        try checkUsable("EventLoop.startUnixServer")
        return try listenUnix(path: path, backlog: backlog, timeouts: timeouts, .streams(limit: limit, handler))
    }

    /// Starts a Unix-domain socket server in the protocol API (asyncio's `loop.create_unix_server`),
    /// with the socket-file handling of ``startUnixServer(path:backlog:limit:timeouts:_:)``.
    public func createUnixServer(
        path: String, backlog: Int = 128, timeouts: ConnectionTimeouts = .none,
        _ protocolFactory: @escaping () -> any StreamProtocol
    ) throws -> StreamServer {
        try checkUsable("EventLoop.createUnixServer")
        return try listenUnix(path: path, backlog: backlog, timeouts: timeouts, .protocols(protocolFactory))
    }

    /// Starts a server on a socket that is already bound (asyncio's `start_server(sock=...)`): how
    /// systemd socket activation (`LISTEN_FDS`, descriptors from 3 on) and process managers hand a port
    /// to a server, and how several processes can serve one port from one inherited socket. A TCP
    /// (IPv4 or IPv6) or Unix-domain stream socket, listening already or not (the server listens with
    /// `backlog`).
    ///
    /// The descriptor is checked first (a socket, a stream, a family libuv serves); if those checks
    /// fail this throws and leaves it alone. Past them the server owns it: it is closed when the server
    /// closes, or when a later step (`listen`) fails. A Unix socket's file is not removed on close (the
    /// server did not create it).
    /// - Throws: ``IOError`` (`adopt`: `ENOTSOCK`, `EBADF`, `EINVAL`; `listen`).
    public func startServer(
        socket: Int32, backlog: Int = 128, limit: Int = 64 * 1024, timeouts: ConnectionTimeouts = .none,
        _ handler: @escaping (StreamReader, StreamWriter) async throws -> Void
    ) throws -> StreamServer {
        try checkUsable("EventLoop.startServer")
        return try listen(adopting: socket, kind: ListeningSocket.kind(of: socket), backlog: backlog, timeouts: timeouts,
                          .streams(limit: limit, handler))
    }

    /// Starts a protocol-API server on a socket that is already bound (asyncio's
    /// `create_server(sock=...)`), owned as ``startServer(socket:backlog:limit:timeouts:_:)`` says.
    /// - Throws: ``IOError`` (`adopt`: `ENOTSOCK`, `EBADF`, `EINVAL`; `listen`).
    public func createServer(
        socket: Int32, backlog: Int = 128, timeouts: ConnectionTimeouts = .none,
        _ protocolFactory: @escaping () -> any StreamProtocol
    ) throws -> StreamServer {
        try checkUsable("EventLoop.createServer")
        return try listen(adopting: socket, kind: ListeningSocket.kind(of: socket), backlog: backlog, timeouts: timeouts,
                          .protocols(protocolFactory))
    }

    private func listenTCP(
        host: String, port: Int, backlog: Int, reusePort: Bool, timeouts: ConnectionTimeouts,
        _ acceptor: StreamServer.Acceptor
    ) throws -> StreamServer {
        let address = try SocketAddress(host: host, port: port)
        // The socket is made and bound here (SO_REUSEPORT must be set before bind), then handed to
        // libuv; binding with uv_tcp_bind would defer EADDRINUSE to uv_listen, which the server
        // does not use (it listens and accepts itself).
        let fd = try ListeningSocket.bindTCP(address, reusePort: reusePort)
        return try listen(adopting: fd, kind: .tcp, backlog: backlog, timeouts: timeouts, target: address.description, acceptor)
    }

    /// Serves on `fd` (bound already): a libuv handle adopts it (`uv_tcp_open` / `uv_pipe_open`), then
    /// listens. The descriptor is closed on every failure.
    private func listen(
        adopting fd: Int32, kind: ListeningSocket.Kind, backlog: Int, timeouts: ConnectionTimeouts,
        target: String? = nil, _ acceptor: StreamServer.Acceptor
    ) throws -> StreamServer {
        let target = target ?? "socket \(fd)"
        let handle: UVHandle
        do {
            handle = try UVHandle(kind == .tcp ? "socket" : "uv_pipe_init", target,
                                  type: kind == .tcp ? UV_TCP : UV_NAMED_PIPE, loop: self) { raw in
                kind == .tcp ? uv_tcp_init(uvLoop, raw.assumingMemoryBound(to: uv_tcp_t.self))
                    : uv_pipe_init(uvLoop, raw.assumingMemoryBound(to: uv_pipe_t.self), 0)
            }
        } catch {
            Glibc.close(fd)
            throw error
        }
        return try StreamServer.listen(loop: self, handle: handle, isTCP: kind == .tcp, acceptor: acceptor,
                                       timeouts: timeouts, backlog: backlog, target: target) { _, handle in
            let status = kind == .tcp
                ? uv_tcp_open(handle.pointer.assumingMemoryBound(to: uv_tcp_t.self), fd)
                : uv_pipe_open(handle.pointer.assumingMemoryBound(to: uv_pipe_t.self), fd)
            if status < 0 {
                Glibc.close(fd)  // libuv did not take it: closing the handle leaves it open
                throw IOError("adopt", target, status: status)
            }
        }
    }

    private func listenUnix(
        path: String, backlog: Int, timeouts: ConnectionTimeouts, _ acceptor: StreamServer.Acceptor
    ) throws -> StreamServer {
        let handle = try UVHandle("uv_pipe_init", path, type: UV_NAMED_PIPE, loop: self) { raw in
            uv_pipe_init(uvLoop, raw.assumingMemoryBound(to: uv_pipe_t.self), 0)
        }
        return try StreamServer.listen(loop: self, handle: handle, isTCP: false, acceptor: acceptor, timeouts: timeouts,
                                       backlog: backlog, target: path) { server, handle in
            try removeStaleSocket(at: path)
            let status = uv_pipe_bind(handle.pointer.assumingMemoryBound(to: uv_pipe_t.self), path)
            if status < 0 { throw IOError("bind", path, status: status) }
            server.socketPath = path
        }
    }
}
