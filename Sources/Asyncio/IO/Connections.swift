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
