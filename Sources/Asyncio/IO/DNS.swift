import CLibUV
#if canImport(Glibc)
import Glibc
#endif

extension EventLoop {
    /// Resolves `host` to socket addresses on libuv's resolver (asyncio's `loop.getaddrinfo`).
    /// Numeric addresses resolve without a lookup. Cancelling the awaiting task cancels the request.
    /// - Throws: ``IOError`` (`getaddrinfo`, with the EAI error name) if the name does not resolve.
    nonisolated(nonsending) public func getAddrInfo(host: String, port: Int) async throws -> [SocketAddress] {
        try checkUsable("getAddrInfo")
        if let numeric = try? SocketAddress(host: host, port: port) { return [numeric] }
        let request = AddrInfoRequest()
        let status = uv_getaddrinfo(uvLoop, request.request, { raw, status, result in
            guard let raw else { return }
            let request = Unmanaged<AddrInfoRequest>.fromOpaque(raw.pointee.data).takeUnretainedValue()
            request.finish(status: status, result: result)
        }, host, String(port), nil)
        guard status == 0 else { throw IOError("getaddrinfo", host, status: status) }
        request.retainUntilDone()
        externalWaits += 1
        defer { externalWaits -= 1 }
        try await suspend("getAddrInfo") { waiter in
            request.waiter = waiter
            waiter.onCancel = { uv_cancel(UnsafeMutableRawPointer(request.request).assumingMemoryBound(to: uv_req_t.self)) }
        }
        if request.status != 0 { throw IOError("getaddrinfo", host, status: request.status) }
        var seen = Set<SocketAddress>()
        return request.addresses.filter { seen.insert($0).inserted }
    }
}

extension EventLoop {
    /// Looks up the host name and service of `address` on libuv's resolver (asyncio's
    /// `loop.getnameinfo`). `flags` are `getnameinfo(3)`'s (`NI_NUMERICHOST`, `NI_NAMEREQD`...).
    /// Cancelling the awaiting task cancels the request.
    /// - Throws: ``IOError`` (`getnameinfo`, with the EAI error name).
    nonisolated(nonsending) public func getNameInfo(_ address: SocketAddress, flags: Int32 = 0) async throws -> (host: String, service: String) {
        try checkUsable("getNameInfo")
        let request = NameInfoRequest()
        let status = address.withSockaddr { sockaddr in
            uv_getnameinfo(uvLoop, request.request, { raw, status, host, service in
                guard let raw else { return }
                let request = Unmanaged<NameInfoRequest>.fromOpaque(raw.pointee.data).takeRetainedValue()
                request.status = status
                if status == 0 {
                    request.host = host.map { String(cString: $0) } ?? ""
                    request.service = service.map { String(cString: $0) } ?? ""
                }
                request.request.deallocate()
                request.waiter?.resume()
            }, sockaddr, flags)
        }
        guard status == 0 else {
            request.request.deallocate()
            throw IOError("getnameinfo", address.description, status: status)
        }
        request.request.pointee.data = Unmanaged.passRetained(request).toOpaque()
        if request.status == Int32.min {
            externalWaits += 1
            defer { externalWaits -= 1 }
            try await suspend("getNameInfo") { waiter in
                request.waiter = waiter
                waiter.onCancel = { uv_cancel(UnsafeMutableRawPointer(request.request).assumingMemoryBound(to: uv_req_t.self)) }
            }
        }
        if request.status != 0 { throw IOError("getnameinfo", address.description, status: request.status) }
        return (request.host, request.service)
    }
}

/// One `uv_getnameinfo_t` in flight (loop thread only); the request memory is freed in its callback.
private final class NameInfoRequest: @unchecked Sendable {
    let request = UnsafeMutablePointer<uv_getnameinfo_t>.allocate(capacity: 1)
    var waiter: LoopWaiter?
    var status = Int32.min
    var host = ""
    var service = ""
}

/// One `uv_getaddrinfo_t` in flight; freed when libuv calls back (loop thread only).
private final class AddrInfoRequest: @unchecked Sendable {
    let request = UnsafeMutablePointer<uv_getaddrinfo_t>.allocate(capacity: 1)
    var waiter: LoopWaiter?
    var status: Int32 = 0
    var addresses: [SocketAddress] = []

    func retainUntilDone() { request.pointee.data = Unmanaged.passRetained(self).toOpaque() }

    func finish(status: Int32, result: UnsafeMutablePointer<addrinfo>?) {
        self.status = status
        var entry = result
        while let info = entry {
            if let address = info.pointee.ai_addr, info.pointee.ai_socktype == Int32(SOCK_STREAM.rawValue) || info.pointee.ai_socktype == 0 {
                var storage = sockaddr_storage()
                memcpy(&storage, address, Int(info.pointee.ai_addrlen))
                addresses.append(SocketAddress(storage: storage))
            }
            entry = info.pointee.ai_next
        }
        uv_freeaddrinfo(result)
        waiter?.resume()
        request.deallocate()
        Unmanaged.passUnretained(self).release()
    }
}
