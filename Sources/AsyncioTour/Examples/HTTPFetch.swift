import Asyncio
import AsyncioHTTP

extension Tour {
    /// aiohttp: many HTTP requests at once through one client session. No internet: the example starts
    /// AsyncioHTTP's server on 127.0.0.1 (whose /delay/N answers after N seconds, like
    /// httpbin.org/delay) and fetches from it with AsyncioHTTP's client (aiohttp's `ClientSession`: a
    /// pool of kept-alive connections per host), all fetches concurrently.
    static let httpFetch = Example(name: "http-fetch", title: "aiohttp: asynchronous HTTP client and server") { out in
        let loop = try EventLoop.running()
        // No timeouts on either side, only here: the tour's output test runs every example on a virtual
        // clock, which jumps to the next timer whenever nothing is ready — also while loopback bytes are
        // still in flight — so a 60 s idle or 30 s request timeout could fire in the middle of a fetch.
        // Real code keeps the defaults.
        let noTimeouts = HTTPServerConfiguration(idleTimeout: nil, headerTimeout: nil, bodyTimeout: nil, writeTimeout: nil)
        let server = try loop.startHTTPServer(port: 0, configuration: noTimeouts) { request in
            let delay = Int(request.path.split(separator: "/").last ?? "0") ?? 0
            try await sleep(for: .seconds(delay))
            return HTTPServerResponse(
                headerFields: [.contentType: "application/json"], body: "{\"path\": \"\(request.path)\", \"delay\": \(delay)}")
        }
        let base = "http://127.0.0.1:\(server.address!.port)"
        let client = try HTTPClient(configuration: .init(idleTimeout: nil, connectTimeout: nil, requestTimeout: nil, readTimeout: nil))

        @Sendable func fetchURL(_ path: String) async throws -> String {
            let response = try await client.get(base + path)
            return "\(response.status.code) " + (try await response.body.text(upTo: 1 << 16))
        }

        let start = loop.time()
        let results = try await gather([{ try await fetchURL("/delay/1") }, { try await fetchURL("/delay/2") }])
        out("Fetched \(results.count) responses in \(TourOutput.seconds(loop.time() - start)) seconds")
        for result in results { out("  \(result)") }
        // Two fetches at once took two connections; both stay open for the next requests.
        let again = try await gather((0..<2).map { _ in { @Sendable in try await fetchURL("/delay/0") } })
        out("Fetched \(again.count) more over the same kept-alive connections (\(client.connectionsMade) made in all)")
        client.shutdown()
        server.close()
        try await server.waitClosed()
    }
}
