import Asyncio
@testable import AsyncioHTTP
import HTTPTypes
import Testing

/// `HTTPClient` against `AsyncioHTTP`'s own server: both halves of the product together.
@Suite("HTTPClient against AsyncioHTTP's server")
struct HTTPClientOwnServerTests {
    /// A server with a few routes: echo, a streamed large body, HEAD-able text, a redirect, a failure.
    static func startServer(on loop: EventLoop) throws -> StreamServer {
        try loop.startHTTPServer(port: 0) { request in
            switch (request.method, request.path) {
            case (.post, "/echo"), (.put, "/echo"):
                return HTTPServerResponse(body: try await request.body.collect(upTo: 1 << 24))
            case (_, "/text"):
                return HTTPServerResponse(headerFields: [.contentType: "text/plain"], body: "some text")
            case (_, "/big"):
                return HTTPServerResponse { writer in  // chunked, 8 MiB, written as fast as the client reads
                    for index in 0..<128 { try await writer.write(Self.block(index)) }
                }
            case (_, "/moved"):
                return HTTPServerResponse(status: .seeOther, headerFields: [.location: "/text"])
            case (_, "/fail"):
                struct Failure: Error {}
                throw Failure()
            default:
                return HTTPServerResponse(status: .notFound, body: "no \(request.path)")
            }
        }
    }

    static func block(_ index: Int) -> [UInt8] { [UInt8](repeating: UInt8(truncatingIfNeeded: index), count: 64 * 1024) }

    @Test func exchangesBodiesBothWaysOverOneKeptAliveConnection() async throws {
        try await withClientLoop { loop in
            let server = try Self.startServer(on: loop)
            let base = "http://127.0.0.1:\(server.address!.port)"
            let client = try HTTPClient()
            let payload = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 * 7) }
            #expect(try await client.post(base + "/echo", body: .bytes(payload)).body.collect(upTo: 1 << 20) == payload)
            let streamed = try await client.post(base + "/echo", body: .stream { writer in
                for start in stride(from: 0, to: payload.count, by: 50_000) {
                    try await writer.write(Array(payload[start..<min(start + 50_000, payload.count)]))
                }
            })
            #expect(try await streamed.body.collect(upTo: 1 << 20) == payload)
            var put = HTTPRequest(method: .put, scheme: "http", authority: "127.0.0.1:\(server.address!.port)", path: "/echo")
            put.headerFields[.contentType] = "application/octet-stream"
            #expect(try await client.request(put, body: .stream(length: 3) { try await $0.write([1, 2, 3]) }).body.collect(upTo: 10) == [1, 2, 3])

            let head = try await client.request(HTTPRequest(method: .head, scheme: "http", authority: "127.0.0.1:\(server.address!.port)", path: "/text"))
            #expect(head.status.code == 200)
            #expect(head.headerFields[.contentLength] == "9")
            #expect(try await head.body.collect(upTo: 100).isEmpty)
            #expect(try await client.get(base + "/text").body.text(upTo: 100) == "some text")

            let redirected = try await client.post(base + "/moved", body: .string("ignored"))
            #expect(redirected.url == base + "/text")
            #expect(try await redirected.body.text(upTo: 100) == "some text")

            let failed = try await client.get(base + "/fail")
            #expect(failed.status.code == 500)
            _ = try await failed.body.collect(upTo: 1000)
            let missing = try await client.get(base + "/nowhere")
            #expect(missing.status == .notFound)
            #expect(try await missing.body.text(upTo: 100) == "no /nowhere")
            #expect(client.connectionsMade == 1)
            client.shutdown()
            server.close()
            try await server.waitClosed()
        }
    }

    @Test func aLargeStreamedBodyIsReadWithBackPressure() async throws {
        try await withClientLoop { loop in
            let server = try Self.startServer(on: loop)
            let base = "http://127.0.0.1:\(server.address!.port)"
            let limit = 128 * 1024
            let client = try HTTPClient(configuration: .init(bodyBufferSize: limit))
            let response = try await client.get(base + "/big")
            #expect(response.headerFields[.transferEncoding] == "chunked")
            // The reader takes its time: many loop iterations pass with bytes arriving and nobody reading.
            for _ in 0..<200 { try await loop.sleep(for: .zero) }
            var received = 0
            var intact = true
            for try await chunk in response.body {
                // Each 64 KiB block is its index repeated: the first and last byte of each chunk say
                // whether the chunks come whole and in order (a per-byte check is slow in debug builds).
                if chunk.first != UInt8(truncatingIfNeeded: received / (64 * 1024))
                    || chunk.last != UInt8(truncatingIfNeeded: (received + chunk.count - 1) / (64 * 1024)) {
                    intact = false
                }
                received += chunk.count
            }
            #expect(received == 128 * 64 * 1024)
            #expect(intact)
            // Reading paused above the limit: never more than the limit and one socket read (64 KiB) waited unread.
            #expect(response.body.stream.peakBuffered <= limit + 64 * 1024)
            #expect(client.idleConnectionCount == 1)
            client.shutdown()
            server.close()
            try await server.waitClosed()
        }
    }

    @Test func manyConcurrentRequestsShareTheLimitedPool() async throws {
        try await withClientLoop { loop in
            let server = try Self.startServer(on: loop)
            let base = "http://127.0.0.1:\(server.address!.port)"
            let client = try HTTPClient(configuration: .init(maxConnectionsPerHost: 4))
            let bodies = try await gather((0..<40).map { index in
                { @Sendable in try await client.post(base + "/echo", body: .string("request \(index)")).body.text(upTo: 100) }
            })
            #expect(bodies == (0..<40).map { "request \($0)" })
            #expect(client.connectionsMade == 4)
            #expect(client.idleConnectionCount == 4)
            client.shutdown()
            server.close()
            try await server.waitClosed()
        }
    }
}
