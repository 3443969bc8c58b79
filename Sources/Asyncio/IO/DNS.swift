import CLibUV
#if canImport(Glibc)
import Glibc
#endif

extension EventLoop {
    /// Resolves `host` to socket addresses on libuv's resolver (asyncio's `loop.getaddrinfo`).
    /// Numeric addresses resolve without a lookup. Cancelling the awaiting task cancels the request.
    /// - Throws: ``IOError`` (`getaddrinfo`, with the EAI error name) if the name does not resolve.
    nonisolated(nonsending) public func getAddrInfo(host: String, port: Int) async throws -> [SocketAddress] {
        try checkUsable("EventLoop.getAddrInfo")
        return try await resolve(host: host, port: port)
    }

    /// ``getAddrInfo(host:port:)`` for callers that checked the thread.
    nonisolated(nonsending) func resolve(host: String, port: Int) async throws -> [SocketAddress] {
        if let numeric = try? SocketAddress(host: host, port: port) { return [numeric] }
        let request = UVRequest(UV_GETADDRINFO)
        var addresses: [SocketAddress] = []
        request.onDone = { request in
            // Read the list before the callback frees it (uv_freeaddrinfo).
            var entry = request.pointer.assumingMemoryBound(to: uv_getaddrinfo_t.self).pointee.addrinfo
            while let info = entry {
                if let address = info.pointee.ai_addr,
                   info.pointee.ai_socktype == Int32(SOCK_STREAM.rawValue) || info.pointee.ai_socktype == 0 {
                    var storage = sockaddr_storage()
                    memcpy(&storage, address, Int(info.pointee.ai_addrlen))
                    addresses.append(SocketAddress(storage: storage))
                }
                entry = info.pointee.ai_next
            }
        }
        try request.start("getaddrinfo", host) { raw in
            uv_getaddrinfo(uvLoop, raw.assumingMemoryBound(to: uv_getaddrinfo_t.self), { raw, status, result in
                UVRequest.complete(raw, result: Int(status))
                uv_freeaddrinfo(result)
            }, host, String(port), nil)
        }
        let status = try await request.wait(on: self, "getAddrInfo")
        if status != 0 { throw IOError("getaddrinfo", host, status: Int32(truncatingIfNeeded: status)) }
        var seen = Set<SocketAddress>()
        return addresses.filter { seen.insert($0).inserted }
    }
}

extension EventLoop {
    /// Looks up the host name and service of `address` on libuv's resolver (asyncio's
    /// `loop.getnameinfo`). `flags` are `getnameinfo(3)`'s (`NI_NUMERICHOST`, `NI_NAMEREQD`...).
    /// Cancelling the awaiting task cancels the request.
    /// - Throws: ``IOError`` (`getnameinfo`, with the EAI error name).
    nonisolated(nonsending) public func getNameInfo(_ address: SocketAddress, flags: Int32 = 0) async throws -> (host: String, service: String) {
        try checkUsable("EventLoop.getNameInfo")
        let request = UVRequest(UV_GETNAMEINFO)
        try request.start("getnameinfo", address.description) { raw in
            address.withSockaddr { sockaddr in
                uv_getnameinfo(uvLoop, raw.assumingMemoryBound(to: uv_getnameinfo_t.self), { raw, status, _, _ in
                    UVRequest.complete(raw, result: Int(status))
                }, sockaddr, flags)
            }
        }
        let status = try await request.wait(on: self, "getNameInfo")
        if status != 0 { throw IOError("getnameinfo", address.description, status: Int32(truncatingIfNeeded: status)) }
        // host and service are arrays inside the request: valid as long as it is.
        let info = request.pointer.assumingMemoryBound(to: uv_getnameinfo_t.self)
        return (cString(&info.pointee.host), cString(&info.pointee.service))
    }
}

/// The NUL-terminated string in a C character array imported as a tuple.
private func cString<T>(_ tuple: inout T) -> String {
    withUnsafeBytes(of: &tuple) { bytes in
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }
}
