import Asyncio
import AsyncioHTTP
import HTTPTypes
import Testing

/// The server against a raw TCP socket: exact bytes in, responses parsed back.
@Suite("HTTPServer over a raw socket")
struct HTTPServerRawTests {
    /// Three requests in one send: three responses, in order, on the one connection.
    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        try await withHTTPServer({ request in
            // The first is the slowest: order must not depend on who finishes first.
            if request.path == "/1" { try await sleep(for: .milliseconds(20)) }
            return HTTPServerResponse(body: "response \(request.path) \(try await request.body.collect(upTo: 100).count)")
        }) { loop, port, _ in
            let client = try await RawClient(loop, port: port)
            try await client.send(
                "GET /1 HTTP/1.1\r\nHost: h\r\n\r\nPOST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"
                + "GET /3 HTTP/1.1\r\nHost: h\r\n\r\n")
            var bodies: [String] = []
            for _ in 0..<3 {
                let response = try await client.response()
                bodies.append(String(decoding: response?.body ?? [], as: UTF8.self))
            }
            #expect(bodies == ["response /1 0", "response /2 5", "response /3 0"])
            // Still open: a fourth goes through.
            try await client.send("GET /4 HTTP/1.1\r\nHost: h\r\n\r\n")
            #expect(try await client.response()?.body == Array("response /4 0".utf8))
            client.close()
        }
    }

    /// A handler's `Connection: close` (in any case, among other tokens) is sent once and closes the
    /// connection after the response; without it the connection stays open.
    @Test func aHandlersConnectionCloseClosesAfterTheResponse() async throws {
        try await withHTTPServer({ request in
            let fields: HTTPFields = request.path == "/close" ? [.connection: "Upgrade, CLOSE"] : [:]
            return HTTPServerResponse(headerFields: fields, body: "ok")
        }) { loop, port, _ in
            let client = try await RawClient(loop, port: port)
            try await client.send("GET /stay HTTP/1.1\r\nHost: h\r\n\r\n")
            let first = try await client.response()
            #expect(first?.keepAlive == true)
            #expect(first?.fields.contains { $0.hasPrefix("connection") } == false)
            try await client.send("GET /close HTTP/1.1\r\nHost: h\r\n\r\n")
            let second = try await client.response()
            #expect(second?.body == Array("ok".utf8))
            #expect(second?.fields.filter { $0.hasPrefix("connection") } == ["connection: close"])
            #expect(try await client.readsEOF())
            client.close()
        }
    }

    /// Each malformed or oversized request gets its status, `Connection: close`, and the close.
    @Test(arguments: [
        ("GET / HTTP/1.1\r\nHost: h\r\nBad Header\r\n\r\n", 400),
        ("GET / HTTP/1.1\nHost: h\n\n", 400),
        ("GET / HTTP/1.1\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        ("GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501),
        ("GET /" + String(repeating: "a", count: 9000) + " HTTP/1.1\r\nHost: h\r\n\r\n", 414),
        ("GET / HTTP/1.1\r\nHost: h\r\nX: " + String(repeating: "a", count: 70000) + "\r\n\r\n", 431),
        ("\u{16}\u{3}\u{1}\u{2}\u{0}\u{1}\u{0}\u{1}\u{fc}\u{3}\u{3}\r\n\r\n", 400),  // a TLS hello
    ])
    func malformedRequestsGetTheirStatusAndAClose(request: String, status: Int) async throws {
        try await withHTTPServer(routesUnderTest) { loop, port, _ in
            let client = try await RawClient(loop, port: port)
            try await client.send(request)
            let response = try await client.response()
            #expect(response?.startLine == "HTTP/1.1 \(status)")
            #expect(field(response, "connection") == "close")
            #expect(try await client.readsEOF())
            client.close()
        }
    }

    @Test func aBodyTooLargeGets413() async throws {
        let configuration = HTTPServerConfiguration(limits: .init(maxBodySize: 1000))
        try await withHTTPServer(configuration: configuration, routesUnderTest) { loop, port, _ in
            let client = try await RawClient(loop, port: port)
            try await client.send("POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 1001\r\n\r\n")
            #expect(try await client.response()?.startLine == "HTTP/1.1 413")
            #expect(try await client.readsEOF())
            // Chunked: found out while the handler reads; its error carries the status.
            let chunked = try await RawClient(loop, port: port)
            try await chunked.send("POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3e8\r\n"
                                   + String(repeating: "x", count: 1000) + "\r\n1\r\ny\r\n0\r\n\r\n")
            #expect(try await chunked.response()?.startLine == "HTTP/1.1 413")
            #expect(try await chunked.readsEOF())
        }
    }

    /// Slowloris: `GET / HT` and silence. The head timeout answers 408 and closes.
    @Test func aHeadThatNeverEndsTimesOut() async throws {
        let configuration = HTTPServerConfiguration(headerTimeout: .milliseconds(200))
        try await withHTTPServer(configuration: configuration, routesUnderTest) { loop, port, _ in
            let client = try await RawClient(loop, port: port)
            try await client.send("GET / HT")
            let response = try await client.response()  // waits for the server: the timeout is the sync
            #expect(response?.startLine == "HTTP/1.1 408")
            #expect(try await client.readsEOF())
        }
    }

    /// A head trickling in, one byte at a time, does not renew the head timeout.
    @Test func aTricklingHeadTimesOutToo() async throws {
        let configuration = HTTPServerConfiguration(headerTimeout: .milliseconds(300))
        try await withHTTPServer(configuration: configuration, routesUnderTest) { loop, port, _ in
            let client = try await RawClient(loop, port: port)
            let trickle = try loop.createTask {
                for byte in "GET / HTTP/1.1\r\nX-Long: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".utf8 {
                    try await client.send(String(decoding: [byte], as: UTF8.self))
                    try await sleep(for: .milliseconds(20))
                }
            }
            #expect(try await client.response()?.startLine == "HTTP/1.1 408")
            trickle.cancel()
            _ = try? await trickle.value
        }
    }

    @Test func expectContinueIsSentWhenTheHandlerReads() async throws {
        try await withHTTPServer(routesUnderTest) { loop, port, _ in
            let client = try await RawClient(loop, port: port)
            try await client.send("POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
            let interim = try await client.response(to: .post)
            #expect(interim?.startLine == "HTTP/1.1 100")
            try await client.send("hello")
            let response = try await client.response(to: .post)
            #expect(response?.body == Array("hello".utf8))
            #expect(response?.keepAlive == true)
        }
    }

    /// A handler that answers without reading an expected-continue body: no 100, and the connection
    /// closes after the response (the client never sent the body).
    @Test func expectContinueNotReadClosesAfterTheResponse() async throws {
        try await withHTTPServer({ _ in HTTPServerResponse(status: .forbidden) }) { loop, port, _ in
            let client = try await RawClient(loop, port: port)
            try await client.send("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
            let response = try await client.response(to: .post)
            #expect(response?.startLine == "HTTP/1.1 403")
            #expect(field(response, "connection") == "close")
            #expect(try await client.readsEOF())
        }
    }

    /// An unread body is drained after the response, and the next request on the connection works.
    @Test func anUnreadBodyIsSkipped() async throws {
        try await withHTTPServer({ request in HTTPServerResponse(body: request.path) }) { loop, port, _ in
            let client = try await RawClient(loop, port: port)
            try await client.send("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 200000\r\n\r\n")
            #expect(try await client.response(to: .post)?.body == Array("/a".utf8))
            try await client.send(String(repeating: "z", count: 200000) + "GET /b HTTP/1.1\r\nHost: h\r\n\r\n")
            #expect(try await client.response()?.body == Array("/b".utf8))
        }
    }

    /// HTTP/1.0: closed after the response unless `Connection: keep-alive`.
    @Test func http10KeepAliveRules() async throws {
        try await withHTTPServer(routesUnderTest) { loop, port, _ in
            let client = try await RawClient(loop, port: port)
            try await client.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            let first = try await client.response()
            #expect(field(first, "connection") == "keep-alive")
            try await client.send("GET / HTTP/1.0\r\n\r\n")
            let second = try await client.response()
            #expect(second?.body == Array("Hello, World!".utf8))
            #expect(try await client.readsEOF())
        }
    }

    /// A request body read slowly arrives whole: reading pauses while the handler does not consume.
    @Test func aSlowlyReadBodyArrivesWhole() async throws {
        let configuration = HTTPServerConfiguration(bodyBufferSize: 16 * 1024)
        try await withHTTPServer(configuration: configuration, { request in
            var total = 0
            var checksum = 0
            for try await chunk in request.body {
                total += chunk.count
                for byte in chunk { checksum = (checksum &* 31 &+ Int(byte)) & 0xFFFFFF }
                try await sleep(for: .milliseconds(1))
            }
            return HTTPServerResponse(body: "\(total) \(checksum)")
        }) { loop, port, _ in
            let payload = patternBytes(1_000_000, seed: 3)
            var checksum = 0
            for byte in payload { checksum = (checksum &* 31 &+ Int(byte)) & 0xFFFFFF }
            let client = try await RawClient(loop, port: port)
            try await client.send("PUT /up HTTP/1.1\r\nHost: h\r\nContent-Length: \(payload.count)\r\n\r\n")
            try client.writer.write(payload)
            try await client.writer.drain()
            #expect(try await client.response(to: .put)?.body == Array("\(payload.count) \(checksum)".utf8))
        }
    }

    /// Graceful shutdown: an idle keep-alive connection closes at once, a request in flight finishes
    /// (its connection then closes), and shutdown returns.
    @Test func gracefulShutdown() async throws {
        try await run {
            let loop = try EventLoop.running()
            let release = Asyncio.Event()
            let started = Asyncio.Event()
            let server = try loop.startHTTPServer(port: 0) { request in
                if request.path == "/slow" {
                    started.set()
                    try await release.wait()
                }
                return HTTPServerResponse(body: "done \(request.path)")
            }
            let port = server.address!.port
            let idle = try await RawClient(loop, port: port)
            try await idle.send("GET /fast HTTP/1.1\r\nHost: h\r\n\r\n")
            #expect(try await idle.response()?.body == Array("done /fast".utf8))
            let busy = try await RawClient(loop, port: port)
            try await busy.send("GET /slow HTTP/1.1\r\nHost: h\r\n\r\n")
            try await started.wait()
            let shutdown = try loop.createTask { await server.shutdown(gracePeriod: .seconds(30)) }
            #expect(try await idle.readsEOF())  // at once, while /slow is still in flight
            #expect(!shutdown.isDone)
            release.set()
            #expect(try await busy.response()?.body == Array("done /slow".utf8))
            #expect(try await busy.readsEOF())
            try await shutdown.value
            #expect(server.connectionCount == 0)
        }
    }

    /// At the deadline, a request still in flight is aborted and its handler cancelled.
    @Test func shutdownAbortsAtTheDeadline() async throws {
        try await run {
            let loop = try EventLoop.running()
            let started = Asyncio.Event()
            let cancelled = Asyncio.Event()
            let server = try loop.startHTTPServer(port: 0) { _ in
                started.set()
                do {
                    try await sleep(for: .seconds(3600))
                } catch {
                    cancelled.set()
                    throw error
                }
                return HTTPServerResponse()
            }
            let client = try await RawClient(loop, port: server.address!.port)
            try await client.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n")
            try await started.wait()
            await server.shutdown(gracePeriod: .milliseconds(50))
            try await cancelled.wait()
            #expect(try await client.readsEOF())
        }
    }
}
