@testable import Asyncio
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Servers on an `EventLoopGroup` (SO_REUSEPORT on every loop), the group's graceful shutdown of its
/// servers, and servers on a socket bound by someone else (asyncio's `sock=`): issue 19.
@Suite("Servers on a group, adopted sockets")
struct GroupServerTests {
    /// A group of two loops listening on one port: the kernel spreads connections over both loops'
    /// sockets (by a hash of each connection's addresses; every new connection has a new source
    /// port), so connecting again until each loop has answered ends after a few connections — the
    /// bound of 200 fails only with probability 2^-199. Streams and protocols.
    @Test(arguments: [true, false])
    func aGroupOfTwoServesConnectionsOnBothLoops(streams: Bool) async throws {
        let group = try EventLoopGroup(loops: 2)
        let server = streams
            ? try group.startServer(port: 0) { reader, writer in
                for try await _ in reader { try writer.write("loop \(loopIndex(in: group))\n") }
            }
            : try group.createServer(port: 0) { WhichLoop(group: group) }
        #expect(server.servers.count == 2)
        #expect(zip(server.servers, group.loops).allSatisfy { $0.loop === $1 })
        let port = try #require(server.address).port
        let (seen, attempts) = try await answersUntilEveryLoopServed(port: port, loops: 2)
        #expect(seen == ["loop 0\n", "loop 1\n"], "after \(attempts) connections")
        await server.shutdown(gracePeriod: .seconds(5))
        try await server.waitClosed()
        #expect(await server.connectionCounts() == [0, 0])
        await group.shutdown(gracePeriod: .seconds(1))
    }

    /// The group's shutdown shuts its servers down gracefully (each loop's server registered itself):
    /// an idle client is closed at once, a request in flight is answered before its connection
    /// closes, and the group ends without waiting out the grace period.
    @Test(.timeLimit(.minutes(1)))
    func theGroupsShutdownShutsItsServersDownGracefully() async throws {
        let group = try EventLoopGroup(loops: 2)
        let gate = Gate()
        let server = try group.startServer(port: 0) { reader, writer in
            for try await line in reader {
                if text(line) == "slow\n" { try await gate.pass() }
                try writer.write("done \(text(line))")
            }
        }
        let port = try #require(server.address).port
        let serving = Task { try await server.serveForever() }
        let outcome = try await onLoopThread { loop -> [String] in
            try loop.runUntilComplete { () async throws -> [String] in
                let (idleReader, idleWriter) = try await loop.openConnection(host: "127.0.0.1", port: port)
                try idleWriter.write("hello\n")
                var seen = [text(try await idleReader.readLine())]
                let (busyReader, busyWriter) = try await loop.openConnection(host: "127.0.0.1", port: port)
                try busyWriter.write("slow\n")
                try await spin(loop, until: { gate.isWaiting }, "the request in flight")
                group.requestShutdown(gracePeriod: .seconds(60))
                seen.append(text(try await idleReader.read()))   // the idle connection closes at once
                gate.open()                                        // the work in flight ends
                seen.append(text(try await busyReader.read()))   // its answer, then the end
                return seen
            }
        }
        #expect(outcome == ["done hello\n", "", "done slow\n"])
        let start = ContinuousClock.now
        await group.waitUntilShutDown()
        #expect(ContinuousClock.now - start < .seconds(30))
        try await serving.value
        #expect(group.loops.allSatisfy { $0.isClosed })
    }

    /// asyncio's `sock=`: a server adopts a stream socket its caller bound (systemd socket activation,
    /// a process manager), listening already or not, TCP or Unix; closing the server closes it.
    @Test(arguments: AdoptedKind.allCases)
    func aServerAdoptsABoundSocket(_ kind: AdoptedKind) async throws {
        let path = temporarySocketPath()
        defer { unlink(path) }
        let (fd, port) = try kind.bind(path: path)
        let answer = try await onLoopThread { loop -> String in
            try loop.runUntilComplete { () async throws -> String in
                let server = kind == .tcpProtocol
                    ? try loop.createServer(socket: fd) { LineEcho() }
                    : try loop.startServer(socket: fd) { reader, writer in
                        for try await line in reader { try writer.write(line) }
                    }
                #expect(server.address?.port == (kind == .unix ? nil : port))
                let (reader, writer) = kind == .unix
                    ? try await loop.openUnixConnection(path: path)
                    : try await loop.openConnection(host: "127.0.0.1", port: port)
                try writer.write("adopted\n")
                let answer = text(try await reader.readLine())
                writer.close()
                server.close()
                try await server.waitClosed()
                return answer
            }
        }
        #expect(answer == "adopted\n")
    }

    /// A descriptor that is not a stream socket (UDP) is refused before anything owns it: it stays
    /// open, the caller's to close.
    @Test func aSocketThatIsNotAStreamIsRefusedAndLeftOpen() async throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        try #require(fd >= 0)
        defer { close(fd) }
        let error = try await onLoopThread { loop -> IOError? in
            do {
                _ = try loop.startServer(socket: fd) { _, _ in }
                return nil
            } catch let error as IOError {
                return error
            }
        }
        #expect(error?.operation == "adopt")
        #expect(error?.code == .EINVAL)
        #expect(fcntl(fd, F_GETFD) != -1)
    }

    /// A group serves one adopted socket from every loop: the first loop adopts it, the others a
    /// duplicate; every loop listens, and the connections are served. (Which loop accepts a given
    /// connection is a race between the loops' threads, so this does not ask for both.)
    @Test func aGroupServesAnAdoptedSocketFromEveryLoop() async throws {
        let (fd, port) = try AdoptedKind.tcpListening.bind(path: "")
        let group = try EventLoopGroup(loops: 2)
        let server = try group.startServer(socket: fd) { reader, writer in
            for try await _ in reader { try writer.write("loop \(loopIndex(in: group))\n") }
        }
        #expect(server.address?.port == port)
        let listening = try await withThrowingTaskGroup(of: Bool.self) { tasks in
            for (loop, each) in zip(group.loops, server.servers) {
                tasks.addTask { try await loop.runCoroutineThreadsafe { !each.isClosed && each.address?.port == port }.value }
            }
            return try await tasks.reduce(true) { $0 && $1 }
        }
        #expect(listening)
        let (seen, _) = try await answersUntilEveryLoopServed(port: port, loops: 2, attempts: 5)
        #expect(!seen.isEmpty && seen.isSubset(of: ["loop 0\n", "loop 1\n"]))
        server.close()
        try await server.waitClosed()
        await group.shutdown(gracePeriod: .seconds(1))
    }

    /// SIGTERM to a process serving from a group with `shutdownOnTerminationSignals`: the group shuts
    /// down gracefully — the idle client is closed, the request in flight when the signal came is
    /// answered first — and the program ends normally. (In a child process: the signal is real.)
    @Test(.timeLimit(.minutes(1)))
    func sigtermShutsTheGroupAndItsServerDownGracefully() async {
        await #expect(processExitsWith: .success) {
            let group = try EventLoopGroup(loops: 2)
            try group.shutdownOnTerminationSignals(gracePeriod: .seconds(30))
            let server = try group.startServer(port: 0) { reader, writer in
                for try await line in reader {
                    if text(line) == "terminate\n" {
                        kill(getpid(), SIGTERM)
                        // Answer only once the shutdown has begun: the request is in flight during it.
                        let loop = try EventLoop.running()
                        while !group.isShuttingDown { try await loop.sleep(for: .milliseconds(1)) }
                    }
                    try writer.write("done \(text(line))")
                }
            }
            let port = server.address!.port
            let seen = try await onLoopThread { loop -> [String] in
                try loop.runUntilComplete { () async throws -> [String] in
                    let (idleReader, idleWriter) = try await loop.openConnection(host: "127.0.0.1", port: port)
                    try idleWriter.write("hello\n")
                    var seen = [text(try await idleReader.readLine())]
                    let (busyReader, busyWriter) = try await loop.openConnection(host: "127.0.0.1", port: port)
                    try busyWriter.write("terminate\n")
                    seen.append(text(try await busyReader.read()))
                    seen.append(text(try await idleReader.read()))
                    return seen
                }
            }
            childRequire(seen == ["done hello\n", "done terminate\n", ""], "the clients saw \(seen)")
            await group.waitUntilShutDown()
            childRequire(group.loops.allSatisfy(\.isClosed), "a loop is still open")
        }
    }
}

/// The index of the loop running the caller in `group`.
func loopIndex(in group: EventLoopGroup) -> Int {
    group.loops.firstIndex { $0 === EventLoop.current } ?? -1
}

/// Connects to `port` (from a loop of its own) until `loops` different answers came back to "which",
/// at most `attempts` times; returns the answers and how many connections it took.
func answersUntilEveryLoopServed(port: Int, loops: Int, attempts: Int = 200) async throws -> (Set<String>, Int) {
    try await onLoopThread { loop -> (Set<String>, Int) in
        try loop.runUntilComplete { () async throws -> (Set<String>, Int) in
            var seen: Set<String> = []
            var made = 0
            while seen.count < loops && made < attempts {
                made += 1
                let (reader, writer) = try await loop.openConnection(host: "127.0.0.1", port: port)
                try writer.write("which\n")
                seen.insert(text(try await reader.readLine()))
                writer.close()
                try await writer.waitClosed()
            }
            return (seen, made)
        }
    }
}

/// Answers every line with the index of the loop it runs on.
final class WhichLoop: StreamProtocol, @unchecked Sendable {
    let group: EventLoopGroup
    var transport: StreamTransport?
    init(group: EventLoopGroup) { self.group = group }
    func connectionMade(_ transport: StreamTransport) { self.transport = transport }
    func dataReceived(_ bytes: UnsafeRawBufferPointer) {
        for byte in bytes where byte == 10 { try? transport?.write("loop \(loopIndex(in: group))\n") }
    }
}

/// Echoes what it receives.
final class LineEcho: StreamProtocol, @unchecked Sendable {
    var transport: StreamTransport?
    func connectionMade(_ transport: StreamTransport) { self.transport = transport }
    func dataReceived(_ bytes: UnsafeRawBufferPointer) { try? transport?.write(bytes) }
}

/// A thread-safe gate a handler on any loop waits at until the test opens it.
final class Gate: Sendable {
    private let state = Mutex<(waiting: Bool, open: Bool)>((false, false))
    var isWaiting: Bool { state.withLock { $0.waiting } }
    func open() { state.withLock { $0.open = true } }

    /// Waits (on the caller's loop, checking every millisecond) until the gate is open.
    nonisolated(nonsending) func pass() async throws {
        let loop = try EventLoop.running()
        state.withLock { $0.waiting = true }
        while !state.withLock({ $0.open }) { try await loop.sleep(for: .milliseconds(1)) }
    }
}

/// Sockets a test binds itself for a server to adopt.
enum AdoptedKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case tcp, tcpListening, tcpProtocol, unix

    var testDescription: String { rawValue }

    /// A bound socket (listening for `tcpListening`) and its port (0 for Unix).
    func bind(path: String) throws -> (Int32, Int) {
        if self == .unix {
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw POSIXFailure(call: "socket") }
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                path.utf8CString.withUnsafeBytes { raw.copyMemory(from: $0) }
            }
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0
                }
            }
            guard bound else { close(fd); throw POSIXFailure(call: "bind") }
            return (fd, 0)
        }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXFailure(call: "socket") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound, self != .tcpListening || listen(fd, 16) == 0 else { close(fd); throw POSIXFailure(call: "bind") }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }
}
