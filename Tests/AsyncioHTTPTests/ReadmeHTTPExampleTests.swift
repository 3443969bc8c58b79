import Asyncio
import AsyncioHTTP
import Testing

/// The README's AsyncioHTTP example, verbatim except for the port (0: a free one) and the end (curl
/// asks each route, then the server shuts down, instead of `serveForever()`): if this breaks, the
/// README is wrong.
@Suite("README: AsyncioHTTP example")
struct ReadmeHTTPExampleTests {
    @Test func theExampleAnswersAsTheReadmeSays() async throws {
        let outputs = try await run {
            struct Oops: Error {}
            let loop = try EventLoop.running()
            let server = try loop.startHTTPServer(port: 0) { request in
                switch (request.method, request.path) {
                case (.get, "/"):
                    return HTTPServerResponse(headerFields: [.contentType: "text/plain"], body: "Hello, World!")
                case (.post, "/echo"):
                    return HTTPServerResponse(body: try await request.body.collect(upTo: 1 << 20))
                case (.get, "/count"):
                    return HTTPServerResponse { writer in            // streamed: chunked, with back-pressure
                        for n in 1...3 { try await writer.write("\(n)\n") }
                    }
                case (_, "/fail"):
                    throw Oops()                                     // 500; the connection goes on
                default:
                    return HTTPServerResponse(status: .notFound, body: "no route for \(request.path)\n")
                }
            }
            loop.exceptionHandler = { _, _ in }  // the /fail request's report
            let base = "http://127.0.0.1:\(server.address!.port)"
            var outputs: [String] = []
            for arguments in [["\(base)/"], ["--data-binary", "ping", "\(base)/echo"], ["\(base)/count"],
                              ["-w", "%{http_code}", "\(base)/fail"], ["\(base)/elsewhere"]] {
                let output = try await runProgram(loop, "curl", ["-sS"] + arguments)
                outputs.append(output.text)
            }
            await server.shutdown(gracePeriod: .seconds(1))
            return outputs
        }
        #expect(outputs == ["Hello, World!", "ping", "1\n2\n3\n", "500", "no route for /elsewhere\n"])
    }
}
