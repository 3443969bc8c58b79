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
    public func connectionMade(_ transport: DatagramTransport) {}
    public func datagramReceived(_ bytes: UnsafeRawBufferPointer, from address: SocketAddress) {}
    public func errorReceived(_ error: any Error) {}
    public func connectionLost(_ error: (any Error)?) {}
}

/// A UDP endpoint on a libuv `uv_udp_t` (asyncio's `DatagramTransport`), made by
/// ``EventLoop/createDatagramEndpoint(local:remote:reuseAddress:allowBroadcast:_:)``.
///
/// Loop-confined: libuv calls back on the loop thread and its methods must be called there, hence
/// `@unchecked Sendable`. It retains itself while its handle is open.
public final class DatagramTransport: LoopResource, @unchecked Sendable {
    let loop: EventLoop
    private let udp = UnsafeMutablePointer<uv_udp_t>.allocate(capacity: 1)
    private var uvHandle: UnsafeMutablePointer<uv_handle_t> { UnsafeMutableRawPointer(udp).assumingMemoryBound(to: uv_handle_t.self) }
    private static let receiveBufferSize = 64 * 1024
    private let receiveBuffer = UnsafeMutableRawPointer.allocate(byteCount: DatagramTransport.receiveBufferSize, alignment: 16)
    var userProtocol: (any DatagramProtocol)?
    /// The connected peer, if the endpoint was created with a remote address.
    public private(set) var remoteAddress: SocketAddress?
    /// Whether ``close()`` was called.
    public private(set) var isClosing = false
    private var handleClosed = false
    private let closedWaiters = WaitList()
    /// Bytes queued in libuv, not yet sent (asyncio's `get_write_buffer_size()`).
    public private(set) var writeBufferSize = 0

    init(loop: EventLoop, family: Int32) {
        self.loop = loop
        uv_udp_init_ex(loop.uvLoop, udp, UInt32(family))
        udp.pointee.data = Unmanaged.passRetained(self).toOpaque()
        loop.register(self)
    }

    deinit { receiveBuffer.deallocate() }

    func bind(_ address: SocketAddress, reuseAddress: Bool) throws {
        let status = address.withSockaddr { uv_udp_bind(udp, $0, reuseAddress ? UInt32(UV_UDP_REUSEADDR.rawValue) : 0) }
        if status < 0 { throw IOError("bind", address.description, status: status) }
    }

    func connect(_ address: SocketAddress) throws {
        let status = address.withSockaddr { uv_udp_connect(udp, $0) }
        if status < 0 { throw IOError("connect", address.description, status: status) }
        remoteAddress = address
    }

    func setBroadcast(_ on: Bool) throws {
        let status = uv_udp_set_broadcast(udp, on ? 1 : 0)
        if status < 0 { throw IOError("setsockopt", "SO_BROADCAST", status: status) }
    }

    func startReceiving() {
        uv_udp_recv_start(udp, { handle, _, buffer in
            let transport = Unmanaged<DatagramTransport>.fromOpaque(handle!.pointee.data).takeUnretainedValue()
            buffer!.pointee = uv_buf_init(transport.receiveBuffer.assumingMemoryBound(to: CChar.self), UInt32(DatagramTransport.receiveBufferSize))
        }, { handle, nread, _, address, _ in
            let transport = Unmanaged<DatagramTransport>.fromOpaque(handle!.pointee.data).takeUnretainedValue()
            guard let userProtocol = transport.userProtocol else { return }
            if nread < 0 {
                userProtocol.errorReceived(IOError("recvfrom", transport.remoteAddress?.description ?? "udp", status: Int32(nread)))
            } else if let address {  // nread == 0 with no address: nothing more to read
                userProtocol.datagramReceived(UnsafeRawBufferPointer(start: transport.receiveBuffer, count: nread),
                                              from: SocketAddress(sockaddr: address))
            }
        })
    }

    /// Sends one datagram (asyncio's `sendto`): to `address`, or to the connected remote when nil.
    /// Sent at once when the socket takes it, otherwise copied and queued. Errors from the socket go
    /// to the protocol's ``DatagramProtocol/errorReceived(_:)``, as in asyncio.
    /// - Throws: ``StreamClosedError`` after ``close()``; ``IOError`` (`EINVAL`) with no address on an
    ///   unconnected endpoint, or an address different from the connected remote.
    public func send(_ bytes: UnsafeRawBufferPointer, to address: SocketAddress? = nil) throws {
        if isClosing { throw StreamClosedError() }
        if let address, let remoteAddress, address != remoteAddress {
            throw IOError("sendto", address.description, status: UV_EINVAL.rawValue)
        }
        let target = remoteAddress == nil ? address : nil
        if remoteAddress == nil && target == nil { throw IOError("sendto", "no address", status: UV_EINVAL.rawValue) }
        var buffer = uv_buf_init(UnsafeMutablePointer(mutating: bytes.baseAddress?.assumingMemoryBound(to: CChar.self)), UInt32(bytes.count))
        if writeBufferSize == 0 {
            let sent = withTarget(target) { uv_udp_try_send(udp, &buffer, 1, $0) }
            if sent >= 0 { return }
            if sent != UV_EAGAIN.rawValue {
                userProtocol?.errorReceived(IOError("sendto", (target ?? remoteAddress)?.description ?? "udp", status: sent))
                return
            }
        }
        let pending = PendingDatagram(copying: bytes, transport: self)
        let request = UnsafeMutablePointer<uv_udp_send_t>.allocate(capacity: 1)
        request.pointee.data = Unmanaged.passRetained(pending).toOpaque()
        buffer = uv_buf_init(pending.bytes.assumingMemoryBound(to: CChar.self), UInt32(bytes.count))
        let status = withTarget(target) {
            uv_udp_send(request, udp, &buffer, 1, $0) { request, status in
                let pending = Unmanaged<PendingDatagram>.fromOpaque(request!.pointee.data).takeRetainedValue()
                request!.deallocate()
                pending.transport.sent(pending.count, status: status)
            }
        }
        if status < 0 {
            Unmanaged<PendingDatagram>.fromOpaque(request.pointee.data).release()
            request.deallocate()
            userProtocol?.errorReceived(IOError("sendto", (target ?? remoteAddress)?.description ?? "udp", status: status))
            return
        }
        writeBufferSize += bytes.count
    }

    /// Sends `bytes` (see ``send(_:to:)-(UnsafeRawBufferPointer,_)``).
    public func send(_ bytes: [UInt8], to address: SocketAddress? = nil) throws {
        try bytes.withUnsafeBytes { try send($0, to: address) }
    }

    /// Sends the UTF-8 bytes of `text`.
    public func send(_ text: String, to address: SocketAddress? = nil) throws {
        var text = text
        try text.withUTF8 { try send(UnsafeRawBufferPointer($0), to: address) }
    }

    private func withTarget<T>(_ target: SocketAddress?, _ body: (UnsafePointer<sockaddr>?) -> T) -> T {
        guard let target else { return body(nil) }
        return target.withSockaddr { body($0) }
    }

    private func sent(_ count: Int, status: Int32) {
        writeBufferSize -= count
        if status < 0 && status != UV_ECANCELED.rawValue {
            userProtocol?.errorReceived(IOError("sendto", remoteAddress?.description ?? "udp", status: status))
        }
    }

    /// The bound local address (with the real port when bound to port 0).
    public var localAddress: SocketAddress? {
        guard !isClosing else { return nil }
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
        guard !isClosing else { return }
        isClosing = true
        loop.unregister(self)
        uv_close(uvHandle) { handle in
            let transport = Unmanaged<DatagramTransport>.fromOpaque(handle!.pointee.data).takeRetainedValue()
            transport.handleClosed = true
            transport.closedWaiters.wakeAll()
            let userProtocol = transport.userProtocol
            transport.userProtocol = nil
            userProtocol?.connectionLost(nil)
            handle!.deallocate()
        }
    }

    /// Waits until the endpoint's handle is closed.
    nonisolated(nonsending) public func waitClosed() async throws {
        while !handleClosed { try await closedWaiters.wait(on: loop, "DatagramTransport.waitClosed") }
    }

    func closeForLoopShutdown() { close() }
}

/// A datagram copied for `uv_udp_send`, alive until its callback.
private final class PendingDatagram {
    let bytes: UnsafeMutableRawPointer
    let count: Int
    let transport: DatagramTransport

    init(copying source: UnsafeRawBufferPointer, transport: DatagramTransport) {
        count = source.count
        self.transport = transport
        bytes = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(count, 1), alignment: 1)
        if count > 0 { bytes.copyMemory(from: source.baseAddress!, byteCount: count) }
    }

    deinit { bytes.deallocate() }
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
        try checkUsable("createDatagramEndpoint")
        guard local != nil || remote != nil else {
            throw IOError("createDatagramEndpoint", "no local or remote address", status: UV_EINVAL.rawValue)
        }
        var localAddress: SocketAddress?, remoteAddress: SocketAddress?
        if let local { localAddress = try await getAddrInfo(host: local.host, port: local.port).first }
        if let remote { remoteAddress = try await getAddrInfo(host: remote.host, port: remote.port).first }
        guard let any = localAddress ?? remoteAddress else {
            throw IOError("getaddrinfo", "\(local ?? remote!)", status: UV_EAI_NONAME.rawValue)
        }
        let family = any.host.contains(":") ? AF_INET6 : AF_INET
        let transport = DatagramTransport(loop: self, family: family)
        do {
            if let localAddress { try transport.bind(localAddress, reuseAddress: reuseAddress) }
            if let remoteAddress { try transport.connect(remoteAddress) }
            if allowBroadcast { try transport.setBroadcast(true) }
        } catch {
            transport.close()
            throw error
        }
        let userProtocol = protocolFactory()
        transport.userProtocol = userProtocol
        userProtocol.connectionMade(transport)
        transport.startReceiving()
        return (transport, userProtocol)
    }
}
