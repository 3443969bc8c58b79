@testable import Asyncio
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A protocol that records its callbacks and echoes (or not) what it receives.
final class RecordingProtocol: StreamProtocol, @unchecked Sendable {
    let trace: Trace
    let name: String
    let echo: Bool
    let keepOpenAtEOF: Bool
    var transport: StreamTransport?
    var received: [UInt8] = []
    var lost: (any Error)?
    let lostEvent = Event()

    init(_ name: String, trace: Trace, echo: Bool = false, keepOpenAtEOF: Bool = false) {
        self.name = name
        self.trace = trace
        self.echo = echo
        self.keepOpenAtEOF = keepOpenAtEOF
    }

    func connectionMade(_ transport: StreamTransport) {
        self.transport = transport
        trace("\(name) made")
    }
    func dataReceived(_ bytes: UnsafeRawBufferPointer) {
        received += bytes
        if echo { try? transport?.write(bytes) }
    }
    func eofReceived() -> Bool {
        trace("\(name) eof")
        if keepOpenAtEOF {
            try? transport?.write("bye")
            transport?.close()
        }
        return keepOpenAtEOF
    }
    func connectionLost(_ error: (any Error)?) {
        lost = error
        trace("\(name) lost \(error.map { "\($0)" } ?? "nil")")
        lostEvent.set()
    }
    func pauseWriting() { trace("\(name) pause") }
    func resumeWriting() { trace("\(name) resume") }
}

@Suite("Protocols and transports")
struct ProtocolTests {
    @Test func protocolServerAndClientSeeTheirCallbacksInOrder() async throws {
        let (events, echoed) = try await onLoopThread { loop -> ([String], [UInt8]) in
            let trace = Trace()
            let echoed = try loop.runUntilComplete { () async throws -> [UInt8] in
                let server = try loop.createServer(port: 0) { RecordingProtocol("server", trace: trace, echo: true) }
                let (transport, client) = try await loop.createConnection(host: "127.0.0.1", port: server.address!.port) {
                    RecordingProtocol("client", trace: trace)
                }
                try transport.write([1, 2, 3])
                while client.received.count < 3 { try await loop.sleep(for: .seconds(0)) }
                #expect(server.connectionCount == 1)
                transport.close()
                try await client.lostEvent.wait()
                server.close()
                try await server.waitClosed()                 // waits for the server's connection to end
                #expect(server.connectionCount == 0)
                return client.received
            }
            #expect(!loop.dump().contains("tcp"))
            return (trace.events, echoed)
        }
        #expect(echoed == [1, 2, 3])
        #expect(events.filter { $0.hasPrefix("client") } == ["client made", "client lost nil"])
        #expect(events.filter { $0.hasPrefix("server") } == ["server made", "server eof", "server lost nil"])
    }

    @Test func eofReceivedReturningTrueKeepsTheTransportOpenForWriting() async throws {
        let reply = try await onLoopThread { loop -> String in
            let trace = Trace()
            let path = "/tmp/asyncio-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
            defer { unlink(path) }
            return try loop.runUntilComplete { () async throws -> String in
                let server = try loop.createUnixServer(path: path) { RecordingProtocol("server", trace: trace, keepOpenAtEOF: true) }
                let (reader, writer) = try await loop.openUnixConnection(path: path)
                try writer.write("hi")
                try writer.writeEOF()                             // half-close: the server still writes
                let reply = String(decoding: try await reader.read(), as: UTF8.self)
                writer.close()
                server.close()
                try await server.waitClosed()
                return reply
            }
        }
        #expect(reply == "bye")
    }

    @Test func abortResetsThePeerMidRead() async throws {
        let (code, lost) = try await onLoopThread { loop -> (IOError.Code?, String) in
            let trace = Trace()
            return try loop.runUntilComplete { () async throws -> (IOError.Code?, String) in
                let server = try loop.startServer(port: 0) { reader, writer in
                    _ = try await reader.readExactly(1)
                    writer.underlyingTransport.abort()            // RST while the client reads
                }
                let (transport, client) = try await loop.createConnection(host: "127.0.0.1", port: server.address!.port) {
                    RecordingProtocol("client", trace: trace)
                }
                try transport.write([0])
                try await client.lostEvent.wait()
                var writeFailed: (any Error)?
                do { try transport.write([1]) } catch { writeFailed = error }
                #expect((writeFailed as? IOError)?.code == .ECONNRESET || writeFailed is StreamClosedError)
                server.close()
                try await server.waitClosed()
                return ((client.lost as? IOError)?.code, trace.events.last ?? "")
            }
        }
        #expect(code == .ECONNRESET)
        #expect(lost.hasPrefix("client lost read"))
    }

    @Test func streamsReaderSeesAResetAsAnIOError() async throws {
        let code = try await onLoopThread { loop -> IOError.Code? in
            try loop.runUntilComplete { () async throws -> IOError.Code? in
                let server = try loop.createServer(port: 0) { AbortOnData() }
                let (reader, writer) = try await loop.openConnection(host: "127.0.0.1", port: server.address!.port)
                try writer.write([1])
                do {
                    _ = try await reader.read(10)
                    return nil
                } catch let error as IOError {
                    writer.close()
                    server.close()
                    try await server.waitClosed()
                    return error.code
                }
            }
        }
        #expect(code == .ECONNRESET)
    }

    @Test func writingAboveTheHighWaterMarkPausesAndResumesTheProtocol() async throws {
        let (events, total) = try await onLoopThread { loop -> ([String], Int) in
            let trace = Trace()
            return try loop.runUntilComplete { () async throws -> ([String], Int) in
                let gate = Event()
                let count = Box(0)
                let server = try loop.startServer(port: 0) { reader, _ in
                    try await gate.wait()                         // a slow peer: reads nothing at first
                    while true {
                        let chunk = try await reader.read(1 << 16)
                        if chunk.isEmpty { break }
                        count.value += chunk.count
                    }
                }
                let (transport, _) = try await loop.createConnection(host: "127.0.0.1", port: server.address!.port) {
                    RecordingProtocol("client", trace: trace)
                }
                transport.setWriteBufferLimits(high: 64 * 1024, low: 16 * 1024)
                let chunk = [UInt8](repeating: 1, count: 1 << 20)
                for _ in 0..<8 { try transport.write(chunk) }       // far more than the socket takes
                #expect(trace.events == ["client made", "client pause"])
                gate.set()
                while !trace.events.contains("client resume") { try await loop.sleep(for: .seconds(0.001)) }
                try transport.writeEOF()
                while count.value < 8 << 20 { try await loop.sleep(for: .seconds(0.001)) }
                transport.close()
                server.close()
                try await server.waitClosed()
                return (trace.events, count.value)
            }
        }
        #expect(events.prefix(3) == ["client made", "client pause", "client resume"])
        #expect(total == 8 << 20)
    }

    @Test func createConnectionRefusedAndWriteAfterClose() async throws {
        let (code, closedError) = try await onLoopThread { loop -> (IOError.Code?, Bool) in
            let trace = Trace()
            return try loop.runUntilComplete { () async throws -> (IOError.Code?, Bool) in
                let server = try loop.createServer(port: 0) { RecordingProtocol("server", trace: trace) }
                let port = server.address!.port
                let (transport, _) = try await loop.createConnection(host: "127.0.0.1", port: port) { RecordingProtocol("c", trace: trace) }
                transport.close()
                var closedError = false
                do { try transport.write([1]) } catch is StreamClosedError { closedError = true }
                server.close()
                try await server.waitClosed()
                let refusing = try RefusingPort()  // not the closed server's port: a parallel test may take it
                defer { withExtendedLifetime(refusing) {} }  // bound until the connect has failed
                do {
                    _ = try await loop.createConnection(host: "127.0.0.1", port: refusing.port) { RecordingProtocol("c2", trace: trace) }
                    return (nil, closedError)
                } catch let error as IOError {
                    return (error.code, closedError)
                }
            }
        }
        #expect(code == .ECONNREFUSED)
        #expect(closedError)
    }
}

/// Resets the connection as soon as data arrives.
final class AbortOnData: StreamProtocol {
    var transport: StreamTransport?
    func connectionMade(_ transport: StreamTransport) { self.transport = transport }
    func dataReceived(_ bytes: UnsafeRawBufferPointer) { transport?.abort() }
}
