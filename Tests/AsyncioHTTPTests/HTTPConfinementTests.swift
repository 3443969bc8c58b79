import Asyncio
import AsyncioHTTP
import Testing

/// Every public entry point of AsyncioHTTP's loop-confined types called from a thread that is not its
/// loop's: a precondition failure naming the call (the package's one misuse rule). Each case runs in a
/// child process (an exit test).
@Suite("Confinement: AsyncioHTTP")
struct HTTPConfinementTests {
    @Test("Every entry point traps off its loop's thread", arguments: HTTPEntryPoint.allCases)
    func entryPointOffTheLoopThreadTraps(_ entry: HTTPEntryPoint) async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) { [entry] in
            try await entry.callOffItsLoop()
        }
        let standardError = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(standardError.contains("\(entry.rawValue) was called on thread"), "\(standardError)")
    }
}

enum HTTPEntryPoint: String, CaseIterable, Codable, Sendable {
    case startServer = "EventLoop.startHTTPServer"
    case makeAsyncIterator = "HTTPRequestBody.makeAsyncIterator", collect = "HTTPRequestBody.collect"
    case next = "HTTPRequestBody.next", write = "HTTPResponseBodyWriter.write"

    /// What a handler was given, kept past its loop's end.
    final class Captured: @unchecked Sendable {
        var body: HTTPRequestBody?
        var writer: HTTPResponseBodyWriter?
        var iterator: HTTPRequestBody.AsyncIterator?
    }

    func callOffItsLoop() async throws {
        let captured = Captured()
        let loop = try await run { () async throws -> EventLoop in
            let loop = try EventLoop.running()
            let ready = Asyncio.Event()
            let server = try loop.startHTTPServer(port: 0) { request in
                captured.body = request.body
                captured.iterator = request.body.makeAsyncIterator()
                return HTTPServerResponse { writer in
                    captured.writer = writer
                    ready.set()
                    try await sleep(for: .seconds(3600))
                }
            }
            let (_, writer) = try await loop.openConnection(host: "127.0.0.1", port: server.address!.port)
            try writer.write(Array("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\n".utf8))
            try await ready.wait()
            return loop
        }
        switch self {
        case .startServer: _ = try loop.startHTTPServer(port: 0) { _ in HTTPServerResponse() }
        case .makeAsyncIterator: _ = captured.body!.makeAsyncIterator()
        case .collect: _ = try await captured.body!.collect(upTo: 10)
        case .next: _ = try await captured.iterator!.next()
        case .write: try await captured.writer!.write("x")
        }
    }
}
