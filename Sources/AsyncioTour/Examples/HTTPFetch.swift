import Asyncio

extension Tour {
    /// aiohttp: concurrent HTTP requests. No internet: the example starts its own HTTP server on
    /// 127.0.0.1 (whose /delay/N answers after N seconds, like httpbin.org/delay) and fetches from it
    /// with a minimal HTTP/1.0 client on the streams API (an HTTP library is beyond this package).
    static let httpFetch = Example(name: "http-fetch", title: "aiohttp: asynchronous HTTP client and server") { out in
        let loop = try EventLoop.running()
        let server = try loop.startServer(host: "127.0.0.1", port: 0) { reader, writer in
            let requestLine = String(decoding: try await reader.readLine(), as: UTF8.self)
            while try await reader.readLine() != [13, 10] {}  // skip the headers
            let path = requestLine.split(separator: " ").dropFirst().first ?? "/"
            let delay = Double(path.split(separator: "/").last ?? "0") ?? 0
            try await sleep(for: .seconds(delay))
            let body = "{\"path\": \"\(path)\", \"delay\": \(Int(delay))}"
            try writer.write("HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
            try await writer.drain()
        }
        let port = server.address!.port

        @Sendable func fetchURL(_ path: String) async throws -> String {
            let (reader, writer) = try await openConnection(host: "127.0.0.1", port: port)
            defer { writer.close() }
            try writer.write("GET \(path) HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
            let response = String(decoding: try await reader.read(), as: UTF8.self)
            return String(response.split(separator: "\r\n\r\n", maxSplits: 1).last ?? "")
        }

        let start = loop.time()
        let results = try await gather([{ try await fetchURL("/delay/1") }, { try await fetchURL("/delay/2") }])
        out("Fetched \(results.count) responses in \(TourOutput.seconds(loop.time() - start)) seconds")
        for result in results { out("  \(result)") }
        server.close()
        try await server.waitClosed()
    }
}

/// ``EventLoop/openConnection(host:port:limit:)`` on the running loop.
private func openConnection(host: String, port: Int) async throws -> (StreamReader, StreamWriter) {
    try await EventLoop.running().openConnection(host: host, port: port)
}
