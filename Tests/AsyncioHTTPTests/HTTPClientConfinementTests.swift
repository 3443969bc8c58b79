import Asyncio
import AsyncioHTTP
import HTTPTypes
import Testing

/// Every public entry point of the client called from a thread that is not its loop's: a
/// precondition failure naming the call (the package's one misuse rule). Each case runs in a child
/// process (an exit test).
@Suite("Confinement: HTTPClient")
struct HTTPClientConfinementTests {
    @Test("Every entry point traps off its loop's thread", arguments: HTTPClientEntryPoint.allCases)
    func entryPointOffTheLoopThreadTraps(_ entry: HTTPClientEntryPoint) async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) { [entry] in
            try await entry.callOffItsLoop()
        }
        let standardError = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(standardError.contains("\(entry.rawValue) was called on thread"), "\(standardError)")
    }
}

enum HTTPClientEntryPoint: String, CaseIterable, Codable, Sendable {
    case initializer = "HTTPClient.init", get = "HTTPClient.get", post = "HTTPClient.post", request = "HTTPClient.request"
    case shutdown = "HTTPClient.shutdown", openConnectionCount = "HTTPClient.openConnectionCount"
    case idleConnectionCount = "HTTPClient.idleConnectionCount", connectionsMade = "HTTPClient.connectionsMade"
    case bodyCollect = "HTTPClientResponse.Body.collect", bodyText = "HTTPClientResponse.Body.text"
    case bodyIterator = "HTTPClientResponse.Body.makeAsyncIterator"

    /// Objects made on a loop (on its thread), then used from the caller's thread after it ended.
    struct Objects: Sendable {
        let loop: EventLoop
        let client: HTTPClient
        let response: HTTPClientResponse
    }

    func callOffItsLoop() async throws {
        let objects = try await run { () async throws -> Objects in
            let loop = try EventLoop.running()
            let server = try loop.startServer(host: "127.0.0.1", port: 0) { reader, writer in
                _ = try await reader.readUntil(Array("\r\n\r\n".utf8))
                try writer.write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf")  // the rest never comes
                _ = try await reader.read()
            }
            let client = try HTTPClient()
            let response = try await client.get("http://127.0.0.1:\(server.address!.port)/")
            return Objects(loop: loop, client: client, response: response)
        }
        let (client, body) = (objects.client, objects.response.body)
        switch self {
        case .initializer: _ = try HTTPClient(loop: objects.loop)
        case .get: _ = try await client.get("http://127.0.0.1/")
        case .post: _ = try await client.post("http://127.0.0.1/", body: .string("x"))
        case .request: _ = try await client.request(HTTPRequest(method: .get, scheme: "http", authority: "127.0.0.1", path: "/"))
        case .shutdown: client.shutdown()
        case .openConnectionCount: _ = client.openConnectionCount
        case .idleConnectionCount: _ = client.idleConnectionCount
        case .connectionsMade: _ = client.connectionsMade
        case .bodyCollect: _ = try await body.collect(upTo: 100)
        case .bodyText: _ = try await body.text(upTo: 100)
        case .bodyIterator: _ = body.makeAsyncIterator()
        }
    }
}
