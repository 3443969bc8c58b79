import Asyncio
import AsyncioHTTP
#if canImport(Glibc)
import Glibc
#endif

/// The HTTP server of the wrk comparison (`asyncio-bench http-server --port P [--api http] [--loops N]`):
/// binds 127.0.0.1:P and serves, until killed, `GET /` → `Hello, World!` (text/plain) and `POST /echo`
/// → the request body echoed; anything else → 404. `--api http` (the only one, and the default) is
/// AsyncioHTTP's server; `--loops N` (default 1) serves on an `EventLoopGroup` of N loops sharing the port.
func runHTTPServer(port: Int, api: String, loops: Int) throws {
    guard api == "http" else { throw BenchError("http-server --api \(api): use http") }
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
