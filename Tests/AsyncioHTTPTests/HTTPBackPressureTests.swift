import Asyncio
@testable import AsyncioHTTP
import Testing

/// A client that does not read: the response's writes must wait (the transport's pauseWriting), so the
/// connection's write buffer stays bounded, and once the client reads, every byte arrives.
@Suite("HTTPServer back-pressure")
struct HTTPBackPressureTests {
    final class Captured: @unchecked Sendable {
        // Weak: the handler that fills it captures this object, and the connection holds the handler.
        weak var connection: HTTPServerConnection?
    }

    /// 8 MiB, streamed in 100 kB writes (chunked) or whole, to a client that reads nothing until the
    /// server's write buffer passed its high-water mark (64 KiB; the kernel's buffers fill first): the
    /// buffer never holds more than the mark plus one write, and then the whole body arrives.
    @Test(arguments: ["stream", "whole"])
    func aBodyToAReaderThatDoesNotReadStaysBounded(mode: String) async throws {
        let captured = Captured()
        try await withHTTPServer({ request in
            captured.connection = request.connection
            if mode == "whole" {
                return HTTPServerResponse(body: eightMebibytes)
            }
            return HTTPServerResponse { writer in
                var offset = 0
                while offset < eightMebibytes.count {
                    let end = min(eightMebibytes.count, offset + 100_000)
                    try await writer.write(Array(eightMebibytes[offset..<end]))
                    offset = end
                }
            }
        }) { loop, port, _ in
            let client = try await RawClient(loop, port: port)
            try await client.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n")
            // Explicit synchronisation: wait (polling the loop-confined state) until the server's
            // buffer crossed the mark, i.e. the kernel's buffers are full and the writer must wait.
            func peak() -> Int {
                if let connection = captured.connection { return connection.peakWriteBuffer }
                return 0
            }
            while peak() <= 64 * 1024 { try await sleep(for: .milliseconds(5)) }
            let response = try await client.response()
            #expect(response?.body.count == eightMebibytes.count)
            #expect(response?.body == eightMebibytes)
            // The mark plus one write: 100 kB (streamed, with its chunk framing) or a 64 KiB slice (whole).
            #expect(peak() <= 64 * 1024 + 100_000 + 16, "peak write buffer \(peak())")
        }
    }
}
