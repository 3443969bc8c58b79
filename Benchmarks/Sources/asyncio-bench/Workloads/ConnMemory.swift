import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

// conn-memory (issue 19): what each open connection costs a server, in resident memory.
//   asyncio-bench conn-memory [--impl loop|nio|uvloop] [--api protocol|streams] [--n 5000] [--size 60000]
// The server runs in a child process (ours: `echo-server`; NIO: `nio-echo-server`; uvloop:
// py/conn_memory_server.py), so that its RSS is its own. This process is the client, with blocking
// sockets: it opens N connections, waits until the server holds N more descriptors (every one
// accepted), and reads the server's VmRSS (after a settle); then it sends `size` bytes on each
// connection and reads the echo back, 50 connections at a time, and reads VmRSS again. Printed:
// KiB per connection idle and after that traffic, above the server's RSS before any connection.

/// The server's process and what it answers on.
private struct ChildServer {
    let pid: pid_t
    let port: Int

    static func spawn(impl: String, api: String, port: Int) throws -> ChildServer {
        let arguments: [String]
        switch impl {
        case "loop":
            arguments = ["/proc/self/exe", "echo-server", "--port", "\(port)", "--mode", api]
        case "nio":
            arguments = ["/proc/self/exe", "nio-echo-server", "--port", "\(port)"]
        case "uvloop", "asyncio":
            arguments = ["/usr/bin/env", "python3", pythonScript("conn_memory_server.py"), "--api", api, "--port", "\(port)", "--impl", impl]
        default:
            throw BenchError("conn-memory --impl \(impl): use loop, nio or uvloop")
        }
        var pid: pid_t = 0
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let status = posix_spawn(&pid, argv[0]!, nil, nil, &argv, environ)
        guard status == 0 else { throw BenchError("posix_spawn \(arguments[0]): \(String(cString: strerror(status)))") }
        return ChildServer(pid: pid, port: port)
    }

    func stop() {
        kill(pid, SIGTERM)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }

    /// The server's resident memory, KiB.
    var rssKiB: Int {
        guard let file = fopen("/proc/\(pid)/status", "r") else { return 0 }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, 256, file) != nil {
            let text = String(decoding: line.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if text.hasPrefix("VmRSS:") {
                return Int(text.split(whereSeparator: { $0 == " " || $0 == "\t" })[1]) ?? 0
            }
        }
        return 0
    }

    /// How many descriptors the server holds.
    var descriptorCount: Int {
        guard let dir = opendir("/proc/\(pid)/fd") else { return 0 }
        defer { closedir(dir) }
        var count = 0
        while readdir(dir) != nil { count += 1 }
        return count - 2  // . and ..
    }
}

/// A file of Benchmarks/py, found from this source file's path.
func pythonScript(_ name: String) -> String {
    var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(4)  // Workloads/ConnMemory.swift, asyncio-bench/, Sources/
    return (parts + ["py", Substring(name)]).joined(separator: "/")
}

/// A free TCP port on 127.0.0.1 (bound, read, released).
func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = loopbackAddress(port: 0)
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard bound else { throw BenchError("bind: \(String(cString: strerror(errno)))") }
    return Int(UInt16(bigEndian: address.sin_port))
}

func loopbackAddress(port: Int) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    return address
}

/// A blocking connection to 127.0.0.1:port, or -1.
func connectBlocking(port: Int) -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return -1 }
    var address = loopbackAddress(port: port)
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
    }
    if !connected { close(fd); return -1 }
    var one: Int32 = 1
    setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    return fd
}

/// Raises the soft descriptor limit to the hard one (children inherit it).
func raiseDescriptorLimit(to wanted: Int) throws {
    var limit = rlimit()
    getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    if limit.rlim_cur < rlim_t(wanted) {
        limit.rlim_cur = min(limit.rlim_max, rlim_t(wanted))
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
    guard limit.rlim_cur >= rlim_t(wanted) else {
        throw BenchError("conn-memory needs \(wanted) descriptors; the hard limit is \(limit.rlim_max) (raise it: ulimit -Hn)")
    }
}

private func settle() { usleep(500_000) }

func connMemory(impl: String, api: String, n: Int, size: Int) throws {
    try raiseDescriptorLimit(to: 2 * n + 100)
    let port = try freePort()
    let server = try ChildServer.spawn(impl: impl, api: api, port: port)
    defer { server.stop() }
    // Wait until it listens.
    var probe: Int32 = -1
    for _ in 0..<600 where probe < 0 {
        probe = connectBlocking(port: port)
        if probe < 0 { usleep(20_000) }
    }
    guard probe >= 0 else { throw BenchError("the \(impl) server did not start on port \(port)") }
    close(probe)
    settle()
    let baseDescriptors = server.descriptorCount
    let baseRSS = server.rssKiB

    var sockets: [Int32] = []
    sockets.reserveCapacity(n)
    for _ in 0..<n {
        let fd = connectBlocking(port: port)
        guard fd >= 0 else { throw BenchError("connect: \(String(cString: strerror(errno))) after \(sockets.count)") }
        sockets.append(fd)
    }
    defer { for fd in sockets { close(fd) } }
    // Every connection accepted: the server holds n more descriptors.
    let start = now()
    while server.descriptorCount < baseDescriptors + n {
        guard now() - start < 60 else { throw BenchError("the server accepted \(server.descriptorCount - baseDescriptors) of \(n)") }
        usleep(10_000)
    }
    settle()
    let idleRSS = server.rssKiB

    let request = [UInt8](repeating: 0x61, count: size)
    var response = [UInt8](repeating: 0, count: size)
    let wave = 50
    for first in stride(from: 0, to: n, by: wave) {
        let batch = sockets[first..<min(n, first + wave)]
        for fd in batch {
            var sent = 0
            while sent < size {
                let written = request.withUnsafeBytes { send(fd, $0.baseAddress! + sent, size - sent, 0) }
                guard written > 0 else { throw BenchError("send: \(String(cString: strerror(errno)))") }
                sent += written
            }
        }
        for fd in batch {
            var received = 0
            while received < size {
                let got = response.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + received, size - received, 0) }
                guard got > 0 else { throw BenchError("recv: \(got == 0 ? "EOF" : String(cString: strerror(errno)))") }
                received += got
            }
        }
    }
    settle()
    let afterRSS = server.rssKiB
    let label = impl == "nio" ? "nio" : "\(impl)-\(api)"
    Report(impl: label, workload: "conn_memory", n: n, seconds: 0, ops: 1, extra: [
        ("request_bytes", "\(size)"),
        ("base_rss_kib", "\(baseRSS)"),
        ("idle_kib_per_conn", format(Double(idleRSS - baseRSS) / Double(n), 2)),
        ("after_traffic_kib_per_conn", format(Double(afterRSS - baseRSS) / Double(n), 2)),
    ]).print()
}

/// SwiftNIO's echo server (`asyncio-bench nio-echo-server --port P`), as conn-memory's peer: one event
/// loop thread, NIO's default (adaptive) receive allocator, backlog 4096, TCP_NODELAY.
final class NIOEchoHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    func channelRead(context: ChannelHandlerContext, data: NIOAny) { context.write(data, promise: nil) }
    func channelReadComplete(context: ChannelHandlerContext) { context.flush() }
    func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
}

func runNIOEchoServer(port: Int) throws {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let channel = try ServerBootstrap(group: group)
        .serverChannelOption(ChannelOptions.backlog, value: 4096)
        .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
        .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
        .childChannelInitializer { channel in
            channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(NIOEchoHandler()) }
        }
        .bind(host: "127.0.0.1", port: port).wait()
    try channel.closeFuture.wait()
}
