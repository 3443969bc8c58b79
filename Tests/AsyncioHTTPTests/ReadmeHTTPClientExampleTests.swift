import Asyncio
import AsyncioHTTP
import Testing

/// The README's HTTPClient example, verbatim except for the base URL (the README's server example on
/// a free port, started here) and `print`, which collects the lines: if this breaks, the README is wrong.
@Suite("README: HTTPClient example")
struct ReadmeHTTPClientExampleTests {
    @Test func theExamplePrintsWhatTheReadmeSays() async throws {
        let lines = try await run {
            let loop = try EventLoop.running()
            let server = try loop.startHTTPServer(port: 0) { request in  // the README's server, its three routes
                switch (request.method, request.path) {
                case (.get, "/"):
                    return HTTPServerResponse(headerFields: [.contentType: "text/plain"], body: "Hello, World!")
                case (.post, "/echo"):
                    return HTTPServerResponse(body: try await request.body.collect(upTo: 1 << 20))
                case (.get, "/count"):
                    return HTTPServerResponse { writer in
                        for n in 1...3 { try await writer.write("\(n)\n") }
                    }
                default:
                    return HTTPServerResponse(status: .notFound, body: "no route for \(request.path)\n")
                }
            }
            let base = "http://127.0.0.1:\(server.address!.port)"
            let refusedPort = server.address!.port == 1 ? 2 : 1  // nothing listens on port 1 here
            let printed = Lines()
            func print(_ items: Any...) { printed.lines.append(items.map { "\($0)" }.joined(separator: " ")) }

            // From the README (base URL and the refused port substituted):
            let client = try HTTPClient()                       // aiohttp.ClientSession(): a pool per host
            defer { client.shutdown() }

            let response = try await client.get("\(base)/")
            print(response.status.code, try await response.body.text(upTo: 1 << 20))     // 200 Hello, World!

            let echoed = try await client.post("\(base)/echo", body: .string("ping"))
            print(try await echoed.body.text(upTo: 1 << 20))                            // ping

            // Many fetches at once (asyncio.gather over session.get): they share kept-alive connections.
            let counts = try await gather((1...3).map { _ in
                { @Sendable in try await client.get("\(base)/count").body.text(upTo: 1 << 20) }
            })
            print(counts.map(\.count), client.connectionsMade)                           // [6, 6, 6] 3

            // A body as it arrives (back-pressure: reading pauses while it is not consumed).
            var received = 0
            for try await chunk in try await client.get("\(base)/count").body { received += chunk.count }
            print(received)                                                              // 6

            do {
                _ = try await client.get("http://127.0.0.1:\(refusedPort)/")
            } catch let error as HTTPClientError where error.kind == .connectionRefused {
                print("refused")                                                         // refused
            }
            // End of the README's code.
            server.close()
            return printed.lines
        }
        #expect(lines == ["200 Hello, World!", "ping", "[6, 6, 6] 3", "6", "refused"])
    }
}

private final class Lines: @unchecked Sendable {
    var lines: [String] = []
}
