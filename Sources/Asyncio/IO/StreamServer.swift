import CLibUV
#if canImport(Glibc)
import Glibc
#endif

/// A listening TCP or Unix-domain server (asyncio's `Server`): every accepted connection runs the
/// handler in a task of its own with a reader and a writer; the writer is closed when the handler
/// returns. Loop-confined, hence `@unchecked Sendable`.
public final class StreamServer: LoopResource, @unchecked Sendable {
    let loop: EventLoop
    private let listener: StreamTransport
    private let handler: (StreamReader, StreamWriter) async throws -> Void
    private let limit: Int
    private var connections: [ObjectIdentifier: LoopTask<Void>] = [:]
    private let closedWaiters = WaitList()
    /// Whether the server stopped listening.
    public private(set) var isClosed = false

    init(loop: EventLoop, listener: StreamTransport, limit: Int,
         handler: @escaping (StreamReader, StreamWriter) async throws -> Void) {
        self.loop = loop
        self.listener = listener
        self.limit = limit
        self.handler = handler
    }

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
        let reader = StreamReader(transport: client, limit: limit)
        let writer = StreamWriter(transport: client)
        let handler = self.handler
        guard let task = try? loop.createTask(name: "connection", { try await handler(reader, writer) }) else {
            client.close()
            return
        }
        connections[ObjectIdentifier(task)] = task
        task.addDoneCallback { [self] finished in
            writer.close()
            connections[ObjectIdentifier(finished)] = nil
            if isClosed && connections.isEmpty { closedWaiters.wakeAll() }
        }
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
        for connection in connections.values { connection.cancel() }
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
            let server = StreamServer(loop: self, listener: listener, limit: limit, handler: handler)
            try server.listen(backlog: Int32(backlog), target: address.description)
            return server
        } catch {
            listener.close()
            throw error
        }
    }

    /// Starts a Unix-domain socket server at `path` (asyncio's `start_unix_server`).
    public func startUnixServer(
        path: String, backlog: Int = 128, limit: Int = 64 * 1024,
        _ handler: @escaping (StreamReader, StreamWriter) async throws -> Void
    ) throws -> StreamServer {
        try checkUsable("startUnixServer")
        let listener = StreamTransport(loop: self, tcp: false)
        do {
            let status = uv_pipe_bind(listener.handle.assumingMemoryBound(to: uv_pipe_t.self), path)
            if status < 0 { throw IOError("bind", path, status: status) }
            let server = StreamServer(loop: self, listener: listener, limit: limit, handler: handler)
            try server.listen(backlog: Int32(backlog), target: path)
            return server
        } catch {
            listener.close()
            throw error
        }
    }
}
