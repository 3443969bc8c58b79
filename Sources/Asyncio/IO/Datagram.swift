import CLibUV
#if canImport(Glibc)
import Glibc
#endif

/// The callbacks of a UDP endpoint (asyncio's `DatagramProtocol`). Every method runs on the loop
/// thread; all have default implementations that do nothing.
public protocol DatagramProtocol: AnyObject {
    /// The endpoint is ready; keep `transport` to send.
    func connectionMade(_ transport: DatagramTransport)
    /// A datagram arrived from `address`. The buffer is valid only during the call.
    func datagramReceived(_ bytes: UnsafeRawBufferPointer, from address: SocketAddress)
    /// A send or receive failed (e.g. `ECONNREFUSED` from an ICMP error on a connected endpoint);
    /// the endpoint stays open, as in asyncio.
    func errorReceived(_ error: any Error)
    /// The endpoint was closed.
    func connectionLost(_ error: (any Error)?)
}

extension DatagramProtocol {
    /// Default: does nothing.
    public func connectionMade(_ transport: DatagramTransport) {}
    /// Default: does nothing.
    public func datagramReceived(_ bytes: UnsafeRawBufferPointer, from address: SocketAddress) {}
    /// Default: does nothing.
    public func errorReceived(_ error: any Error) {}
    /// Default: does nothing.
    public func connectionLost(_ error: (any Error)?) {}
}

/// A UDP endpoint on a libuv `uv_udp_t` (asyncio's `DatagramTransport`), made by
/// ``EventLoop/createDatagramEndpoint(local:remote:reuseAddress:allowBroadcast:_:)``.
///
/// Loop-confined: libuv calls back on the loop thread, and every public member checks that it is
/// called there (a call from another thread is a precondition failure naming it), hence
/// `@unchecked Sendable`. Its libuv handle's owner (`UVHandle`) keeps it alive while the endpoint is open.
public final class DatagramTransport: UVHandleOwner, @unchecked Sendable {
    let loop: EventLoop
    private let handle: UVHandle
    @inline(__always)
    private var udp: UnsafeMutablePointer<uv_udp_t> { handle.pointer.assumingMemoryBound(to: uv_udp_t.self) }
    private static let receiveBufferSize = 64 * 1024
    private let receiveBuffer: UnsafeMutableRawPointer
    var userProtocol: (any DatagramProtocol)?
    private var remote: SocketAddress?
    private var closing = false
    private let closedWaiters = WaitList()
    private var bufferedBytes = 0

    /// A UDP handle whose socket is created at once, for `family`.
    /// - Throws: ``IOError`` (`socket`, e.g. `EMFILE`).
    init(loop: EventLoop, family: Int32) throws(IOError) {
        self.loop = loop
        handle = try UVHandle("socket", family == AF_INET6 ? "udp6" : "udp4", type: UV_UDP, loop: loop) { raw in
            uv_udp_init_ex(loop.uvLoop, raw.assumingMemoryBound(to: uv_udp_t.self), UInt32(family))
        }
        receiveBuffer = .allocate(byteCount: DatagramTransport.receiveBufferSize, alignment: 16)  // after the init that may fail
        handle.attach(self)
    }

    deinit { receiveBuffer.deallocate() }

    @inline(__always)
    private func check(_ what: @autoclosure () -> String) { loop.preconditionOnLoopThread(what()) }

    /// The connected peer, if the endpoint was created with a remote address.
    public var remoteAddress: SocketAddress? {
        check("DatagramTransport.remoteAddress")
        return remote
    }

    /// Whether ``close()`` was called.
    public var isClosing: Bool {
        check("DatagramTransport.isClosing")
        return closing
    }

    /// Bytes queued in libuv, not yet sent (asyncio's `get_write_buffer_size()`).
    public var writeBufferSize: Int {
        check("DatagramTransport.writeBufferSize")
        return bufferedBytes
    }

    func bind(_ address: SocketAddress, reuseAddress: Bool) throws {
        let status = address.withSockaddr { uv_udp_bind(udp, $0, reuseAddress ? UInt32(UV_UDP_REUSEADDR.rawValue) : 0) }
        if status < 0 { throw IOError("bind", address.description, status: status) }
    }

    func connect(_ address: SocketAddress) throws {
        let status = address.withSockaddr { uv_udp_connect(udp, $0) }
        if status < 0 { throw IOError("connect", address.description, status: status) }
        remote = address
    }

    func setBroadcast(_ on: Bool) throws {
        let status = uv_udp_set_broadcast(udp, on ? 1 : 0)
        if status < 0 { throw IOError("setsockopt", "SO_BROADCAST", status: status) }
    }

    func startReceiving() throws {
        let status = uv_udp_recv_start(udp, { raw, _, buffer in
            let transport = UVHandle.owner(of: raw, as: DatagramTransport.self)
            buffer.unsafelyUnwrapped.pointee = uv_buf_init(
                transport.receiveBuffer.assumingMemoryBound(to: CChar.self), UInt32(DatagramTransport.receiveBufferSize))
        }, { raw, nread, _, address, _ in
            let transport = UVHandle.owner(of: raw, as: DatagramTransport.self)
            guard let userProtocol = transport.userProtocol else { return }
            if nread < 0 {
                userProtocol.errorReceived(IOError("recvfrom", transport.remote?.description ?? "udp", status: Int32(truncatingIfNeeded: nread)))
            } else if let address {  // nread == 0 with no address: nothing more to read
                userProtocol.datagramReceived(UnsafeRawBufferPointer(start: transport.receiveBuffer, count: nread),
                                              from: SocketAddress(sockaddr: address))
            }
        })
        if status < 0 { throw IOError("recv_start", remote?.description ?? "udp", status: status) }
    }

    /// Sends one datagram (asyncio's `sendto`): to `address`, or to the connected remote when nil.
    /// Sent at once when the socket takes it, otherwise copied and queued. Errors from the socket go
    /// to the protocol's ``DatagramProtocol/errorReceived(_:)``, as in asyncio.
    /// - Throws: ``StreamClosedError`` after ``close()``; ``IOError`` (`EINVAL`) with no address on an
    ///   unconnected endpoint, or an address different from the connected remote.
    public func send(_ bytes: UnsafeRawBufferPointer, to address: SocketAddress? = nil) throws {
        check("DatagramTransport.send")
        try sendDatagram(bytes, to: address)
    }

    /// Sends `bytes` (see ``send(_:to:)-(UnsafeRawBufferPointer,_)``).
    public func send(_ bytes: [UInt8], to address: SocketAddress? = nil) throws {
        check("DatagramTransport.send")
        try bytes.withUnsafeBytes { try sendDatagram($0, to: address) }
    }

    /// Sends the UTF-8 bytes of `text`.
    public func send(_ text: String, to address: SocketAddress? = nil) throws {
        check("DatagramTransport.send")
        var text = text
        try text.withUTF8 { try sendDatagram(UnsafeRawBufferPointer($0), to: address) }
    }

    private func sendDatagram(_ bytes: UnsafeRawBufferPointer, to address: SocketAddress?) throws {
        if closing { throw StreamClosedError() }
        if let address, let remote, address != remote {
            throw IOError("sendto", address.description, status: UV_EINVAL.rawValue)
        }
        let target = remote == nil ? address : nil
        if remote == nil && target == nil { throw IOError("sendto", "no address", status: UV_EINVAL.rawValue) }
        var buffer = uv_buf_init(UnsafeMutablePointer(mutating: bytes.baseAddress?.assumingMemoryBound(to: CChar.self)), UInt32(bytes.count))
        if bufferedBytes == 0 {
            let sent = withTarget(target) { uv_udp_try_send(udp, &buffer, 1, $0) }
            if sent >= 0 { return }
            if sent != UV_EAGAIN.rawValue {
                userProtocol?.errorReceived(IOError("sendto", (target ?? remote)?.description ?? "udp", status: sent))
                return
            }
        }
        let request = UVRequest(UV_UDP_SEND, byteCount: bytes.count)
        if let copy = request.bytes { copy.copyMemory(from: bytes.baseAddress!, byteCount: bytes.count) }
        buffer = uv_buf_init(request.bytes?.assumingMemoryBound(to: CChar.self), UInt32(bytes.count))
        do {
            try request.start("sendto", (target ?? remote)?.description ?? "udp") { raw in
                withTarget(target) {
                    uv_udp_send(raw.assumingMemoryBound(to: uv_udp_send_t.self), udp, &buffer, 1, $0) { raw, status in
                        let udp = raw.unsafelyUnwrapped.pointee.handle  // read before completing: that may free the request
                        let request = UVRequest.complete(raw, result: Int(status))
                        UVHandle.owner(of: udp, as: DatagramTransport.self).sent(request.byteCount, status: status)
                    }
                }
            }
        } catch {
            userProtocol?.errorReceived(error)
            return
        }
        bufferedBytes += bytes.count
    }

    private func withTarget<T>(_ target: SocketAddress?, _ body: (UnsafePointer<sockaddr>?) -> T) -> T {
        guard let target else { return body(nil) }
        return target.withSockaddr { body($0) }
    }

    private func sent(_ count: Int, status: Int32) {
        bufferedBytes -= count
        if status < 0 && status != UV_ECANCELED.rawValue {
            userProtocol?.errorReceived(IOError("sendto", remote?.description ?? "udp", status: status))
        }
    }

    /// The bound local address (with the real port when bound to port 0); nil once closed.
    public var localAddress: SocketAddress? {
        check("DatagramTransport.localAddress")
        guard handle.isOpen else { return nil }
        var storage = sockaddr_storage()
        var length = Int32(MemoryLayout<sockaddr_storage>.size)
        let status = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { uv_udp_getsockname(udp, $0, &length) }
        }
        return status == 0 ? SocketAddress(storage: storage) : nil
    }

    /// Closes the endpoint; queued datagrams are dropped and the protocol's
    /// ``DatagramProtocol/connectionLost(_:)`` follows. Harmless if already closed.
    public func close() {
        check("DatagramTransport.close")
        closeNow()
    }

    func closeNow() {
        closing = true
        handle.close()
    }

    func handleDidClose(_ handle: UVHandle) {
        closing = true
        closedWaiters.wakeAll()
        let userProtocol = self.userProtocol
        self.userProtocol = nil
        userProtocol?.connectionLost(nil)
    }

    /// Waits until the endpoint's handle is closed.
    nonisolated(nonsending) public func waitClosed() async throws {
        check("DatagramTransport.waitClosed")
        while handle.state != .closed { try await closedWaiters.wait(on: loop, "DatagramTransport.waitClosed") }
    }
}

extension EventLoop {
    /// Creates a UDP endpoint (asyncio's `create_datagram_endpoint`): bound to `local` (host, port;
    /// port 0 picks one) and/or connected to `remote`, so that ``DatagramTransport/send(_:to:)-([UInt8],_)``
    /// needs no address and only the remote's datagrams arrive. Broadcast is off unless `allowBroadcast`.
    /// - Throws: ``IOError`` (`bind`, `connect`, `getaddrinfo`); `EINVAL` when neither address is given.
    nonisolated(nonsending) public func createDatagramEndpoint<P: DatagramProtocol>(
        local: (host: String, port: Int)? = nil, remote: (host: String, port: Int)? = nil,
        reuseAddress: Bool = false, allowBroadcast: Bool = false, _ protocolFactory: () -> P
    ) async throws -> (DatagramTransport, P) {
        try checkUsable("EventLoop.createDatagramEndpoint")
        guard local != nil || remote != nil else {
            throw IOError("createDatagramEndpoint", "no local or remote address", status: UV_EINVAL.rawValue)
        }
        var localAddress: SocketAddress?, remoteAddress: SocketAddress?
        if let local { localAddress = try await resolve(host: local.host, port: local.port).first }
        if let remote { remoteAddress = try await resolve(host: remote.host, port: remote.port).first }
        guard let any = localAddress ?? remoteAddress else {
            throw IOError("getaddrinfo", "\(local ?? remote!)", status: UV_EAI_NONAME.rawValue)
        }
        let family = any.host.contains(":") ? AF_INET6 : AF_INET
        let transport = try DatagramTransport(loop: self, family: family)
        do {
            if let localAddress { try transport.bind(localAddress, reuseAddress: reuseAddress) }
            if let remoteAddress { try transport.connect(remoteAddress) }
            if allowBroadcast { try transport.setBroadcast(true) }
            try transport.startReceiving()
        } catch {
            transport.closeNow()
            throw error
        }
        let userProtocol = protocolFactory()
        transport.userProtocol = userProtocol
        userProtocol.connectionMade(transport)
        return (transport, userProtocol)
    }
}
