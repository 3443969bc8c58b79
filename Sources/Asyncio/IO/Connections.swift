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
        let transport = try await connectTCP(host: host, port: port)
        return (StreamReader(transport: transport, limit: limit), StreamWriter(transport: transport))
    }

    /// Opens a TCP connection in the protocol API (asyncio's `loop.create_connection`): the protocol
    /// from `protocolFactory` gets ``StreamProtocol/connectionMade(_:)`` and then the data.
    /// - Throws: ``IOError`` (`connect`, e.g. `ECONNREFUSED`; `getaddrinfo` for unknown names).
    nonisolated(nonsending) public func createConnection<P: StreamProtocol>(
        host: String, port: Int, _ protocolFactory: () -> P
    ) async throws -> (StreamTransport, P) {
        let transport = try await connectTCP(host: host, port: port)
        return (transport, attach(protocolFactory(), to: transport))
    }

    /// Opens a Unix-domain connection in the protocol API (asyncio's `loop.create_unix_connection`).
    nonisolated(nonsending) public func createUnixConnection<P: StreamProtocol>(
        path: String, _ protocolFactory: () -> P
    ) async throws -> (StreamTransport, P) {
        let transport = try await connectUnix(path: path)
        return (transport, attach(protocolFactory(), to: transport))
    }

    private func attach<P: StreamProtocol>(_ userProtocol: P, to transport: StreamTransport) -> P {
        transport.userProtocol = userProtocol
        userProtocol.connectionMade(transport)
        transport.startReading()
        return userProtocol
    }

    /// Resolves `host` and connects to each address in turn.
    nonisolated(nonsending) private func connectTCP(host: String, port: Int) async throws -> StreamTransport {
        let addresses = try await getAddrInfo(host: host, port: port)
        var lastError: (any Error) = IOError("connect", "\(host):\(port)", status: UV_EADDRNOTAVAIL.rawValue)
        for address in addresses {
            let transport = StreamTransport(loop: self, tcp: true)
            do {
                try await connect(transport, to: address.description) { request, handle, callback in
                    address.withSockaddr { uv_tcp_connect(request, handle.assumingMemoryBound(to: uv_tcp_t.self), $0, callback) }
                }
                transport.setNoDelay()
                return transport
            } catch {
                transport.close()
                lastError = error
            }
        }
        throw lastError
    }

    /// Opens a connection to the Unix-domain socket at `path` (asyncio's `open_unix_connection`).
    nonisolated(nonsending) public func openUnixConnection(
        path: String, limit: Int = 64 * 1024
    ) async throws -> (StreamReader, StreamWriter) {
        let transport = try await connectUnix(path: path)
        return (StreamReader(transport: transport, limit: limit), StreamWriter(transport: transport))
    }

    nonisolated(nonsending) private func connectUnix(path: String) async throws -> StreamTransport {
        try checkUsable("openUnixConnection")
        let transport = StreamTransport(loop: self, tcp: false)
        do {
            try await connect(transport, to: path) { request, handle, callback in
                uv_pipe_connect(request, handle.assumingMemoryBound(to: uv_pipe_t.self), path, callback)
                return 0
            }
        } catch {
            transport.close()
            throw error
        }
        return transport
    }

    /// Starts a libuv connect request and waits for its callback.
    nonisolated(nonsending) private func connect(
        _ transport: StreamTransport, to target: String,
        _ start: (UnsafeMutablePointer<uv_connect_t>, UnsafeMutableRawPointer, uv_connect_cb) -> Int32
    ) async throws {
        try checkUsable("openConnection")
        let request = UnsafeMutablePointer<uv_connect_t>.allocate(capacity: 1)
        let outcome = ConnectOutcome()
        request.pointee.data = Unmanaged.passRetained(outcome).toOpaque()
        let status = start(request, transport.handle) { request, status in
            guard let request else { return }
            let outcome = Unmanaged<ConnectOutcome>.fromOpaque(request.pointee.data).takeRetainedValue()
            request.deallocate()
            outcome.status = status
            outcome.done = true
            outcome.waiter?.resume()
        }
        if status < 0 {
            Unmanaged<ConnectOutcome>.fromOpaque(request.pointee.data).release()
            request.deallocate()
            throw IOError("connect", target, status: status)
        }
        if !outcome.done {
            try await suspend("openConnection") { waiter in
                outcome.waiter = waiter
                waiter.onCancel = { transport.close() }  // the connect callback then reports ECANCELED
            }
        }
        if outcome.status < 0 { throw IOError("connect", target, status: outcome.status) }
    }
}

/// The result of one connect request (loop thread only).
private final class ConnectOutcome: @unchecked Sendable {
    var status: Int32 = 0
    var done = false
    var waiter: LoopWaiter?
}
