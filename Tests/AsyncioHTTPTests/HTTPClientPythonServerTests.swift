import Asyncio
import AsyncioHTTP
import Foundation
import HTTPTypes
import Testing

/// `HTTPClient` against a peer nobody here wrote: CPython's `http.server`, started for each test.
@Suite("HTTPClient against python3 -m http.server")
struct HTTPClientPythonServerTests {
    static let big: [UInt8] = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) }
    static let files: [String: [UInt8]] = [
        "hello.txt": Array("hello world\n".utf8),
        "big.bin": big,
        "sub/index.html": Array("<p>sub</p>\n".utf8),
    ]

    @Test func getsFilesStatusAndFieldsOverHTTP10() async throws {
        try await withServerAndClient { server, client in
            let hello = try await client.get(server.base + "/hello.txt")
            #expect(hello.status.code == 200)
            #expect(hello.headerFields[.contentLength] == "12")
            #expect(try await hello.body.text(upTo: 1000) == "hello world\n")

            let missing = try await client.get(server.base + "/nothing-here")
            #expect(missing.status.code == 404)
            _ = try await missing.body.collect(upTo: 1 << 16)

            let big = try await client.get(server.base + "/big.bin")
            #expect(try await big.body.collect(upTo: 2 << 20) == Self.big)
            // HTTP/1.0 without keep-alive: a connection per request, none left open.
            #expect(client.connectionsMade == 3)
            #expect(client.idleConnectionCount == 0)
        }
    }

    @Test func keepsConnectionsAliveWithHTTP11AndFollowsItsDirectoryRedirect() async throws {
        try await withServerAndClient(protocolVersion: "HTTP/1.1") { server, client in
            for _ in 0..<5 {
                let hello = try await client.get(server.base + "/hello.txt")
                #expect(try await hello.body.text(upTo: 1000) == "hello world\n")
            }
            #expect(client.connectionsMade == 1)
            #expect(client.idleConnectionCount == 1)
            // http.server answers a directory without its slash with 301 to the slashed path.
            let sub = try await client.get(server.base + "/sub")
            #expect(sub.status.code == 200)
            #expect(sub.url == server.base + "/sub/")
            #expect(try await sub.body.text(upTo: 1000) == "<p>sub</p>\n")
            // A body too large for the limit: a typed error, and its connection is dropped.
            let big = try await client.get(server.base + "/big.bin")
            #expect(await clientErrorKind { try await big.body.collect(upTo: 1000) } == .bodyTooLarge)
            // Streamed: every chunk, in order, through the AsyncSequence.
            var streamed: [UInt8] = []
            for try await chunk in try await client.get(server.base + "/big.bin").body { streamed += chunk }
            #expect(streamed == Self.big)
        }
    }

    @Test func manyConcurrentFetchesShareTheHostsPool() async throws {
        try await withServerAndClient(protocolVersion: "HTTP/1.1", configuration: .init(maxConnectionsPerHost: 3)) { server, client in
            let bodies = try await gather((0..<12).map { _ in
                { @Sendable in try await client.get(server.base + "/hello.txt").body.text(upTo: 100) }
            })
            #expect(bodies == Array(repeating: "hello world\n", count: 12))
            #expect(client.connectionsMade <= 3)
        }
    }

    @Test func connectionRefusedIsTyped() async throws {
        try await withClientLoop { _ in
            let refusing = try RefusingTCPPort()
            let client = try HTTPClient()
            defer { client.shutdown() }
            #expect(await clientErrorKind { try await client.get("http://127.0.0.1:\(refusing.port)/") } == .connectionRefused)
            #expect(await clientErrorKind { try await client.get("https://127.0.0.1/") } == .invalidURL)
            #expect(await clientErrorKind { try await client.get("127.0.0.1/") } == .invalidURL)
            #expect(await clientErrorKind { try await client.get("http://127.0.0.1:99999/") } == .invalidURL)
        }
    }

    /// Runs `body` on a loop with CPython's `http.server` serving ``files`` and a fresh client; both are
    /// shut down afterwards, whether `body` throws or not.
    private func withServerAndClient(
        protocolVersion: String = "HTTP/1.0", configuration: HTTPClient.Configuration = .init(),
        _ body: @escaping @Sendable (PythonHTTPServer, HTTPClient) async throws -> Void
    ) async throws {
        try await withClientLoop { loop in
            let server = try await PythonHTTPServer.start(files: Self.files, protocolVersion: protocolVersion, loop: loop)
            let client = try HTTPClient(configuration: configuration)
            do {
                try await body(server, client)
            } catch {
                client.shutdown()
                try await server.stop()
                throw error
            }
            client.shutdown()
            try await server.stop()
        }
    }
}
