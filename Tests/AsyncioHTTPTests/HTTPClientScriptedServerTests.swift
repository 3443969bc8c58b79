import Asyncio
import AsyncioHTTP
import HTTPTypes
import Testing

/// `HTTPClient` against raw-TCP peers written here on the package's own stream server, each
/// scripted to do one thing a real server may do: chunked bodies, keep-alive, closing an idle
/// connection, resetting mid-body, answering slowly or never, redirecting, sending garbage.
@Suite("HTTPClient against scripted servers")
struct HTTPClientScriptedServerTests {
    @Test func decodesChunkedBodiesWithExtensionsAndTrailers() async throws {
        try await withClientLoop { loop in
            let server = try ScriptedServer(loop: loop) { _, reader, writer in
                while try await readScriptedRequest(reader) != nil {
                    try writer.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;name=value\r\nhello\r\n")
                    try await writer.drain()
                    try writer.write("6\r\n world\r\n0\r\nX-Trailer: yes\r\n\r\n")
                }
            }
            let client = try HTTPClient()
            for _ in 0..<3 {
                let response = try await client.get(server.base + "/chunked")
                #expect(response.headerFields[.transferEncoding] == "chunked")
                #expect(try await response.body.text(upTo: 100) == "hello world")
            }
            #expect(server.accepted == 1)  // chunked bodies keep the connection alive
            client.shutdown()
            try await server.close()
        }
    }

    @Test func reusesKeptAliveConnectionsUpToTheLimitPerHost() async throws {
        try await withClientLoop { loop in
            let release = Event()
            let server = try ScriptedServer(loop: loop) { _, reader, writer in
                while let (request, _) = try await readScriptedRequest(reader) {
                    if request.path == "/slow" { try await release.wait() }
                    try writer.write(scriptedResponse(body: request.path))
                }
            }
            let client = try HTTPClient(configuration: .init(maxConnectionsPerHost: 2))
            for index in 0..<5 {
                #expect(try await client.get(server.base + "/\(index)").body.text(upTo: 100) == "/\(index)")
            }
            #expect(server.accepted == 1)
            // Four at once on a limit of two: two connections, the other requests wait for them.
            let fetches = try (0..<4).map { _ in
                try loop.createTask { try await client.get(server.base + "/slow").body.text(upTo: 100) }
            }
            while server.accepted < 2 { try await sleep(for: .milliseconds(1)) }
            #expect(client.openConnectionCount == 2)
            release.set()
            for fetch in fetches { #expect(try await fetch.value == "/slow") }
            #expect(server.accepted == 2)
            #expect(client.connectionsMade == 2)
            #expect(client.idleConnectionCount == 2)
            client.shutdown()
            #expect(client.idleConnectionCount == 0)
            try await server.close()
        }
    }

    @Test func aConnectionTheServerClosesWhileIdleIsNotReused() async throws {
        try await withClientLoop { loop in
            let closed = Event()
            let server = try ScriptedServer(loop: loop) { _, reader, writer in
                guard let (request, _) = try await readScriptedRequest(reader) else { return }
                try writer.write(scriptedResponse(body: request.path))  // keep-alive by HTTP/1.1's default...
                try await writer.drain()
                writer.close()  // ...but the server closes it once idle
                try await writer.waitClosed()
                closed.set()
            }
            let client = try HTTPClient()
            #expect(try await client.get(server.base + "/a").body.text(upTo: 100) == "/a")
            try await closed.wait()
            #expect(try await client.get(server.base + "/b").body.text(upTo: 100) == "/b")
            #expect(server.accepted == 2)
            client.shutdown()
            try await server.close()
        }
    }

    @Test func aRequestMeetingAClosedReusedConnectionIsRetriedOnceOnAFreshOne() async throws {
        try await withClientLoop { loop in
            // Each connection answers its first request, then closes on reading the second, without
            // answering: what a server's idle close looks like when it crosses the next request.
            let server = try ScriptedServer(loop: loop) { _, reader, writer in
                guard let (request, _) = try await readScriptedRequest(reader) else { return }
                try writer.write(scriptedResponse(body: request.path))
                _ = try await readScriptedRequest(reader)
            }
            let client = try HTTPClient()
            #expect(try await client.get(server.base + "/a").body.text(upTo: 100) == "/a")
            #expect(try await client.get(server.base + "/b").body.text(upTo: 100) == "/b")  // retried
            #expect(server.accepted == 2)
            // A POST that was written is not sent twice: it may have been acted on.
            #expect(await clientErrorKind { try await client.post(server.base + "/c", body: .string("x")) } == .connectionClosed)
            #expect(server.accepted == 2)
            client.shutdown()
            try await server.close()
        }
    }

    @Test func aResetOrCloseMidBodyFailsTheBodyTyped() async throws {
        try await withClientLoop { loop in
            let server = try ScriptedServer(loop: loop) { _, reader, writer in
                guard let (request, _) = try await readScriptedRequest(reader) else { return }
                try writer.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b")
                try await writer.drain()
                if request.path == "/reset" { writer.underlyingTransport.abort() } else { writer.close() }
            }
            let client = try HTTPClient()
            let reset = try await client.get(server.base + "/reset")
            #expect(reset.status.code == 200)
            // A reset after data: Linux reports ECONNRESET or, when the reset came with the data, a plain end.
            let resetKind = await clientErrorKind { try await reset.body.collect(upTo: 1000) }
            #expect(resetKind == .connectionReset || resetKind == .connectionClosed)
            let closed = try await client.get(server.base + "/close")
            #expect(await clientErrorKind { try await closed.body.collect(upTo: 1000) } == .connectionClosed)
            try await yieldUntil { client.openConnectionCount == 0 }
            client.shutdown()
            try await server.close()
        }
    }

    @Test func slowServersTimeOutTyped() async throws {
        try await withClientLoop { loop in
            let never = Event()
            let server = try ScriptedServer(loop: loop) { _, reader, writer in
                guard let (request, _) = try await readScriptedRequest(reader) else { return }
                if request.path == "/stall-body" {
                    try writer.write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf")
                }
                try await never.wait()
            }
            // Each client has one short timeout, so that a loaded machine cannot trip the other one.
            let impatient = try HTTPClient(configuration: .init(requestTimeout: .milliseconds(50)))
            #expect(await clientErrorKind { try await impatient.get(server.base + "/no-answer") } == .requestTimeout)
            let slowReader = try HTTPClient(configuration: .init(requestTimeout: nil, readTimeout: .milliseconds(50)))
            let stalled = try await slowReader.get(server.base + "/stall-body")
            #expect(await clientErrorKind { try await stalled.body.collect(upTo: 100) } == .readTimeout)
            // Both connections were left in an unknown state: closed (their close completes in a callback).
            try await yieldUntil { impatient.openConnectionCount == 0 && slowReader.openConnectionCount == 0 }
            impatient.shutdown()
            slowReader.shutdown()
            never.set()
            try await server.close()
        }
    }

    @Test func followsRedirectsWithTheMethodRulesAndStopsAtTheLimit() async throws {
        try await withClientLoop { loop in
            let log = RequestLog()
            let server = try ScriptedServer(loop: loop) { _, reader, writer in
                while let (request, body) = try await readScriptedRequest(reader) {
                    log.lines.append("\(request.method) \(request.path) \(String(decoding: body, as: UTF8.self))")
                    let path = request.path
                    if path == "/loop" {
                        try writer.write(scriptedResponse("302 Found", "", fields: ["Location: /loop"]))
                    } else if let code = Int(path.dropFirst().prefix(3)), path.hasSuffix("/from") {
                        try writer.write(scriptedResponse("\(code) Moved", "moved", fields: ["Location: to"]))  // relative
                    } else {
                        try writer.write(scriptedResponse(body: "\(request.method) \(path)"))
                    }
                }
            }
            let client = try HTTPClient(configuration: .init(maxRedirects: 3))
            for code in [301, 302, 303, 307, 308] {
                let response = try await client.post(server.base + "/\(code)/from", body: .string("payload"))
                let expected = code == 307 || code == 308 ? "POST /\(code)/to" : "GET /\(code)/to"
                #expect(try await response.body.text(upTo: 100) == expected)
                #expect(response.url == server.base + "/\(code)/to")
            }
            #expect(log.lines.filter { $0.contains("/to") } == [
                "GET /301/to ", "GET /302/to ", "GET /303/to ", "POST /307/to payload", "POST /308/to payload",
            ])
            log.lines.removeAll()
            #expect(await clientErrorKind { try await client.get(server.base + "/loop") } == .tooManyRedirects)
            #expect(log.lines.count == 4)  // the request and three redirects
            #expect(server.accepted == 1)  // redirect bodies were read off, the connection kept
            let unfollowed = try HTTPClient(configuration: .init(followRedirects: false))
            #expect(try await unfollowed.get(server.base + "/loop").status.code == 302)
            unfollowed.shutdown()
            client.shutdown()
            try await server.close()
        }
    }

    @Test func malformedResponsesAreTypedErrors() async throws {
        try await withClientLoop { loop in
            let server = try ScriptedServer(loop: loop) { _, reader, writer in
                guard let (request, _) = try await readScriptedRequest(reader) else { return }
                switch request.path {
                case "/garbage": try writer.write("SMTP ready\r\n\r\n")
                case "/bad-length": try writer.write("HTTP/1.1 200 OK\r\nContent-Length: ten\r\n\r\n")
                case "/bad-chunk": try writer.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
                default: try writer.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n" + String(repeating: "X: y\r\n", count: 20000))
                }
                _ = try? await reader.read()
            }
            let client = try HTTPClient(configuration: .init(maxResponseHeadSize: 16 * 1024))
            #expect(await clientErrorKind { try await client.get(server.base + "/garbage") } == .malformedResponse)
            #expect(await clientErrorKind { try await client.get(server.base + "/bad-length") } == .malformedResponse)
            let chunked = try await client.get(server.base + "/bad-chunk")
            #expect(await clientErrorKind { try await chunked.body.collect(upTo: 100) } == .malformedResponse)
            #expect(await clientErrorKind { try await client.get(server.base + "/huge-head") } == .malformedResponse)
            client.shutdown()
            try await server.close()
        }
    }

    @Test func streamsRequestBodiesChunkedOrWithTheirLength() async throws {
        try await withClientLoop { loop in
            let server = try ScriptedServer(loop: loop) { _, reader, writer in
                while let (request, body) = try? await readScriptedRequest(reader) {  // the short body ends in EOF
                    var received = body
                    if request.field("Transfer-Encoding") == "chunked" {
                        // Echo the raw chunked framing back, up to its last chunk.
                        received = try await reader.readUntil(Array("0\r\n\r\n".utf8))
                    }
                    try writer.write(scriptedResponse(body: String(decoding: received, as: UTF8.self)))
                }
            }
            let client = try HTTPClient()
            let chunked = try await client.post(server.base + "/", body: .stream { writer in
                try await writer.write("hello")
                try await writer.write([])
                try await writer.write(" world")
            })
            #expect(try await chunked.body.text(upTo: 100) == "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
            let sized = try await client.post(server.base + "/", body: .stream(length: 11) { writer in
                try await writer.write("hello")
                try await writer.write(" world")
            })
            #expect(try await sized.body.text(upTo: 100) == "hello world")
            let short = await clientErrorKind {
                try await client.post(server.base + "/", body: .stream(length: 20) { writer in try await writer.write("hello") })
            }
            #expect(short == .invalidRequest)
            // The short body closed its connection: the next request makes a new one.
            #expect(try await client.post(server.base + "/", body: .bytes([1, 2, 3])).body.collect(upTo: 100) == [1, 2, 3])
            #expect(server.accepted == 2)
            client.shutdown()
            try await server.close()
        }
    }

    @Test func anEarlyAnswerToAStreamedBodyIsTheResponse() async throws {
        try await withClientLoop { loop in
            let done = Event()
            let server = try ScriptedServer(loop: loop) { _, reader, writer in
                guard try await readScriptedRequest(reader) != nil else { return }
                // Refuses the upload at once and reads none of it (the client must stop sending, not
                // wait for room in a socket nobody reads).
                try writer.write(scriptedResponse("413 Content Too Large", "too large", fields: ["Connection: close"]))
                try await done.wait()
            }
            let client = try HTTPClient()
            let response = try await client.post(server.base + "/upload", body: .stream { writer in
                for _ in 0..<10_000 { try await writer.write([UInt8](repeating: 1, count: 64 * 1024)) }
            })
            #expect(response.status.code == 413)
            #expect(try await response.body.text(upTo: 100) == "too large")
            try await yieldUntil { client.openConnectionCount == 0 }
            client.shutdown()
            done.set()
            try await server.close()
        }
    }

    @Test func shutdownFailsLaterRequests() async throws {
        try await withClientLoop { loop in
            let server = try ScriptedServer(loop: loop) { _, reader, writer in
                while let (request, _) = try await readScriptedRequest(reader) { try writer.write(scriptedResponse(body: request.path)) }
            }
            let client = try HTTPClient()
            #expect(try await client.get(server.base + "/a").body.text(upTo: 100) == "/a")
            client.shutdown()
            #expect(await clientErrorKind { try await client.get(server.base + "/b") } == .shutDown)
            try await server.close()
        }
    }
}

final class RequestLog: @unchecked Sendable {
    var lines: [String] = []
}
