import Asyncio
import AsyncioHTTP
import HTTPTypes
#if canImport(Glibc)
import Glibc
#endif

/// The HTTP server of the wrk comparison (`asyncio-bench http-server --port P [--api http|floor] [--loops N]`):
/// binds 127.0.0.1:P and serves, until killed, `GET /` → `Hello, World!` (text/plain) and `POST /echo`
/// → the request body echoed; anything else → 404. `--api http` (the default) is AsyncioHTTP's server;
/// `--loops N` (default 1) serves on an `EventLoopGroup` of N loops sharing the port. `--api floor` is
/// the floor of AsyncioHTTP's design, not a server (see ``HTTPFloorProtocol``).
func runHTTPServer(port: Int, api: String, loops: Int) throws {
    guard api == "http" || api == "floor" else { throw BenchError("http-server --api \(api): use http or floor") }
    if api == "floor" {
        return try run { () async throws -> Void in
            let loop = try EventLoop.running()
            let server = try loop.createServer(host: "127.0.0.1", port: port, backlog: 1024) { HTTPFloorProtocol(loop: loop) }
            try await server.serveForever()
        }
    }
    let configuration = HTTPServerConfiguration(backlog: 1024)
    if loops > 1 {
        let group = try EventLoopGroup(loops: loops)
        _ = try group.startHTTPServer(port: port, configuration: configuration, helloAndEcho)
        while true { pause() }
    }
    try run { () async throws -> Void in
        let loop = try EventLoop.running()
        let server = try loop.startHTTPServer(port: port, configuration: configuration, helloAndEcho)
        try await server.serveForever()
    }
}

@Sendable func helloAndEcho(_ request: HTTPServerRequest) async throws -> HTTPServerResponse {
    switch (request.method, request.path) {
    case (.get, "/"):
        return HTTPServerResponse(headerFields: helloFields, body: helloBody)
    case (.post, "/echo"):
        return HTTPServerResponse(body: try await request.body.collect(upTo: 1 << 20))
    default:
        return HTTPServerResponse(status: .notFound)
    }
}

let helloBody = Array("Hello, World!".utf8)
/// The hello response's fields, built once (as a constant is in a Swift server: `HTTPFields` is copy-on-write).
let helloFields: HTTPFields = [.contentType: "text/plain"]

/// The floor of AsyncioHTTP's design, for `GET /` only: what any server that runs an `async` handler
/// taking and returning swift-http-types values as a task per request on the loop must do, and nothing
/// else — the protocol API, the end of each request found by scanning for CRLF CRLF (no parsing), per
/// request a Swift task started at once on the loop (`Task.immediate` with the loop as executor
/// preference) that builds an `HTTPRequest`, awaits a handler returning an `HTTPResponse`, and appends a
/// constant response; the responses of a read go out in one write.
final class HTTPFloorProtocol: StreamProtocol {
    let loop: EventLoop
    var transport: StreamTransport?
    private var matched = 0
    private var responses: [UInt8] = []
    init(loop: EventLoop) { self.loop = loop }
    func connectionMade(_ transport: StreamTransport) { self.transport = transport }
    func dataReceived(_ bytes: UnsafeRawBufferPointer) {
        let end: [UInt8] = [13, 10, 13, 10]
        responses.removeAll(keepingCapacity: true)
        for byte in bytes {
            if byte == end[matched] {
                matched += 1
                if matched == 4 { matched = 0; answer() }
            } else {
                matched = byte == 13 ? 1 : 0
            }
        }
        guard !responses.isEmpty else { return }
        do { try transport?.write(responses) } catch { transport?.close() }
    }
    private func answer() {
        nonisolated(unsafe) let connection = self
        Task.immediate(executorPreference: loop) {
            let request = HTTPRequest(method: .get, scheme: nil, authority: "127.0.0.1", path: "/")
            let response = await floorHandler(request)
            if response.status == .ok { connection.responses += floorResponse }
        }
    }
    func pauseWriting() { transport?.pauseReading() }
    func resumeWriting() { transport?.resumeReading() }
}

@Sendable func floorHandler(_ request: HTTPRequest) async -> HTTPResponse {
    HTTPResponse(status: request.path == "/" ? .ok : .notFound, headerFields: helloFields)
}

let floorResponse = Array("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!".utf8)
