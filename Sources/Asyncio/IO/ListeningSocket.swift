import CLibUV
#if canImport(Glibc)
import Glibc
#endif

/// Listening sockets a server creates itself (to set `SO_REUSEPORT` before `bind`) or adopts (asyncio's
/// `sock=`), before libuv takes them over with `uv_tcp_open` / `uv_pipe_open`.
enum ListeningSocket {
    /// A stream socket's kind, for the libuv handle that adopts it.
    enum Kind { case tcp, unix }

    /// A non-blocking, close-on-exec TCP socket bound to `address`, not yet listening, with
    /// `SO_REUSEADDR` (as libuv's `uv_tcp_bind` sets) and, when asked, `SO_REUSEPORT`.
    /// - Throws: ``IOError`` (`socket`, `setsockopt`, `bind`); the socket is closed first.
    static func bindTCP(_ address: SocketAddress, reusePort: Bool) throws(IOError) -> Int32 {
        let family = address.host.contains(":") ? AF_INET6 : AF_INET
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        if fd < 0 { throw IOError("socket", address.description, status: -errno) }
        func fail(_ operation: String, _ target: String) -> IOError {
            let error = IOError(operation, target, status: -errno)
            close(fd)
            return error
        }
        var one: Int32 = 1
        let size = socklen_t(MemoryLayout<Int32>.size)
        if setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, size) != 0 { throw fail("setsockopt", "SO_REUSEADDR") }
        if reusePort, setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, size) != 0 { throw fail("setsockopt", "SO_REUSEPORT") }
        let length = socklen_t(family == AF_INET6 ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size)
        if address.withSockaddr({ bind(fd, $0, length) }) != 0 { throw fail("bind", address.description) }
        return fd
    }

    /// What `fd` is, checked before a server adopts it: a stream socket of a family libuv serves.
    /// - Throws: ``IOError`` (`adopt`): `ENOTSOCK` / `EBADF` for a descriptor that is not an open
    ///   socket, `EINVAL` for a socket that is not a stream (UDP) or of another family.
    static func kind(of fd: Int32) throws(IOError) -> Kind {
        var type: Int32 = 0
        var size = socklen_t(MemoryLayout<Int32>.size)
        if getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &size) != 0 { throw IOError("adopt", "socket \(fd)", status: -errno) }
        guard type == Int32(SOCK_STREAM.rawValue) else {
            throw IOError("adopt", "socket \(fd) (not a stream socket)", status: UV_EINVAL.rawValue)
        }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        if named != 0 { throw IOError("adopt", "socket \(fd)", status: -errno) }
        switch Int32(storage.ss_family) {
        case AF_INET, AF_INET6: return .tcp
        case AF_UNIX: return .unix
        default: throw IOError("adopt", "socket \(fd) (family \(storage.ss_family))", status: UV_EINVAL.rawValue)
        }
    }
}
