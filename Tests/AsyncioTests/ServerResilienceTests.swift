@testable import Asyncio
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A server never dies of its peers or its handlers (issue 14, items 2 and 3; issue 18.11).
@Suite("Server resilience")
struct ServerResilienceTests {
    /// `startServer { r, _ in _ = try await r.readExactly(100) }` and a client that sends one byte and
    /// closes: the handler's `IncompleteReadError` reaches the loop's exception handler, its connection
    /// is closed, and the server goes on serving the next client.
    @Test func aThrowingHandlerIsReportedAndTheServerKeepsServing() async throws {
        let (reports, echoed) = try await onLoopThread { loop -> ([String], [UInt8]) in
            let reports = Box<[ExceptionContext]>([])
            loop.exceptionHandler = { _, context in reports.value.append(context) }
            let echoed = try loop.runUntilComplete { () async throws -> [UInt8] in
                let server = try loop.startServer(port: 0) { reader, writer in
                    let request = try await reader.readExactly(100)
                    try writer.write(request)
                }
                let port = server.address!.port
                let (firstReader, firstWriter) = try await loop.openConnection(host: "127.0.0.1", port: port)
                try firstWriter.write([1])
                try firstWriter.writeEOF()
                #expect(try await firstReader.read() == [])   // the server closed that connection
                firstWriter.close()
                let (reader, writer) = try await loop.openConnection(host: "127.0.0.1", port: port)
                let request = [UInt8](repeating: 7, count: 100)
                try writer.write(request)
                let echoed = try await reader.readExactly(100)
                writer.close()
                server.close()
                try await server.waitClosed()
                return echoed
            }
            return (reports.value.map { "\($0.message): \(type(of: $0.error.map { $0 as Any } ?? "none"))" }, echoed)
        }
        #expect(reports == ["Unhandled error in a connection handler: IncompleteReadError"])
        #expect(echoed == [UInt8](repeating: 7, count: 100))
    }

    /// A handler that writes to a connection its peer has closed gets a thrown `EPIPE`/`ECONNRESET`;
    /// the process does not die of SIGPIPE (in a child process, where such a death is a failure).
    @Test(.timeLimit(.minutes(1)))
    func writingToAClosedPeerThrowsInsteadOfKillingTheProcess() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let outcome = try await onLoopThread { loop -> IOError.Code? in
                try loop.runUntilComplete { () async throws -> IOError.Code? in
                    let outcome = Box<IOError.Code?>(nil)  // nil: the handler did not run, or every write succeeded
                    let done = Event()
                    let server = try loop.startServer(port: 0) { reader, writer in
                        defer { done.set() }
                        _ = try await reader.read()   // to the peer's EOF: it closed
                        do {
                            for _ in 0..<1000 {
                                try writer.write([UInt8](repeating: 3, count: 1 << 16))
                                try await writer.drain()
                            }
                            outcome.value = nil
                        } catch let error as IOError {
                            outcome.value = error.code
                        }
                    }
                    let (_, writer) = try await loop.openConnection(host: "127.0.0.1", port: server.address!.port)
                    writer.close()
                    try await writer.waitClosed()
                    try await done.wait()
                    server.close()
                    try await server.waitClosed()
                    return outcome.value
                }
            }
            childRequire(outcome == .EPIPE || outcome == .ECONNRESET, "the handler saw: \(String(describing: outcome))")
            childPassed()
        }
        let stderr = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(result?.exitStatus == .exitCode(childPassedStatus), "\(result.map { "\($0.exitStatus)" } ?? ""): \(stderr.suffix(1000))")
    }

    /// A socket file left by a server that died (bound, never removed) does not stop a new server
    /// at that path: it is replaced.
    @Test func aStaleUnixSocketFileIsReplaced() async throws {
        let path = temporarySocketPath()
        defer { unlink(path) }
        try leaveStaleSocket(at: path)
        let reply = try await onLoopThread { loop -> String in
            try loop.runUntilComplete { () async throws -> String in
                let server = try loop.startUnixServer(path: path) { reader, writer in
                    try writer.write(try await reader.readLine())
                }
                let (reader, writer) = try await loop.openUnixConnection(path: path)
                try writer.write("ping\n")
                let reply = String(decoding: try await reader.readLine(), as: UTF8.self)
                writer.close()
                server.close()
                try await server.waitClosed()
                return reply
            }
        }
        #expect(reply == "ping\n")
    }

    /// A Unix server removes its socket file when it closes — and when its loop closes. (libuv
    /// unlinks the path a pipe bound when the handle closes: this pins that behaviour down.)
    @Test(arguments: [false, true])
    func aUnixServerRemovesItsSocketFileWhenItCloses(byClosingTheLoop: Bool) async throws {
        let path = temporarySocketPath()
        defer { unlink(path) }
        let existedWhileServing = try await onLoopThread { loop -> Bool in
            let server = try loop.createUnixServer(path: path) { LifecycleProbe() }
            let existed = isSocketFile(path)
            if !byClosingTheLoop {
                server.close()
                try loop.runUntilComplete { try await server.waitClosed() }
            }
            try loop.close()
            return existed
        }
        #expect(existedWhileServing)
        #expect(!fileExistsAt(path))
    }

    /// Something that is not a socket at the path (a regular file) is refused with a clear error
    /// and left as it was.
    @Test func aRegularFileAtTheSocketPathIsRefusedAndLeftUntouched() async throws {
        let path = temporarySocketPath()
        defer { unlink(path) }
        let content = "precious data\n"
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        try #require(fd >= 0)
        _ = content.withCString { write(fd, $0, strlen($0)) }
        close(fd)
        let error = try await onLoopThread { loop -> IOError? in
            do {
                _ = try loop.startUnixServer(path: path) { _, _ in }
                return nil
            } catch let error as IOError {
                return error
            }
        }
        #expect(error?.operation == "bind")
        #expect(error?.code == .EADDRINUSE)
        #expect(error?.description.contains("not a socket") == true, "\(String(describing: error))")
        #expect(readWholeFile(path) == content)
    }
}

func temporarySocketPath() -> String {
    "/tmp/asyncio-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
}

/// Binds a Unix socket at `path` and closes it without removing the file: what a server that died
/// leaves behind.
func leaveStaleSocket(at path: String) throws {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw POSIXFailure(call: "socket") }
    defer { close(fd) }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { bytes in
        for (i, byte) in path.utf8.enumerated() where i < bytes.count - 1 { bytes[i] = byte }
    }
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    guard bound == 0 else { throw POSIXFailure(call: "bind") }
}

func isSocketFile(_ path: String) -> Bool {
    var info = stat()
    return lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFSOCK
}

func fileExistsAt(_ path: String) -> Bool {
    var info = stat()
    return lstat(path, &info) == 0
}

func readWholeFile(_ path: String) -> String? {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = read(fd, &buffer, buffer.count)
        if n <= 0 { break }
        bytes += buffer[0..<n]
    }
    return String(decoding: bytes, as: UTF8.self)
}
