import Asyncio
#if canImport(Glibc)
import Glibc
#endif

/// Issue 19's comparison (`asyncio-bench group-echo --port P --loops N --mode reuseport|acceptor`):
/// the tcp_echo server in the protocol API (``EchoProtocol``, as `echo-server --mode protocol`) on an
/// `EventLoopGroup` of N loops, until killed.
/// - `reuseport`: the group's own server (`EventLoopGroup.createServer`): every loop listens on the
///   port with `SO_REUSEPORT` and the kernel spreads the connections.
/// - `acceptor`: one listening socket; one acceptor thread blocks in `accept` and hands each
///   connection's descriptor to the loops in turn (`callSoonThreadsafe`), which adopt it with
///   `connectAcceptedSocket`. (A thread of its own because the loop has no public descriptor watcher;
///   it sleeps in `accept` between connections, so it costs nothing once they are made.)
func runGroupEcho(port: Int, loops: Int, mode: String) throws {
    guard mode == "reuseport" || mode == "acceptor" else { throw BenchError("group-echo --mode \(mode): use reuseport or acceptor") }
    let group = try EventLoopGroup(loops: loops)
    if mode == "reuseport" {
        _ = try group.createServer(host: "127.0.0.1", port: port, backlog: 1024) { EchoProtocol() }
        while true { pause() }
    }
    let listener = try listenPlain(port: port, backlog: 1024)
    var next = 0
    while true {
        let fd = accept(listener, nil, nil)
        if fd < 0 {
            if errno == EINTR || errno == ECONNABORTED { continue }
            throw BenchError("accept: errno \(errno)")
        }
        let loop = group.loops[next]
        next = (next + 1) % group.loops.count
        _ = try loop.callSoonThreadsafe {
            let loop = try EventLoop.running()
            do {
                _ = try loop.connectAcceptedSocket(fd) { EchoProtocol() }
            } catch {
                close(fd)  // refused before adoption: still ours
            }
        }
    }
}

/// A blocking TCP socket listening on 127.0.0.1:`port` with `SO_REUSEADDR`.
private func listenPlain(port: Int, backlog: Int32) throws -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { throw BenchError("socket: errno \(errno)") }
    var one: Int32 = 1
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0, listen(fd, backlog) == 0 else { throw BenchError("bind/listen 127.0.0.1:\(port): errno \(errno)") }
    return fd
}
