@testable import Asyncio
import AsyncioTesting
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Ending a server as asyncio 3.12/3.13 does, and gracefully with a deadline (issue 19). In manual
/// virtual time: time moves only through `advance`, so real I/O never races a timer, and every
/// moment asserted is exact.
@Suite("Server shutdown")
struct ServerShutdownTests {
    /// Idle keep-alive connections (each answered, its handler waiting for the next line) are closed
    /// at once: `shutdown` returns without waiting, and `serveForever` with it.
    @Test func shutdownWithIdleClientsEndsAtOnce() async throws {
        try await withTestLoop(autoJump: false) { test in
            let loop = test.loop
            let service = LineService(loop: loop)
            let server = try service.start()
            let serving = try loop.createTask { try await server.serveForever(); return test.now }
            let clients = try test.run { () async throws -> [LineClient] in
                var clients: [LineClient] = []
                for index in 0..<3 {
                    let client = try await LineClient.connect(loop, to: server)
                    #expect(try await client.ask("hello \(index)") == "done hello \(index)\n")
                    clients.append(client)
                }
                return clients
            }
            try test.advance(by: .seconds(7))
            let took = try test.run { () async -> Duration in
                let start = test.now
                await server.shutdown(gracePeriod: .seconds(30))
                return test.now - start
            }
            #expect(took == .zero)
            let ends = try test.run { () async -> [LineClient.End] in
                var ends: [LineClient.End] = []
                for client in clients { ends.append(await client.end()) }
                return ends
            }
            #expect(ends == [.eof, .eof, .eof])
            #expect(try serving.result() == .seconds(7))
            #expect(service.ended == ["returned", "returned", "returned"])
            #expect(server.connectionCount == 0)
            try test.assertNoReportedErrors()
        }
    }

    /// A request in flight when the shutdown begins is answered; its connection closes as soon as it
    /// is idle again, and the shutdown ends then — before the grace period.
    @Test func shutdownLetsInFlightRequestsFinishThenEnds() async throws {
        try await withTestLoop(autoJump: false) { test in
            let loop = test.loop
            let service = LineService(loop: loop)
            let server = try service.start()
            let serving = try loop.createTask { try await server.serveForever(); return test.now }
            let (idle, busy) = try test.run { () async throws -> (LineClient, LineClient) in
                let idle = try await LineClient.connect(loop, to: server)
                #expect(try await idle.ask("hello") == "done hello\n")
                let busy = try await LineClient.connect(loop, to: server)
                try busy.writer.write("slow 5\n")
                try await service.slowStarted.wait()       // the server works on it
                return (idle, busy)
            }
            let shutdown = try loop.createTask { await server.shutdown(gracePeriod: .seconds(10)); return test.now }
            try test.runUntilIdle()
            #expect(try test.run { await idle.end() } == .eof)  // closed at once
            #expect(!shutdown.isDone)
            try test.advance(by: .seconds(5))                     // the work ends, the answer goes out
            #expect(try test.run { await busy.end() } == .data("done slow 5\n"))
            #expect(try test.run { try await shutdown.value } == .seconds(5))
            #expect(try test.run { try await serving.value } == .seconds(5))
            #expect(service.ended == ["returned", "returned"])
            try test.assertNoReportedErrors()
        }
    }

    /// A request still running when the grace period ends is aborted then: the peer gets a reset, the
    /// handler is cancelled, and the shutdown (and `serveForever`) end exactly at the deadline.
    @Test func shutdownAbortsSlowClientsAtTheDeadline() async throws {
        try await withTestLoop(autoJump: false) { test in
            let loop = test.loop
            let service = LineService(loop: loop)
            let server = try service.start()
            let serving = try loop.createTask { try await server.serveForever(); return test.now }
            let slow = try test.run { () async throws -> LineClient in
                let slow = try await LineClient.connect(loop, to: server)
                try slow.writer.write("slow 3600\n")
                try await service.slowStarted.wait()
                return slow
            }
            let shutdown = try loop.createTask { await server.shutdown(gracePeriod: .seconds(10)); return test.now }
            try test.advance(by: .seconds(10) - .nanoseconds(1))
            #expect(!shutdown.isDone)
            #expect(server.connectionCount == 1)
            try test.advance(by: .nanoseconds(1))
            #expect(try test.run { try await shutdown.value } == .seconds(10))
            #expect(try test.run { try await serving.value } == .seconds(10))
            #expect(try test.run { await slow.end() } == .error(.ECONNRESET))
            #expect(service.ended.count == 1 && service.ended[0].contains("Cancelled"), "\(service.ended)")
            try test.assertNoReportedErrors()
        }
    }

    /// The protocol API: an answered connection is idle and closes at once; one whose answer comes
    /// later closes once answered; one holding half a request is aborted at the deadline.
    @Test func protocolConnectionsShutDownByTheSameRules() async throws {
        try await withTestLoop(autoJump: false) { test in
            let loop = test.loop
            let log = ProtocolLog()
            let server = try loop.createServer(port: 0) { DelayedAnswers(loop: loop, log: log) }
            let (answered, later, partial) = try test.run { () async throws -> (LineClient, LineClient, LineClient) in
                let answered = try await LineClient.connect(loop, to: server)
                #expect(try await answered.ask("now") == "answer now\n")
                let later = try await LineClient.connect(loop, to: server)
                try later.writer.write("later 3\n")
                let partial = try await LineClient.connect(loop, to: server)
                try partial.writer.write("GET / HT")
                try await spin(loop, until: { log.receivedBy.count == 3 }, "the three requests")
                return (answered, later, partial)
            }
            let shutdown = try loop.createTask { await server.shutdown(gracePeriod: .seconds(10)); return test.now }
            try test.runUntilIdle()
            #expect(try test.run { await answered.end() } == .eof)
            try test.advance(by: .seconds(3))
            #expect(try test.run { await later.end() } == .data("answer later 3\n"))
            #expect(!shutdown.isDone)
            try test.advance(by: .seconds(7))
            #expect(try test.run { await partial.end() } == .error(.ECONNRESET))
            #expect(try test.run { try await shutdown.value } == .seconds(10))
            #expect(log.lost.sorted() == ["nil", "nil", "nil"])  // abort is our doing, not a connection error
            try test.assertNoReportedErrors()
        }
    }

    /// A protocol that answers over time (a head now, the body two seconds later) says when it is
    /// idle; the transport's own account — nothing received since the last write — would call it idle
    /// between the two writes and close it there.
    @Test(arguments: [true, false])
    func aProtocolCanSayWhenItIsIdle(overridesIsIdle: Bool) async throws {
        try await withTestLoop(autoJump: false) { test in
            let loop = test.loop
            let server = try loop.createServer(port: 0) { StreamedAnswer(loop: loop, overridesIsIdle: overridesIsIdle) }
            let client = try test.run { () async throws -> LineClient in
                let client = try await LineClient.connect(loop, to: server)
                try client.writer.write("get\n")
                #expect(text(try await client.reader.readLine()) == "head\n")
                return client
            }
            let shutdown = try loop.createTask { await server.shutdown(gracePeriod: .seconds(10)); return test.now }
            try test.runUntilIdle()
            try test.advance(by: .seconds(2))
            #expect(try test.run { await client.end() } == (overridesIsIdle ? .data("body\n") : .eof))
            #expect(try test.run { try await shutdown.value } == (overridesIsIdle ? .seconds(2) : .zero))
        }
    }

    /// asyncio 3.13's `close_clients()`: every connection is closed (the clients read the end), the
    /// server still listens; `abort_clients()`: every connection is reset and its handler cancelled.
    @Test func closeClientsAndAbortClients() async throws {
        try await withTestLoop(autoJump: false) { test in
            let loop = test.loop
            let service = LineService(loop: loop)
            let server = try service.start()
            let first = try test.run { () async throws -> LineClient in
                let client = try await LineClient.connect(loop, to: server)
                #expect(try await client.ask("one") == "done one\n")
                return client
            }
            server.closeClients()
            #expect(try test.run { await first.end() } == .eof)
            #expect(!server.isClosed)
            let second = try test.run { () async throws -> LineClient in
                let client = try await LineClient.connect(loop, to: server)   // still listening
                try client.writer.write("slow 3600\n")
                try await service.slowStarted.wait()
                return client
            }
            server.abortClients()
            #expect(try test.run { await second.end() } == .error(.ECONNRESET))
            server.close()
            try test.run { try await server.waitClosed() }
            #expect(service.ended.count == 2 && service.ended[0] == "returned" && service.ended[1].contains("Cancelled"),
                    "\(service.ended)")
            try test.assertNoReportedErrors()
        }
    }

    /// As in CPython 3.12+, `close()` stops listening and `serveForever()` returns only once the open
    /// connections are gone.
    @Test func serveForeverReturnsOnceTheConnectionsAreGone() async throws {
        try await withTestLoop(autoJump: false) { test in
            let loop = test.loop
            let service = LineService(loop: loop)
            let server = try service.start()
            let serving = try loop.createTask { try await server.serveForever() }
            let client = try test.run { () async throws -> LineClient in
                let client = try await LineClient.connect(loop, to: server)
                #expect(try await client.ask("one") == "done one\n")
                return client
            }
            server.close()
            try test.advance(by: .seconds(60))
            #expect(!serving.isDone)
            #expect(server.isClosed && server.connectionCount == 1)
            #expect(try test.run { try await client.ask("still served") } == "done still served\n")
            client.writer.close()
            try test.run { try await serving.value }
            #expect(server.connectionCount == 0)
        }
    }
}

/// What the protocol-API servers of these tests saw, on the loop thread.
final class ProtocolLog: @unchecked Sendable {
    var receivedBy: Set<ObjectIdentifier> = []
    var lost: [String] = []
    var timeoutsSeen: [ConnectionTimeouts] = []
}

/// Answers each line `now` at once and `later N` after N seconds (a loop timer); keeps a partial line.
final class DelayedAnswers: StreamProtocol, @unchecked Sendable {
    let loop: EventLoop
    let log: ProtocolLog
    var transport: StreamTransport?
    var pending: [UInt8] = []

    init(loop: EventLoop, log: ProtocolLog) {
        self.loop = loop
        self.log = log
    }

    func connectionMade(_ transport: StreamTransport) { self.transport = transport }

    func dataReceived(_ bytes: UnsafeRawBufferPointer) {
        log.receivedBy.insert(ObjectIdentifier(self))
        pending += bytes
        while let end = pending.firstIndex(of: 10) {
            let line = text(Array(pending[...end]))
            pending.removeFirst(end + 1)
            if line.hasPrefix("later "), let seconds = Int(line.dropFirst(6).dropLast()) {
                _ = try? loop.callLater(.seconds(seconds)) { [self] in try? transport?.write("answer \(line)") }
            } else {
                try? transport?.write("answer \(line)")
            }
        }
    }

    func connectionLost(_ error: (any Error)?) { log.lost.append(error.map { "\($0)" } ?? "nil") }
}

/// Answers `get` with a head at once and a body two seconds later; with `overridesIsIdle`, says it
/// is idle only once the body is out.
final class StreamedAnswer: StreamProtocol, @unchecked Sendable {
    let loop: EventLoop
    let overridesIsIdle: Bool
    var transport: StreamTransport?
    var answering = false

    init(loop: EventLoop, overridesIsIdle: Bool) {
        self.loop = loop
        self.overridesIsIdle = overridesIsIdle
    }

    func connectionMade(_ transport: StreamTransport) { self.transport = transport }

    func dataReceived(_ bytes: UnsafeRawBufferPointer) {
        answering = true
        try? transport?.write("head\n")
        _ = try? loop.callLater(.seconds(2)) { [self] in
            try? transport?.write("body\n")
            answering = false
        }
    }

    func isIdle(_ transport: StreamTransport) -> Bool {
        overridesIsIdle ? transport.isIdle && !answering : transport.isIdle
    }
}
