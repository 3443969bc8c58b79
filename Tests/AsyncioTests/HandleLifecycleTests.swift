@testable import Asyncio
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// libuv handles in one place (issue 14): a failed `uv_*_init` is a thrown error and never closed; a
/// handle closes exactly once whatever the order of close, abort, the peer and the loop; a child
/// still running when its loop closes is killed and reaped.
@Suite("Handle lifecycle")
struct HandleLifecycleTests {
    /// Out of file descriptors (`EMFILE`, in a child process whose descriptor table is full), every
    /// kind of handle that creates a socket or a pipe fails with a thrown ``IOError`` naming the step
    /// that failed — no crash, no handle closed twice or left open — and the loop works again once
    /// descriptors are free.
    @Test(.timeLimit(.minutes(1)))
    func aHandleWhoseInitFailsThrowsAndTheLoopStaysSound() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            try await onLoopThread { loop in
                let path = "/tmp/asyncio-emfile-\(getpid()).sock"
                defer { unlink(path) }
                try loop.runUntilComplete {
                    let filler = exhaustDescriptors()
                    childRequire(!filler.isEmpty, "could not exhaust the descriptor table")
                    // (A signal watcher needs no descriptor of its own: the loop made its signal pipe.)
                    await expectEMFILE("startServer(reusePort:)", operation: "socket") {
                        _ = try loop.startServer(port: 0, reusePort: true) { _, _ in }
                    }
                    await expectEMFILE("createServer", operation: "socket") {  // the server makes its socket itself
                        _ = try loop.createServer(port: 0) { LifecycleProbe() }
                    }
                    await expectEMFILE("createDatagramEndpoint", operation: "socket") {
                        _ = try await loop.createDatagramEndpoint(local: ("127.0.0.1", 0)) { SilentDatagrams() }
                    }
                    await expectEMFILE("openConnection", operation: "connect") {
                        _ = try await loop.openConnection(host: "127.0.0.1", port: 1)
                    }
                    await expectEMFILE("startUnixServer", operation: "bind") {
                        _ = try loop.startUnixServer(path: path) { _, _ in }
                    }
                    await expectEMFILE("createSubprocessExec", operation: "spawn") {
                        _ = try loop.createSubprocessExec("true", stdout: .pipe)
                    }
                    for fd in filler { close(fd) }

                    // Descriptors are back: the same loop serves, connects, and closes everything.
                    let server = try loop.startServer(port: 0, reusePort: true) { reader, writer in
                        try writer.write(try await reader.readExactly(2))
                    }
                    let (reader, writer) = try await loop.openConnection(host: "127.0.0.1", port: server.address!.port)
                    try writer.write([1, 2])
                    childRequire(try await reader.readExactly(2) == [1, 2], "no echo after the descriptors came back")
                    writer.close()
                    try await writer.waitClosed()
                    server.close()
                    try await server.waitClosed()
                    try loop.addSignalHandler(SIGUSR2) {}
                    loop.removeSignalHandler(SIGUSR2)
                    try await loop.sleep(for: .zero)  // close callbacks
                    let dump = loop.dump()
                    childRequire(!["tcp", "udp", "pipe", "process", "signal"].contains { dump.contains($0) },
                                 "handles left open:\n\(dump)")
                }
                try loop.close()
            }
            childPassed()
        }
        let stderr = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(result?.exitStatus == .exitCode(childPassedStatus), "\(result.map { "\($0.exitStatus)" } ?? ""): \(stderr.suffix(1500))")
    }

    enum CloseOrder: String, CaseIterable, Sendable {
        case closeTwice, closeThenAbort, abortThenClose, abortTwice
        case peerClosesFirst, peerAbortsFirst, closeThenPeerCloses
        case loopCloseOnly, closeThenLoopClose, abortThenLoopClose, peerClosesThenLoopClose
        case flushingCloseThenAbort, flushingCloseThenPeerAborts, flushingCloseThenLoopClose

        var closesTheLoop: Bool { rawValue.hasSuffix("LoopClose") || self == .loopCloseOnly }
        var flushing: Bool { rawValue.hasPrefix("flushing") }
    }

    /// Both ends of a connection see exactly one `connectionLost`, and both transports are freed, for
    /// every order of the client's close()/abort(), the peer's close or reset, and closing the loop —
    /// also while a close is still flushing.
    @Test(arguments: CloseOrder.allCases)
    func aConnectionClosesExactlyOnceWhateverTheOrder(_ order: CloseOrder) async throws {
        let (clientLost, peerLost, freed, dump) = try await onLoopThread { loop -> (Int, Int, Bool, String) in
            final class Watch: @unchecked Sendable {
                weak var client: StreamTransport?
                weak var peer: StreamTransport?
                var clientProbe: LifecycleProbe?
                var peerProbe: LifecycleProbe?
            }
            let watch = Watch()
            try loop.runUntilComplete {
                let accepted = Event()
                let server = try loop.createServer(port: 0) {
                    let probe = LifecycleProbe(made: accepted)
                    watch.peerProbe = probe
                    return probe
                }
                let (client, probe) = try await loop.createConnection(host: "127.0.0.1", port: server.address!.port) {
                    LifecycleProbe()
                }
                try await accepted.wait()
                let peerProbe = watch.peerProbe!
                let peer = peerProbe.transport!
                watch.client = client
                watch.peer = peer
                watch.clientProbe = probe
                if order.flushing {
                    peer.pauseReading()  // the peer reads nothing: the flush cannot finish by itself
                    try client.write([UInt8](repeating: 1, count: 32 << 20))
                    #expect(client.writeBufferSize > 0)
                }
                switch order {
                case .closeTwice: client.close(); client.close()
                case .closeThenAbort, .flushingCloseThenAbort: client.close(); client.abort()
                case .abortThenClose: client.abort(); client.close()
                case .abortTwice: client.abort(); client.abort()
                case .peerClosesFirst: peer.close(); try await probe.lost.wait(); client.close()
                case .peerAbortsFirst: peer.abort(); try await probe.lost.wait(); client.close(); client.abort()
                case .closeThenPeerCloses: client.close(); peer.close()
                case .loopCloseOnly: break
                case .closeThenLoopClose, .flushingCloseThenLoopClose: client.close()
                case .abortThenLoopClose: client.abort()
                case .peerClosesThenLoopClose: peer.close()
                case .flushingCloseThenPeerAborts: client.close(); peer.abort()
                }
                guard !order.closesTheLoop else { return }
                if !peerProbe.lost.isSet && order.flushing { peer.resumeReading() }
                try await probe.lost.wait()
                try await peerProbe.lost.wait()
                server.close()
                try await server.waitClosed()
            }
            try loop.runUntilComplete { try await loop.sleep(for: .zero) }  // close callbacks
            let dump = order.closesTheLoop ? "" : loop.dump()
            try loop.close()
            let lost = (watch.clientProbe?.lostCount ?? -1, watch.peerProbe?.lostCount ?? -1)
            return (lost.0, lost.1, watch.client == nil && watch.peer == nil, dump)
        }
        #expect(clientLost == 1)
        #expect(peerLost == 1)
        #expect(freed, "a transport outlived its closed handle and loop")
        #expect(!dump.contains("tcp"), "\(dump)")
    }

    /// After the loop closed every handle, closing or aborting what is left does nothing (the loop's
    /// memory is gone: a second uv_close would touch it), and writing throws.
    @Test func closingAndAbortingAfterTheLoopClosedIsHarmless() async throws {
        let (lost, writeError) = try await onLoopThread { loop -> (Int, String) in
            let (client, probe, server, datagram) = try loop.runUntilComplete {
                () async throws -> (StreamTransport, LifecycleProbe, StreamServer, DatagramTransport) in
                let server = try loop.createServer(port: 0) { LifecycleProbe() }
                let (client, probe) = try await loop.createConnection(host: "127.0.0.1", port: server.address!.port) {
                    LifecycleProbe()
                }
                let (datagram, _) = try await loop.createDatagramEndpoint(local: ("127.0.0.1", 0)) { SilentDatagrams() }
                return (client, probe, server, datagram)
            }
            try loop.close()
            client.close()
            client.abort()
            server.close()
            datagram.close()
            var writeError = "none"
            do { try client.write([1]) } catch { writeError = "\(type(of: error))" }
            return (probe.lostCount, writeError)
        }
        #expect(lost == 1)
        #expect(writeError == "StreamClosedError")
    }

    /// Closing a loop while its child runs kills the child and reaps it: no zombie is left, one per
    /// loop, as before (issue 14, item 4).
    @Test func closingALoopReapsTheChildItKilled() async throws {
        let pid = try await onLoopThread { loop -> Int32 in
            let pid = try loop.runUntilComplete { try loop.createSubprocessExec("sleep", ["10"]).pid }
            try loop.close()
            return pid
        }
        #expect(childState(pid) == nil, "pid \(pid) is still our child: \(childState(pid) ?? "")")
    }

    /// The same through `run { }`: the child `main` left running is killed and reaped when `run`
    /// closes its loop.
    @Test func runReapsTheChildMainLeftRunning() async throws {
        let pid = try await run { try EventLoop.running().createSubprocessExec("sleep", ["10"]).pid }
        #expect(childState(pid) == nil, "pid \(pid) is still our child: \(childState(pid) ?? "")")
    }
}

/// A protocol that counts its callbacks and holds its transport weakly (so that a test can see the
/// transport freed).
final class LifecycleProbe: StreamProtocol, @unchecked Sendable {
    weak var transport: StreamTransport?
    private let made: Event?
    let lost = Event()
    private(set) var lostCount = 0
    private(set) var lostError: (any Error)?
    private(set) var received = 0

    init(made: Event? = nil) { self.made = made }

    func connectionMade(_ transport: StreamTransport) {
        self.transport = transport
        made?.set()
    }
    func dataReceived(_ bytes: UnsafeRawBufferPointer) { received += bytes.count }
    func connectionLost(_ error: (any Error)?) {
        lostCount += 1
        lostError = error
        lost.set()
    }
}

final class SilentDatagrams: DatagramProtocol {}

/// The state letter (`R`, `S`, `Z`...) of `pid` if it is still a child of this process (running or
/// a zombie), from `/proc/PID/stat`; nil once it is reaped.
func childState(_ pid: Int32) -> String? {
    guard let file = fopen("/proc/\(pid)/stat", "r") else { return nil }
    defer { fclose(file) }
    var buffer = [CChar](repeating: 0, count: 512)
    guard fgets(&buffer, Int32(buffer.count), file) != nil else { return nil }
    let line = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    guard let end = line.lastIndex(of: ")") else { return nil }
    let fields = line[line.index(after: end)...].split(separator: " ")  // state, ppid, ...
    guard fields.count > 1, Int32(fields[1]) == getpid() else { return nil }
    return String(fields[0])
}

/// Opens `/dev/null` until the descriptor table is full (the soft limit lowered to 512 first, to keep
/// it quick); returns the descriptors, to be closed to give them back. For exit tests only.
func exhaustDescriptors() -> [Int32] {
    var limit = rlimit()
    getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
    limit.rlim_cur = min(limit.rlim_cur, 512)
    setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
    var descriptors: [Int32] = []
    descriptors.reserveCapacity(512)
    while true {
        let fd = open("/dev/null", O_RDONLY | O_CLOEXEC)
        if fd < 0 { break }
        descriptors.append(fd)
    }
    return descriptors
}

/// The status of an exit test's child that checked everything (``childPassed()``). Such tests expect
/// `.failure` and then this exact status: an expectation of `.success` that fails returns no
/// result, so what the child wrote on stderr could not be shown.
let childPassedStatus: Int32 = 42

/// Ends an exit test's child process that checked everything, with ``childPassedStatus``.
func childPassed() -> Never { exit(childPassedStatus) }

/// In an exit test's child process: unless `condition` holds, writes `FAIL: message` to stderr and
/// exits with status 1.
func childRequire(_ condition: Bool, _ message: @autoclosure () -> String) {
    guard !condition else { return }
    let text = "FAIL: \(message())\n"
    _ = text.withCString { write(2, $0, strlen($0)) }
    exit(1)
}

/// In an exit test's child process: `body` must throw ``IOError`` `EMFILE` from `operation`.
func expectEMFILE(_ what: String, operation: String, _ body: () async throws -> Void) async {
    do {
        try await body()
        childRequire(false, "\(what) succeeded without descriptors")
    } catch let error as IOError {
        childRequire(error.code == .EMFILE && error.operation == operation, "\(what): \(error), expected \(operation) EMFILE")
    } catch {
        childRequire(false, "\(what): \(error)")
    }
}
