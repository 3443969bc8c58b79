import Asyncio
import AsyncioHTTP
import Foundation
import Testing

/// The pool's housekeeping: idle timeouts, responses dropped unread, cancelled requests, a connect
/// that never completes.
@Suite("HTTPClient's pool")
struct HTTPClientPoolTests {
    /// A server that answers every request on a connection with its path, and records the end of
    /// each connection (EOF from the client).
    static func echoPathServer(on loop: EventLoop, ended: Event? = nil) throws -> ScriptedServer {
        try ScriptedServer(loop: loop) { _, reader, writer in
            defer { ended?.set() }  // EOF, or a write failing because the client reset the connection
            while let (request, _) = try? await readScriptedRequest(reader) {
                if request.path == "/big" {
                    try writer.write("HTTP/1.1 200 OK\r\nContent-Length: \(4 << 20)\r\n\r\n")
                    for _ in 0..<64 {
                        try writer.write([UInt8](repeating: 7, count: 64 * 1024))
                        try await writer.drain()
                    }
                } else {
                    try writer.write(scriptedResponse(body: request.path))
                }
            }
        }
    }

    @Test func anIdleConnectionIsClosedAfterTheIdleTimeout() async throws {
        try await withClientLoop { loop in
            let ended = Event()
            let server = try Self.echoPathServer(on: loop, ended: ended)
            // Long enough that the connection is still idle in the pool when the test resumes after the
            // body (a 20 ms timeout had already fired there once under ThreadSanitizer); the test then
            // waits for the server to see the close, not for a time.
            let client = try HTTPClient(configuration: .init(idleTimeout: .milliseconds(500)))
            #expect(try await client.get(server.base + "/a").body.text(upTo: 100) == "/a")
            #expect(client.idleConnectionCount == 1)
            try await ended.wait()  // the server read EOF: the client closed the idle connection
            try await yieldUntil { client.openConnectionCount == 0 }
            #expect(client.idleConnectionCount == 0)
            #expect(try await client.get(server.base + "/b").body.text(upTo: 100) == "/b")
            #expect(server.accepted == 2)
            client.shutdown()
            try await server.close()
        }
    }

    @Test func aResponseDroppedUnreadClosesItsConnection() async throws {
        try await withClientLoop { loop in
            let ended = Event()
            let server = try Self.echoPathServer(on: loop, ended: ended)
            let client = try HTTPClient()
            do {
                let response = try await client.get(server.base + "/big")
                #expect(response.status.code == 200)
                // Dropped here, its 4 MiB body unread: the connection cannot carry another request.
            }
            try await ended.wait()
            try await yieldUntil { client.openConnectionCount == 0 }
            #expect(try await client.get(server.base + "/after").body.text(upTo: 100) == "/after")
            #expect(server.accepted == 2)
            client.shutdown()
            try await server.close()
        }
    }

    @Test func aCancelledRequestClosesItsConnectionAndTheNextGoesOn() async throws {
        try await withClientLoop { loop in
            let received = Event()
            let server = try ScriptedServer(loop: loop) { _, reader, writer in
                while let (request, _) = try? await readScriptedRequest(reader) {
                    if request.path == "/hang" {
                        received.set()
                        continue  // never answered
                    }
                    try writer.write(scriptedResponse(body: request.path))
                }
            }
            let client = try HTTPClient(configuration: .init(maxConnectionsPerHost: 1))
            let hanging = try loop.createTask { try await client.get(server.base + "/hang") }
            try await received.wait()
            hanging.cancel()
            await #expect(throws: CancelledError.self) { try await hanging.value }
            // The only connection allowed was closed, so the next request gets a new one.
            #expect(try await client.get(server.base + "/next").body.text(upTo: 100) == "/next")
            #expect(server.accepted == 2)
            client.shutdown()
            try await server.close()
        }
    }

    @Test func aConnectThatNeverCompletesTimesOut() async throws {
        try await withClientLoop { loop in
            // A listening socket whose accept queue is full (backlog 0, one connection queued, never
            // accepted): the kernel drops further SYNs, so a connect to it hangs — on loopback.
            let (fd, port) = try fullBacklogListener()
            defer { for descriptor in fd { close(descriptor) } }
            let client = try HTTPClient(configuration: .init(connectTimeout: .milliseconds(100)))
            #expect(await clientErrorKind { try await client.get("http://127.0.0.1:\(port)/") } == .connectTimeout)
            #expect(client.openConnectionCount == 0)
            client.shutdown()
        }
    }
}

/// A listening socket on 127.0.0.1 with `listen(fd, 0)` and one connection made to it and never
/// accepted; returns every descriptor to close, and the port.
func fullBacklogListener() throws -> ([Int32], Int) {
    let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard listener >= 0 else { throw POSIXError(.EMFILE) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let ok = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(listener, $0, length) == 0 && listen(listener, 0) == 0 && getsockname(listener, $0, &length) == 0
        }
    }
    guard ok else {
        close(listener)
        throw POSIXError(.EADDRINUSE)
    }
    var descriptors = [listener]
    // Fill the queue: blocking connects complete at once while there is room (one with backlog 0).
    for _ in 0..<2 {
        let filler = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        descriptors.append(filler)
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(filler, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }
    return (descriptors, Int(UInt16(bigEndian: address.sin_port)))
}
