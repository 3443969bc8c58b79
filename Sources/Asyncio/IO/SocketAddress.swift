import CLibUV
#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 or IPv6 socket address (what `getAddrInfo` returns and streams report as peer/socket name).
public struct SocketAddress: Sendable, Hashable, CustomStringConvertible {
    /// The numeric host ("127.0.0.1", "::1").
    public var host: String
    /// The port.
    public var port: Int

    /// Parses a numeric IPv4 or IPv6 address.
    /// - Throws: ``IOError`` (`EINVAL`) if `host` is not a numeric address.
    public init(host: String, port: Int) throws {
        guard (0...65535).contains(port) else { throw IOError("address", "\(host):\(port)", status: UV_EINVAL.rawValue) }
        var v4 = sockaddr_in(), v6 = sockaddr_in6()
        if uv_ip4_addr(host, Int32(port), &v4) != 0 && uv_ip6_addr(host, Int32(port), &v6) != 0 {
            throw IOError("address", "\(host):\(port)", status: UV_EINVAL.rawValue)
        }
        self.host = host
        self.port = port
    }

    init(storage: sockaddr_storage) {
        var storage = storage
        var buffer = [CChar](repeating: 0, count: 64)
        if storage.ss_family == sa_family_t(AF_INET6) {
            port = withUnsafePointer(to: &storage) { raw in
                raw.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { p in
                    uv_ip6_name(p, &buffer, buffer.count)
                    return Int(UInt16(bigEndian: p.pointee.sin6_port))
                }
            }
        } else {
            port = withUnsafePointer(to: &storage) { raw in
                raw.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { p in
                    uv_ip4_name(p, &buffer, buffer.count)
                    return Int(UInt16(bigEndian: p.pointee.sin_port))
                }
            }
        }
        host = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    init(sockaddr address: UnsafePointer<sockaddr>) {
        var storage = sockaddr_storage()
        let length = address.pointee.sa_family == sa_family_t(AF_INET6) ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size
        memcpy(&storage, address, length)
        self.init(storage: storage)
    }

    /// Calls `body` with the C socket address.
    func withSockaddr<T>(_ body: (UnsafePointer<sockaddr>) -> T) -> T {
        var v4 = sockaddr_in()
        if uv_ip4_addr(host, Int32(port), &v4) == 0 {
            return withUnsafePointer(to: &v4) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1, body) }
        }
        var v6 = sockaddr_in6()
        uv_ip6_addr(host, Int32(port), &v6)
        return withUnsafePointer(to: &v6) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1, body) }
    }

    /// A description for logs and debugging.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
