import Asyncio
@testable import AsyncioHTTP
import HTTPTypes
import Testing

/// A request body that arrives in the same read as its head is parsed before the handler starts: the
/// handler finds it whole (its read does not wait). One that arrives later is read as it comes.
@Suite("HTTPServer: a body in the head's read")
struct HTTPBodyInOneReadTests {
    /// Set by the test (on the loop) before it sends a head alone; the handler sets it when it starts.
    final class Started: @unchecked Sendable { var event: Event? }

    @Test func aBodyInTheHeadsReadIsCompleteWhenTheHandlerStartsOneSentLaterIsNot() async throws {
        let started = Started()
        try await withHTTPServer({ request in
            let completeAtStart = request.body.isComplete
            started.event?.set()
            let body = try await request.body.collect(upTo: 1 << 16)
            return HTTPServerResponse(body: "\(completeAtStart) \(String(decoding: body, as: UTF8.self))")
        }) { loop, port, _ in
            let client = try await RawClient(loop, port: port)
            // Head and body in one write (one read on the server, on loopback).
            try await client.send("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello")
            #expect(try await client.response()?.body == Array("true hello".utf8))
            // The head alone; the body once the handler has started (and waits for it).
            let event = Event()
            started.event = event
            try await client.send("POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n")
            try await event.wait()
            started.event = nil
            try await client.send("world")
            #expect(try await client.response()?.body == Array("false world".utf8))
            // Pipelined, bodies in the one write: answered in order, each whole.
            try await client.send(
                "POST /c HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\nx"
                + "GET /d HTTP/1.1\r\nHost: h\r\n\r\n"
                + "POST /e HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nyz")
            var bodies: [String] = []
            for _ in 0..<3 { bodies.append(String(decoding: try await client.response()?.body ?? [], as: UTF8.self)) }
            #expect(bodies == ["true x", "true ", "true yz"])
            client.close()
        }
    }
}
