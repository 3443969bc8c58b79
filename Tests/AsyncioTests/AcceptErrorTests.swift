@testable import Asyncio
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Issue 19: accept errors are counted and reported, and running out of descriptors pauses accepting
/// (for ``StreamServer/acceptRetryDelay``) instead of retrying at once; the server serves again once
/// descriptors free up, and no pending connection is dropped.
@Suite("Accept errors")
struct AcceptErrorTests {
    /// In a child process: six clients wait in the backlog while the descriptor table has room for
    /// two more. The server accepts two, meets `EMFILE` on the third, counts and reports it, pauses;
    /// as its handlers finish (closing their sockets) and the pause ends it accepts again — until all
    /// six are served, each getting its answer.
    @Test(.timeLimit(.minutes(1)))
    func runningOutOfDescriptorsPausesAcceptingAndServingResumesWhenTheyFreeUp() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let outcome = try await onLoopThread { loop -> (errors: Int, reports: [String], answers: [String], pausedOnce: Bool, later: String) in
                let reports = Box<[String]>([])
                loop.exceptionHandler = { _, context in
                    reports.value.append("\(context.message): \((context.error as? IOError)?.code.name ?? "?")")
                }
                return try loop.runUntilComplete { () async throws -> (errors: Int, reports: [String], answers: [String], pausedOnce: Bool, later: String) in
                    let served = Box(0)
                    let allServed = Event()
                    let pausedOnce = Box(false)
                    weak var serverRef: StreamServer?  // weak: the server holds this handler
                    let server = try loop.startServer(port: 0) { reader, writer in
                        let line = try await reader.readLine()
                        if serverRef?.isAcceptPaused == true { pausedOnce.value = true }
                        try writer.write(line)
                        served.value += 1
                        if served.value == 6 { allServed.set() }
                    }
                    serverRef = server
                    let port = server.address!.port
                    var clients: [Int32] = []
                    for _ in 0..<6 {
                        let fd = blockingConnection(port: port)
                        childRequire(fd >= 0, "connect failed: \(errno)")
                        childRequire(send(fd, "hi\n", 3, 0) == 3, "send failed")
                        clients.append(fd)
                    }
                    var filler = exhaustDescriptors()
                    childRequire(filler.count > 2, "could not exhaust the descriptor table")
                    close(filler.removeLast())
                    close(filler.removeLast())  // room for two connections at a time
                    try await allServed.wait()
                    for fd in filler { close(fd) }
                    var answers: [String] = []
                    for fd in clients {
                        var bytes = [UInt8](repeating: 0, count: 16)
                        let count = recv(fd, &bytes, 16, 0)
                        answers.append(String(decoding: bytes.prefix(max(0, count)), as: UTF8.self))
                        close(fd)
                    }
                    // Descriptors are back: a new client is served at once.
                    let (reader, writer) = try await loop.openConnection(host: "127.0.0.1", port: port)
                    try writer.write("again\n")
                    let later = String(decoding: try await reader.readLine(), as: UTF8.self)
                    writer.close()
                    let errors = server.acceptErrorCount
                    server.close()
                    try await server.waitClosed()
                    return (errors, reports.value, answers, pausedOnce.value, later)
                }
            }
            childRequire(outcome.errors >= 1, "no accept error counted")
            childRequire(outcome.pausedOnce, "accepting was never seen paused")
            childRequire(outcome.reports.count == outcome.errors, "reported \(outcome.reports), counted \(outcome.errors)")
            childRequire(outcome.reports.allSatisfy { $0 == "Error accepting a connection: EMFILE" }, "reports: \(outcome.reports)")
            childRequire(outcome.answers == Array(repeating: "hi\n", count: 6), "answers: \(outcome.answers)")
            childRequire(outcome.later == "again\n", "after the descriptors came back: \(outcome.later)")
            childPassed()
        }
        let stderr = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(result?.exitStatus == .exitCode(childPassedStatus), "\(result.map { "\($0.exitStatus)" } ?? ""): \(stderr.suffix(1500))")
    }
}

/// A blocking TCP connection to 127.0.0.1:`port` (completed by the kernel's backlog, accepted or
/// not), or -1.
private func blockingConnection(port: Int) -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return -1 }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
    }
    if !connected { close(fd); return -1 }
    return fd
}
