import Asyncio
#if canImport(Glibc)
import Glibc
#endif

// pipelined (issue 19): HTTP-style requests pipelined on keep-alive connections, against a server
// of either API in a child process (`asyncio-bench http-style-server --api protocol|streams --port P`).
//   asyncio-bench pipelined [--api protocol|streams] [--connections 50] [--depth 16] [--n 1000000]
// The client (this process, on the protocol API) keeps `depth` requests in flight on each connection
// and counts fixed-size responses; prints requests per second. Pin it (taskset): the child inherits.
// With `--port P` it runs only the client, against a server started apart (to count its instructions
// with `perf stat -p`).

let pipelinedRequest = Array("GET /plaintext HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8)
let pipelinedResponse = Array("HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain\r\n\r\nHello, World!".utf8)
private let headerEnd = Array("\r\n\r\n".utf8)

/// The HTTP-style server: answers every request (bytes through an empty line) with a fixed response.
func runHTTPStyleServer(port: Int, api: String) throws {
    guard api == "streams" || api == "protocol" else { throw BenchError("http-style-server --api \(api): use streams or protocol") }
    try run { () async throws -> Void in
        let loop = try EventLoop.running()
        let server: StreamServer
        if api == "protocol" {
            server = try loop.createServer(host: "127.0.0.1", port: port, backlog: 1024) { HTTPStyleProtocol() }
        } else {
            server = try loop.startServer(host: "127.0.0.1", port: port, backlog: 1024) { reader, writer in
                while true {
                    do {
                        _ = try await reader.readUntil(headerEnd)
                    } catch is IncompleteReadError {
                        break
                    }
                    try writer.write(pipelinedResponse)
                    try await writer.drain()
                }
            }
        }
        try await server.serveForever()
    }
}

/// The protocol-API server: finds the ends of requests across reads (a state machine over
/// `\r\n\r\n`) and answers every request of a read in one write, as a protocol server would.
final class HTTPStyleProtocol: StreamProtocol {
    var transport: StreamTransport?
    private var matched = 0
    private var responses: [UInt8] = []
    func connectionMade(_ transport: StreamTransport) { self.transport = transport }
    func dataReceived(_ bytes: UnsafeRawBufferPointer) {
        var complete = 0
        for byte in bytes {
            if byte == headerEnd[matched] {
                matched += 1
                if matched == 4 { complete += 1; matched = 0 }
            } else {
                matched = byte == 13 ? 1 : 0
            }
        }
        guard complete > 0 else { return }
        responses.removeAll(keepingCapacity: true)
        for _ in 0..<complete { responses += pipelinedResponse }
        do { try transport?.write(responses) } catch { transport?.close() }
    }
    func pauseWriting() { transport?.pauseReading() }
    func resumeWriting() { transport?.resumeReading() }
}

/// One client connection: keeps `depth` requests in flight until its share is sent.
private final class PipelinedClient: StreamProtocol {
    let share: Int
    let depth: Int
    let done: () -> Void
    var transport: StreamTransport?
    var sent = 0
    var received = 0
    var partial = 0
    init(share: Int, depth: Int, done: @escaping () -> Void) { self.share = share; self.depth = depth; self.done = done }

    func connectionMade(_ transport: StreamTransport) {
        self.transport = transport
        send(min(depth, share))
    }

    private func send(_ count: Int) {
        guard count > 0 else { return }
        var batch: [UInt8] = []
        batch.reserveCapacity(count * pipelinedRequest.count)
        for _ in 0..<count { batch += pipelinedRequest }
        sent += count
        try? transport?.write(batch)
    }

    func dataReceived(_ bytes: UnsafeRawBufferPointer) {
        partial += bytes.count
        let responses = partial / pipelinedResponse.count
        partial -= responses * pipelinedResponse.count
        received += responses
        send(min(responses, share - sent))
        if received == share { transport?.close(); done() }
    }
}

func pipelined(api: String, connections: Int, depth: Int, n: Int, serverPort: Int?) throws {
    if let serverPort { return try pipelinedClient(label: "loop-\(api)", port: serverPort, connections: connections, depth: depth, n: n) }
    let port = try freePort()
    var pid: pid_t = 0
    let arguments = ["/proc/self/exe", "http-style-server", "--api", api, "--port", "\(port)"]
    var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
    defer { for pointer in argv { free(pointer) } }
    guard posix_spawn(&pid, argv[0]!, nil, nil, &argv, environ) == 0 else { throw BenchError("posix_spawn failed") }
    defer { kill(pid, SIGTERM); var status: Int32 = 0; waitpid(pid, &status, 0) }
    var probe: Int32 = -1
    for _ in 0..<600 where probe < 0 {
        probe = connectBlocking(port: port)
        if probe < 0 { usleep(20_000) }
    }
    guard probe >= 0 else { throw BenchError("the http-style-server did not start") }
    close(probe)
    try pipelinedClient(label: "loop-\(api)", port: port, connections: connections, depth: depth, n: n)
}

/// The client side, against a server on 127.0.0.1:`port`.
func pipelinedClient(label: String, port: Int, connections: Int, depth: Int, n: Int) throws {
    let share = n / connections
    let seconds = try run { () async throws -> Double in
        let loop = try EventLoop.running()
        let finished = Event()
        var remaining = connections
        let start = now()
        for _ in 0..<connections {
            _ = try await loop.createConnection(host: "127.0.0.1", port: port) {
                PipelinedClient(share: share, depth: depth) {
                    remaining -= 1
                    if remaining == 0 { finished.set() }
                }
            }
        }
        try await finished.wait()
        return now() - start
    }
    Report(impl: label, workload: "pipelined", n: share * connections, seconds: seconds, extra: [
        ("connections", "\(connections)"), ("depth", "\(depth)"),
        ("requests_per_second", "\(Int(Double(share * connections) / seconds))"),
    ]).print()
}
