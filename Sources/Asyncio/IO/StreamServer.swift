import CLibUV
#if canImport(Glibc)
import Glibc
#endif

/// A listening TCP or Unix-domain server (asyncio's `Server`). In the streams API every accepted
/// connection runs the handler in a task of its own with a reader and a writer (the writer is closed
/// when the handler returns; a handler that throws ends only its own connection, and its error goes
/// to the loop's exception handler); in the protocol API each connection gets a new protocol object.
///
/// Loop-confined: every member checks that it runs on the loop thread (a call from another thread is
/// a precondition failure naming it), hence `@unchecked Sendable`.
public final class StreamServer: UVHandleOwner, LoopResource, @unchecked Sendable {
    /// What an accepted connection is handed to.
    enum Acceptor {
        case streams(limit: Int, (StreamReader, StreamWriter) async throws -> Void)
        case protocols(() -> any StreamProtocol)
    }

    let loop: EventLoop
    private let listener: UVHandle
    private let isTCP: Bool
    private let acceptor: Acceptor
    /// Open connections: the handler's task (streams) or the transport (protocols).
    private var connections: [ObjectIdentifier: AnyObject] = [:]
    private let closedWaiters = WaitList()
    private var closed = false
    /// The socket file of a Unix server (libuv removes it when the listening handle closes).
    fileprivate var socketPath: String?

    private init(loop: EventLoop, listener: UVHandle, isTCP: Bool, acceptor: Acceptor) {
        self.loop = loop
        self.listener = listener
        self.isTCP = isTCP
        self.acceptor = acceptor
        listener.attach(self)
    }

    /// Binds with `bind` and listens; on failure the listening handle is closed (which removes a
    /// socket file it bound) before throwing.
    static func listen(
        loop: EventLoop, handle: UVHandle, isTCP: Bool, acceptor: Acceptor, backlog: Int, target: String,
        bind: (StreamServer, UVHandle) throws -> Void
    ) throws -> StreamServer {
        let server = StreamServer(loop: loop, listener: handle, isTCP: isTCP, acceptor: acceptor)
        do {
            try bind(server, handle)
            let status = uv_listen(handle.pointer.assumingMemoryBound(to: uv_stream_t.self), Int32(clamping: backlog)) { raw, status in
                UVHandle.owner(of: raw, as: StreamServer.self).accept(status: status)
            }
            if status < 0 { throw IOError("listen", target, status: status) }
        } catch {
            handle.close()
            throw error
        }
        loop.register(server)
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

    /// Whether the server stopped listening.
    public var isClosed: Bool {
        check("StreamServer.isClosed")
        return closed
    }

    private func accept(status: Int32) {
        guard !closed else { return }
        guard status == 0 else { return acceptFailed(IOError("accept", target, status: status)) }
        let client: StreamTransport
        do {
            client = isTCP ? try .tcp(on: loop) : try .pipe(on: loop)
        } catch {
            return acceptFailed(error)
        }
        let accepted = uv_accept(listener.pointer.assumingMemoryBound(to: uv_stream_t.self), client.stream)
        do {
            if accepted < 0 { throw IOError("accept", target, status: accepted) }
            try client.setNoDelay()
        } catch {
            client.closeNow()
            return acceptFailed(error)
        }
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
            connections[ObjectIdentifier(task)] = task
            task.addDoneCallback { [self] finished in
                if let error = try? finished.error() {
                    // asyncio: "Unhandled exception in client_connected_cb"; the server goes on.
                    loop.report(ExceptionContext(
                        message: "Unhandled error in a connection handler", error: error, source: finished.description))
                }
                client.closeAfterFlush()
                connectionEnded(ObjectIdentifier(finished))
            }
        case .protocols(let factory):
            let userProtocol = factory()
            let key = ObjectIdentifier(client)
            connections[key] = client
            client.onClosed = { [self] in connectionEnded(key) }
            client.userProtocol = userProtocol
            userProtocol.connectionMade(client)
            client.startReading()
        }
    }

    /// An accept that failed (`EMFILE`, `ENFILE`, `ENOMEM`...): reported, and the server goes on.
    private func acceptFailed(_ error: any Error) {
        loop.report(ExceptionContext(message: "Error accepting a connection", error: error, source: target))
    }

    private var target: String {
        socketPath ?? (isTCP ? "server" : "unix server")
    }

    private func connectionEnded(_ key: ObjectIdentifier) {
        connections[key] = nil
        if closed && connections.isEmpty { closedWaiters.wakeAll() }
    }

    /// Stops listening (asyncio's `close()`); connections already accepted go on. A Unix server's
    /// socket file is removed (libuv unlinks the path a pipe bound when it closes). Harmless if
    /// already closed.
    public func close() {
        check("StreamServer.close")
        stopListening()
    }

    private func stopListening() {
        guard !closed else { return }
        closed = true
        loop.unregister(self)
        listener.close()
        if connections.isEmpty { closedWaiters.wakeAll() }
    }

    func handleDidClose(_ handle: UVHandle) { closedWaiters.wakeAll() }

    /// Waits until the server is closed and every connection handler has finished (asyncio 3.12's
    /// `wait_closed()`).
    nonisolated(nonsending) public func waitClosed() async throws {
        check("StreamServer.waitClosed")
        while !(closed && connections.isEmpty && listener.state == .closed) {
            try await closedWaiters.wait(on: loop, "StreamServer.waitClosed")
        }
    }

    /// Serves until the server is closed or the calling task is cancelled (which closes it), as
    /// asyncio's `serve_forever()`.
    nonisolated(nonsending) public func serveForever() async throws {
        check("StreamServer.serveForever")
        do {
            while !closed { try await closedWaiters.wait(on: loop, "StreamServer.serveForever") }
        } catch {
            stopListening()
            throw error
        }
    }

    func closeForLoopShutdown() {
        closed = true
        listener.close()
        for case let task as LoopTask<Void> in connections.values { task.cancel() }
    }
}

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
    /// - Throws: ``IOError`` (`bind`, e.g. `EADDRINUSE`; `address` for a bad host; `socket`, e.g. `EMFILE`).
    public func startServer(
        host: String = "127.0.0.1", port: Int, backlog: Int = 128, reusePort: Bool = false, limit: Int = 64 * 1024,
        _ handler: @escaping (StreamReader, StreamWriter) async throws -> Void
    ) throws -> StreamServer {
        try checkUsable("EventLoop.startServer")
        return try listenTCP(host: host, port: port, backlog: backlog, reusePort: reusePort, .streams(limit: limit, handler))
    }

    /// Starts a TCP server in the protocol API (asyncio's `loop.create_server`): each accepted
    /// connection gets a new protocol from `protocolFactory`, driven from libuv's callbacks with no
    /// task per connection.
    /// - Throws: ``IOError`` (`bind`, e.g. `EADDRINUSE`; `address` for a bad host; `socket`, e.g. `EMFILE`).
    public func createServer(
        host: String = "127.0.0.1", port: Int, backlog: Int = 128, reusePort: Bool = false,
        _ protocolFactory: @escaping () -> any StreamProtocol
    ) throws -> StreamServer {
        try checkUsable("EventLoop.createServer")
        return try listenTCP(host: host, port: port, backlog: backlog, reusePort: reusePort, .protocols(protocolFactory))
    }

    /// Starts a Unix-domain socket server at `path` (asyncio's `start_unix_server`). A socket file
    /// left at `path` by a server that is gone is replaced; the file is removed when the server closes.
    /// - Throws: ``IOError`` (`bind`, `EADDRINUSE`) when a file that is not a socket is at `path` (it
    ///   is left untouched).
    public func startUnixServer(
        path: String, backlog: Int = 128, limit: Int = 64 * 1024,
        _ handler: @escaping (StreamReader, StreamWriter) async throws -> Void
    ) throws -> StreamServer {
        try checkUsable("EventLoop.startUnixServer")
        return try listenUnix(path: path, backlog: backlog, .streams(limit: limit, handler))
    }

    /// Starts a Unix-domain socket server in the protocol API (asyncio's `loop.create_unix_server`),
    /// with the socket-file handling of ``startUnixServer(path:backlog:limit:_:)``.
    public func createUnixServer(
        path: String, backlog: Int = 128, _ protocolFactory: @escaping () -> any StreamProtocol
    ) throws -> StreamServer {
        try checkUsable("EventLoop.createUnixServer")
        return try listenUnix(path: path, backlog: backlog, .protocols(protocolFactory))
    }

    private func listenTCP(
        host: String, port: Int, backlog: Int, reusePort: Bool, _ acceptor: StreamServer.Acceptor
    ) throws -> StreamServer {
        let address = try SocketAddress(host: host, port: port)
        let family = address.host.contains(":") ? AF_INET6 : AF_INET
        let handle = try UVHandle("socket", address.description, type: UV_TCP, loop: self) { raw in
            let tcp = raw.assumingMemoryBound(to: uv_tcp_t.self)
            // SO_REUSEPORT must be set before bind: create the socket now.
            return reusePort ? uv_tcp_init_ex(uvLoop, tcp, UInt32(family)) : uv_tcp_init(uvLoop, tcp)
        }
        return try StreamServer.listen(loop: self, handle: handle, isTCP: true, acceptor: acceptor, backlog: backlog,
                                       target: address.description) { _, handle in
            if reusePort {
                var fd = uv_os_fd_t()
                let status = uv_fileno(handle.handle, &fd)
                if status < 0 { throw IOError("uv_fileno", address.description, status: status) }
                var one: Int32 = 1
                if setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, socklen_t(MemoryLayout<Int32>.size)) != 0 {
                    throw IOError("setsockopt", "SO_REUSEPORT", status: -errno)
                }
            }
            let status = address.withSockaddr { uv_tcp_bind(handle.pointer.assumingMemoryBound(to: uv_tcp_t.self), $0, 0) }
            if status < 0 { throw IOError("bind", address.description, status: status) }
        }
    }

    private func listenUnix(path: String, backlog: Int, _ acceptor: StreamServer.Acceptor) throws -> StreamServer {
        let handle = try UVHandle("uv_pipe_init", path, type: UV_NAMED_PIPE, loop: self) { raw in
            uv_pipe_init(uvLoop, raw.assumingMemoryBound(to: uv_pipe_t.self), 0)
        }
        return try StreamServer.listen(loop: self, handle: handle, isTCP: false, acceptor: acceptor, backlog: backlog,
                                       target: path) { server, handle in
            try removeStaleSocket(at: path)
            let status = uv_pipe_bind(handle.pointer.assumingMemoryBound(to: uv_pipe_t.self), path)
            if status < 0 { throw IOError("bind", path, status: status) }
            server.socketPath = path
        }
    }
}
