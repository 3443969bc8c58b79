import CLibUV
#if canImport(Glibc)
import Glibc
#endif

extension EventLoop {
    /// Opens a TCP connection and returns its reader and writer (asyncio's `open_connection`). The
    /// host is resolved with ``getAddrInfo(host:port:)``; each address is tried in turn.
    /// - Throws: ``IOError`` (`connect`, e.g. `ECONNREFUSED`; `getaddrinfo` for unknown names).
    nonisolated(nonsending) public func openConnection(
        host: String, port: Int, limit: Int = 64 * 1024
    ) async throws -> (StreamReader, StreamWriter) {
        try checkUsable("EventLoop.openConnection")
        let transport = try await connectTCP(host: host, port: port)
        return (StreamReader(transport: transport, limit: limit), StreamWriter(transport: transport))
    }

    /// Opens a TCP connection in the protocol API (asyncio's `loop.create_connection`): the protocol
    /// from `protocolFactory` gets ``StreamProtocol/connectionMade(_:)`` and then the data.
    /// - Throws: ``IOError`` (`connect`, e.g. `ECONNREFUSED`; `getaddrinfo` for unknown names).
    nonisolated(nonsending) public func createConnection<P: StreamProtocol>(
        host: String, port: Int, _ protocolFactory: () -> P
    ) async throws -> (StreamTransport, P) {
        try checkUsable("EventLoop.createConnection")
        let transport = try await connectTCP(host: host, port: port)
        return (transport, attach(protocolFactory(), to: transport))
    }

    /// Opens a Unix-domain connection in the protocol API (asyncio's `loop.create_unix_connection`).
    nonisolated(nonsending) public func createUnixConnection<P: StreamProtocol>(
        path: String, _ protocolFactory: () -> P
    ) async throws -> (StreamTransport, P) {
        try checkUsable("EventLoop.createUnixConnection")
        let transport = try await connectUnix(path: path)
        return (transport, attach(protocolFactory(), to: transport))
    }

    /// Opens a connection to the Unix-domain socket at `path` (asyncio's `open_unix_connection`).
    nonisolated(nonsending) public func openUnixConnection(
        path: String, limit: Int = 64 * 1024
    ) async throws -> (StreamReader, StreamWriter) {
        try checkUsable("EventLoop.openUnixConnection")
        let transport = try await connectUnix(path: path)
        return (StreamReader(transport: transport, limit: limit), StreamWriter(transport: transport))
    }

    private func attach<P: StreamProtocol>(_ userProtocol: P, to transport: StreamTransport) -> P {
        transport.userProtocol = userProtocol
        userProtocol.connectionMade(transport)
        transport.startReading()
        return userProtocol
    }

    /// Resolves `host` and connects to each address in turn.
    nonisolated(nonsending) private func connectTCP(host: String, port: Int) async throws -> StreamTransport {
        let addresses = try await resolve(host: host, port: port)
        var lastError: (any Error) = IOError("connect", "\(host):\(port)", status: UV_EADDRNOTAVAIL.rawValue)
        for address in addresses {
            let transport = try StreamTransport.tcp(on: self)
            do {
                try await connect(transport, to: address.description) { request, callback in
                    address.withSockaddr {
                        uv_tcp_connect(request, transport.handle.pointer.assumingMemoryBound(to: uv_tcp_t.self), $0, callback)
                    }
                }
                try transport.setNoDelay()
                return transport
            } catch {
                transport.closeNow()
                if error is CancelledError { throw error }
                lastError = error
            }
        }
        throw lastError
    }

    nonisolated(nonsending) private func connectUnix(path: String) async throws -> StreamTransport {
        let transport = try StreamTransport.pipe(on: self)
        do {
            try await connect(transport, to: path) { request, callback in
                uv_pipe_connect(request, transport.handle.pointer.assumingMemoryBound(to: uv_pipe_t.self), path, callback)
                return 0  // uv_pipe_connect reports every error through the callback
            }
        } catch {
            transport.closeNow()
            throw error
        }
        return transport
    }

    /// Starts a libuv connect request (``UVRequest``'s pattern) and waits for its callback; cancelling
    /// the waiting task closes the transport (the request then completes with `ECANCELED`).
    nonisolated(nonsending) private func connect(
        _ transport: StreamTransport, to target: String,
        _ start: (UnsafeMutablePointer<uv_connect_t>, uv_connect_cb) -> Int32
    ) async throws {
        let request = UVRequest(UV_CONNECT)
        try request.start("connect", target) { raw in
            start(raw.assumingMemoryBound(to: uv_connect_t.self)) { raw, status in
                UVRequest.complete(raw, result: Int(status))
            }
        }
        let status = try await request.wait(on: self, "connect") { transport.closeNow() }
        if status < 0 { throw IOError("connect", target, status: Int32(truncatingIfNeeded: status)) }
    }
}

extension EventLoop {
    /// Wraps a stream socket that is connected already (accepted elsewhere: by another loop, another
    /// thread, a plain `accept`, or handed over by another process) in a transport driven by this loop,
    /// with the protocol from `protocolFactory` (asyncio's `loop.connect_accepted_socket`). A TCP
    /// (IPv4 or IPv6) or Unix-domain stream socket; TCP gets `TCP_NODELAY`, as accepted connections do.
    ///
    /// The descriptor is checked first (an open socket, a stream, a family libuv serves, connected);
    /// if those checks fail this throws and leaves it open, the caller's still. Past them the transport
    /// owns it: it is closed when the transport closes, or by this call if a later step fails.
    /// - Parameters:
    ///   - socket: the connected socket's descriptor (made non-blocking here).
    ///   - protocolFactory: makes the connection's protocol, which gets ``StreamProtocol/connectionMade(_:)``
    ///     before this returns, and then the data.
    /// - Throws: ``IOError`` (`adopt`: `ENOTSOCK` / `EBADF` for what is not an open socket, `EINVAL`
    ///   for a datagram socket or another family, `ENOTCONN` for a socket that is not connected).
    public func connectAcceptedSocket<P: StreamProtocol>(
        _ socket: Int32, protocolFactory: () -> P
    ) throws -> (StreamTransport, P) {
        try checkUsable("EventLoop.connectAcceptedSocket")
        let transport = try adoptConnected(socket)
        return (transport, attach(protocolFactory(), to: transport))
    }

    /// Wraps a stream socket that is connected already in a reader and a writer, as
    /// ``connectAcceptedSocket(_:protocolFactory:)`` does in the protocol API (asyncio's streams have
    /// no such call; this mirrors the protocol API's, as ``openConnection(host:port:limit:)`` mirrors
    /// ``createConnection(host:port:_:)``). The descriptor is checked and owned as that method says.
    /// - Parameters:
    ///   - socket: the connected socket's descriptor (made non-blocking here).
    ///   - limit: the reader's ``StreamReader/limit`` (asyncio's `limit`, 64 KiB).
    /// - Throws: ``IOError`` (`adopt`: `ENOTSOCK`, `EBADF`, `EINVAL`, `ENOTCONN`).
    public func connectAcceptedSocket(
        _ socket: Int32, limit: Int = 64 * 1024
    ) throws -> (StreamReader, StreamWriter) {
        try checkUsable("EventLoop.connectAcceptedSocket")
        let transport = try adoptConnected(socket)
        return (StreamReader(transport: transport, limit: limit), StreamWriter(transport: transport))
    }

    /// A transport that owns `fd`, a connected stream socket; `fd` is left open if the checks refuse it.
    private func adoptConnected(_ fd: Int32) throws -> StreamTransport {
        let kind = try ListeningSocket.kind(of: fd)
        var peer = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let connected = withUnsafeMutablePointer(to: &peer) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &length) }
        }
        if connected != 0 { throw IOError("adopt", "socket \(fd) (not connected)", status: -errno) }
        // Past the checks the descriptor is ours: every failure closes it.
        let transport: StreamTransport
        do {
            transport = kind == .tcp ? try .tcp(on: self) : try .pipe(on: self)
        } catch {
            Glibc.close(fd)
            throw error
        }
        let status = kind == .tcp
            ? uv_tcp_open(transport.handle.pointer.assumingMemoryBound(to: uv_tcp_t.self), fd)
            : uv_pipe_open(transport.handle.pointer.assumingMemoryBound(to: uv_pipe_t.self), fd)
        if status < 0 {
            Glibc.close(fd)  // libuv did not take it: closing the handle leaves it open
            transport.closeNow()
            throw IOError("adopt", "socket \(fd)", status: status)
        }
        if kind == .tcp {
            do { try transport.setNoDelay() } catch {
                transport.closeNow()
                throw error
            }
        }
        return transport
    }
}
