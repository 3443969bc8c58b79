import CLibUV
#if canImport(Glibc)
import Glibc
#endif

/// A listening TCP or Unix-domain server (asyncio's `Server`). In the streams API every accepted
/// connection runs the handler in a task of its own with a reader and a writer (the writer is closed
/// when the handler returns); in the protocol API each connection gets a new protocol object.
/// Loop-confined, hence `@unchecked Sendable`.
public final class StreamServer: LoopResource, @unchecked Sendable {
    /// What an accepted connection is handed to.
    enum Acceptor {
        case streams(limit: Int, (StreamReader, StreamWriter) async throws -> Void)
        case protocols(() -> any StreamProtocol)
    }

    let loop: EventLoop
    private let listener: StreamTransport
    private let acceptor: Acceptor
    /// Open connections: the handler's task (streams) or the transport (protocols).
    private var connections: [ObjectIdentifier: AnyObject] = [:]
    private let closedWaiters = WaitList()
    /// Whether the server stopped listening.
    public private(set) var isClosed = false

    init(loop: EventLoop, listener: StreamTransport, acceptor: Acceptor) {
        self.loop = loop
        self.listener = listener
        self.acceptor = acceptor
    }

    /// How many accepted connections are open (streams: whose handler has not returned).
    public var connectionCount: Int { connections.count }

    /// The bound address (TCP), with the real port when bound to port 0.
    public var address: SocketAddress? { listener.socketAddress }

    func listen(backlog: Int32, target: String) throws {
        listener.server = self
        let status = uv_listen(listener.stream, backlog) { server, status in
            StreamTransport.from(server).server?.accept(status: status)
        }
        if status < 0 { throw IOError("listen", target, status: status) }
        loop.register(self)
    }

    private func accept(status: Int32) {
        guard status == 0, !isClosed else { return }
        let client = StreamTransport(loop: loop, tcp: listener.isTCP)
        guard uv_accept(listener.stream, client.stream) == 0 else { client.close(); return }
        client.setNoDelay()
        switch acceptor {
        case .streams(let limit, let handler):
            let reader = StreamReader(transport: client, limit: limit)
            let writer = StreamWriter(transport: client)
            guard let task = try? loop.createTask(name: "connection", { try await handler(reader, writer) }) else {
                client.close()
                return
            }
            connections[ObjectIdentifier(task)] = task
            task.addDoneCallback { [self] finished in
                writer.close()
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

    private func connectionEnded(_ key: ObjectIdentifier) {
        connections[key] = nil
        if isClosed && connections.isEmpty { closedWaiters.wakeAll() }
    }

    /// Stops listening (asyncio's `close()`); connections already accepted go on.
    public func close() {
        guard !isClosed else { return }
        isClosed = true
        loop.unregister(self)
        listener.close()
        if connections.isEmpty { closedWaiters.wakeAll() }
    }

    /// Waits until the server is closed and every connection handler has finished (asyncio 3.12's
    /// `wait_closed()`).
    nonisolated(nonsending) public func waitClosed() async throws {
        while !(isClosed && connections.isEmpty) {
            try await closedWaiters.wait(on: loop, "StreamServer.waitClosed")
        }
        try await listener.waitClosed()
    }

    /// Serves until the server is closed or the calling task is cancelled (which closes it), as
    /// asyncio's `serve_forever()`.
    nonisolated(nonsending) public func serveForever() async throws {
        do {
            while !isClosed { try await closedWaiters.wait(on: loop, "StreamServer.serveForever") }
        } catch {
            close()
            throw error
        }
    }

    func closeForLoopShutdown() {
        isClosed = true
        listener.close()
        for case let task as LoopTask<Void> in connections.values { task.cancel() }
    }
}

extension EventLoop {
    /// Starts a TCP server on `host`:`port` (port 0 picks a free port: read ``StreamServer/address``)
    /// whose handler gets a reader and a writer for each connection (asyncio's `start_server`).
    /// - Throws: ``IOError`` (`bind`, e.g. `EADDRINUSE`; `address` for a bad host).
    public func startServer(
        host: String = "127.0.0.1", port: Int, backlog: Int = 128, reusePort: Bool = false, limit: Int = 64 * 1024,
        _ handler: @escaping (StreamReader, StreamWriter) async throws -> Void
    ) throws -> StreamServer {
        try checkUsable("startServer")
        return try listenTCP(host: host, port: port, backlog: backlog, reusePort: reusePort, .streams(limit: limit, handler))
    }

    /// Starts a TCP server in the protocol API (asyncio's `loop.create_server`): each accepted
    /// connection gets a new protocol from `protocolFactory`, driven from libuv's callbacks with no
    /// task per connection.
    /// - Throws: ``IOError`` (`bind`, e.g. `EADDRINUSE`; `address` for a bad host).
    public func createServer(
        host: String = "127.0.0.1", port: Int, backlog: Int = 128, reusePort: Bool = false,
        _ protocolFactory: @escaping () -> any StreamProtocol
    ) throws -> StreamServer {
        try checkUsable("createServer")
        return try listenTCP(host: host, port: port, backlog: backlog, reusePort: reusePort, .protocols(protocolFactory))
    }

    /// Starts a Unix-domain socket server at `path` (asyncio's `start_unix_server`).
    public func startUnixServer(
        path: String, backlog: Int = 128, limit: Int = 64 * 1024,
        _ handler: @escaping (StreamReader, StreamWriter) async throws -> Void
    ) throws -> StreamServer {
        try checkUsable("startUnixServer")
        return try listenUnix(path: path, backlog: backlog, .streams(limit: limit, handler))
    }

    /// Starts a Unix-domain socket server in the protocol API (asyncio's `loop.create_unix_server`).
    public func createUnixServer(
        path: String, backlog: Int = 128, _ protocolFactory: @escaping () -> any StreamProtocol
    ) throws -> StreamServer {
        try checkUsable("createUnixServer")
        return try listenUnix(path: path, backlog: backlog, .protocols(protocolFactory))
    }

    private func listenTCP(
        host: String, port: Int, backlog: Int, reusePort: Bool, _ acceptor: StreamServer.Acceptor
    ) throws -> StreamServer {
        let address = try SocketAddress(host: host, port: port)
        let listener = StreamTransport(loop: self, tcp: true, family: reusePort ? (host.contains(":") ? AF_INET6 : AF_INET) : nil)
        do {
            if reusePort {
                var one: Int32 = 1
                var fd = uv_os_fd_t()
                if uv_fileno(listener.uvHandle, &fd) == 0 {
                    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, socklen_t(MemoryLayout<Int32>.size))
                }
            }
            let status = address.withSockaddr { uv_tcp_bind(listener.handle.assumingMemoryBound(to: uv_tcp_t.self), $0, 0) }
            if status < 0 { throw IOError("bind", address.description, status: status) }
            let server = StreamServer(loop: self, listener: listener, acceptor: acceptor)
            try server.listen(backlog: Int32(backlog), target: address.description)
            return server
        } catch {
            listener.close()
            throw error
        }
    }

    private func listenUnix(path: String, backlog: Int, _ acceptor: StreamServer.Acceptor) throws -> StreamServer {
        let listener = StreamTransport(loop: self, tcp: false)
        do {
            let status = uv_pipe_bind(listener.handle.assumingMemoryBound(to: uv_pipe_t.self), path)
            if status < 0 { throw IOError("bind", path, status: status) }
            let server = StreamServer(loop: self, listener: listener, acceptor: acceptor)
            try server.listen(backlog: Int32(backlog), target: path)
            return server
        } catch {
            listener.close()
            throw error
        }
    }
}
