import Asyncio
import AsyncioHTTP
import Testing

/// Timeouts and the less common response paths, over a raw socket. The timeouts are short real ones;
/// the synchronisation is the server's own action (a response, an EOF), never a sleep.
@Suite("HTTPServer timeouts and streamed edge cases")
struct HTTPServerTimeoutTests {
    final class Seen: @unchecked Sendable {
        var error: (any Error)?
    }

    /// A body that stops arriving: the handler's read throws HTTPBodyTimeoutError; let through, it is a
    /// 408, and the connection closes.
    @Test func aStalledBodyTimesOut() async throws {
        let seen = Seen()
        let configuration = HTTPServerConfiguration(bodyTimeout: .milliseconds(200))
        try await withHTTPServer(configuration: configuration, { request in
            do {
                _ = try await request.body.collect(upTo: 100)
            } catch {
                seen.error = error
                throw error
            }
            return HTTPServerResponse()
        }) { loop, port, _ in
            let client = try await RawClient(loop, port: port)
            try await client.send("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc")
            let response = try await client.response(to: .post)
            #expect(response?.startLine == "HTTP/1.1 408")
            #expect(field(response, "connection") == "close")
            #expect(try await client.readsEOF())
            #expect(seen.error is HTTPBodyTimeoutError)
        }
    }

    /// A keep-alive connection with nothing to do is closed after the idle timeout.
    @Test func anIdleConnectionIsClosed() async throws {
        let configuration = HTTPServerConfiguration(idleTimeout: .milliseconds(200))
        try await withHTTPServer(configuration: configuration, routesUnderTest) { loop, port, server in
            let client = try await RawClient(loop, port: port)
            try await client.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n")
            #expect(try await client.response()?.body == Array("Hello, World!".utf8))
            #expect(try await client.readsEOF())
            #expect(server.connectionCount == 0)
        }
    }

    /// HTTP/1.0 cannot take chunks: a streamed body without a length is sent as is, and the end of the
    /// body is the close.
    @Test func aStreamedBodyToAnHTTP10Client() async throws {
        try await withHTTPServer({ _ in
            HTTPServerResponse { writer in
                try await writer.write("one ")
                try await writer.write("two")
            }
        }) { loop, port, _ in
            let client = try await RawClient(loop, port: port)
            try await client.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            let response = try await client.response()
            #expect(response?.body == Array("one two".utf8))
            #expect(field(response, "transfer-encoding") == nil)
            #expect(field(response, "connection") == "close")
        }
    }

    /// A streamed body whose writer throws half-way: the connection is aborted (the client sees an
    /// incomplete response), the error goes to the exception handler, and the server goes on.
    @Test func aWriterThatThrowsAbortsTheConnection() async throws {
        struct Broken: Error {}
        try await withHTTPServer({ request in
            if request.path == "/ok" { return HTTPServerResponse(body: "ok") }
            return HTTPServerResponse { writer in
                try await writer.write("partial")
                throw Broken()
            }
        }) { loop, port, _ in
            let errors = ErrorLog()
            loop.exceptionHandler = { _, context in errors.append(context.message) }
            let client = try await RawClient(loop, port: port)
            try await client.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n")
            try await expectAbortedResponse(client)
            #expect(errors.messages == ["HTTP response body failed; connection aborted"])
            let next = try await RawClient(loop, port: port)
            try await next.send("GET /ok HTTP/1.1\r\nHost: h\r\n\r\n")
            #expect(try await next.response()?.body == Array("ok".utf8))
        }
    }

    /// A streamed body with an announced length that writes less: aborted too (never a response that
    /// silently ends short on a connection that goes on).
    @Test func aShortStreamedBodyAborts() async throws {
        try await withHTTPServer({ _ in
            HTTPServerResponse(contentLength: 10) { writer in try await writer.write("short") }
        }) { loop, port, _ in
            loop.exceptionHandler = { _, _ in }
            let client = try await RawClient(loop, port: port)
            try await client.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n")
            try await expectAbortedResponse(client)
        }
    }
}

/// An aborted response: the client gets part of it and then the end of the stream (an incomplete
/// message), or — when the reset overtakes the bytes it has not read yet, which Linux then drops — the
/// reset itself. Never a complete response.
func expectAbortedResponse(_ client: RawClient, sourceLocation: SourceLocation = #_sourceLocation) async throws {
    do {
        let response = try await client.response()
        Issue.record("an aborted response arrived complete: \(String(describing: response))", sourceLocation: sourceLocation)
    } catch let error as HTTPParseError {
        #expect(error == HTTPParseError(.incompleteMessage), sourceLocation: sourceLocation)
    } catch let error as IOError {
        #expect(error.code == .ECONNRESET, sourceLocation: sourceLocation)
    }
}
