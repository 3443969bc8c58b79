@testable import Asyncio
import AsyncioTesting
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Per-connection idle, read and write timeouts (issue 19), in manual virtual time: every expiry
/// happens at an exact moment, and real I/O never races a timer.
@Suite("Connection timeouts")
struct ConnectionTimeoutTests {
    /// The keep-alive timeout: a connection idle (answered, its handler waiting for the next line) for
    /// `idle` is closed, cleanly; every exchange starts the idle time again.
    @Test func anIdleConnectionIsClosedAfterTheIdleTimeout() async throws {
        try await withTestLoop(autoJump: false) { test in
            let loop = test.loop
            let service = LineService(loop: loop)
            let server = try service.start(timeouts: ConnectionTimeouts(idle: .seconds(30)))
            let client = try test.run { try await LineClient.connect(loop, to: server) }
            for second in [20, 40, 60] {   // an exchange every 20 s keeps it open
                try test.advance(to: LoopClock.Instant(nanoseconds: UInt64(second) * 1_000_000_000))
                #expect(try test.run { try await client.ask("at \(second)") } == "done at \(second)\n")
            }
            try test.advance(by: .seconds(30) - .nanoseconds(1))
            #expect(service.writers.allSatisfy { !$0.isClosing })
            try test.advance(by: .nanoseconds(1))
            #expect(service.writers.allSatisfy { $0.isClosing })
            #expect(try test.run { await client.end() } == .eof)
            #expect(test.now == .seconds(90))
            #expect(service.ended == ["returned"])   // the handler read the end of the stream
            try test.assertNoReportedErrors()
        }
    }

    /// A client that sends `GET / HT` and stops: its handler's read throws `ConnectionTimeoutError`
    /// `read` after `read` of silence, the connection closes, and the error is not reported (the
    /// timeout did its job). The idle timeout, longer, does not apply: a request has begun.
    @Test func aStalledRequestIsEndedByTheReadTimeout() async throws {
        try await withTestLoop(autoJump: false) { test in
            let loop = test.loop
            let service = LineService(loop: loop)
            let server = try service.start(timeouts: ConnectionTimeouts(idle: .seconds(60), read: .seconds(10)))
            let client = try test.run { () async throws -> LineClient in
                let client = try await LineClient.connect(loop, to: server)
                try client.writer.write("GET / HT")
                try await spin(loop, until: { service.writers.first?.transport.receivedSinceWrite == true }, "the request")
                return client
            }
            try test.advance(by: .seconds(10) - .nanoseconds(1))
            #expect(service.ended.isEmpty)
            try test.advance(by: .nanoseconds(1))
            #expect(service.ended == ["ConnectionTimeoutError(read)"])
            #expect(try test.run { await client.end() } == .eof)
            try test.assertNoReportedErrors()
        }
    }

    /// The same in the protocol API: `connectionLost` gets `ConnectionTimeoutError(.read)`; a protocol
    /// may set its own timeouts on its transport in `connectionMade`.
    @Test func aProtocolSeesTheReadTimeoutInConnectionLost() async throws {
        try await withTestLoop(autoJump: false) { test in
            let loop = test.loop
            let log = ProtocolLog()
            let server = try loop.createServer(port: 0, timeouts: ConnectionTimeouts(read: .seconds(60))) {
                ShortReadTimeout(DelayedAnswers(loop: loop, log: log), log: log)
            }
            let client = try test.run { () async throws -> LineClient in
                let client = try await LineClient.connect(loop, to: server)
                try client.writer.write("GET / HT")
                try await spin(loop, until: { log.receivedBy.count == 1 }, "the request")
                return client
            }
            try test.advance(by: .seconds(5) - .nanoseconds(1))
            #expect(log.lost.isEmpty)
            try test.advance(by: .nanoseconds(1))
            #expect(try test.run { await client.end() } == .eof)
            #expect(log.lost == ["ConnectionTimeoutError(read)"])
            #expect(log.timeoutsSeen == [ConnectionTimeouts(read: .seconds(60))])
            #expect(server.connectionCount == 0)
        }
    }

    /// A peer that stops reading: once written bytes have waited `write` without any going out, the
    /// connection is aborted; the protocol gets `ConnectionTimeoutError(.write)`, and in the streams
    /// API `drain()` throws it.
    @Test(arguments: [false, true])
    func aPeerThatStopsReadingIsAbortedByTheWriteTimeout(streams: Bool) async throws {
        try await withTestLoop(autoJump: false) { test in
            let loop = test.loop
            let log = ProtocolLog()
            let drainError = Box<String?>(nil)
            let timeouts = ConnectionTimeouts(write: .seconds(5))
            let server = streams
                ? try loop.startServer(port: 0, timeouts: timeouts) { _, writer in
                    let chunk = [UInt8](repeating: 7, count: 1 << 20)
                    do {
                        while true {
                            try writer.write(chunk)
                            try await writer.drain()
                        }
                    } catch {
                        drainError.value = "\(error)"
                    }
                }
                : try loop.createServer(port: 0, timeouts: timeouts) { Flood(log: log) }
            let client = try test.run { () async throws -> LineClient in
                let client = try await LineClient.connect(loop, to: server)
                client.writer.underlyingTransport.pauseReading()   // never reads
                // until the server's writes wait: the socket buffers are full
                try await spin(loop, until: { server.connectionCount == 1 && serverIsStuck(server) }, "a full write buffer")
                return client
            }
            // Nothing can make it fire early; libuv could still have pushed out a few bytes after the
            // buffers looked full (progress: the time starts again), so the abort may come one period late.
            try test.advance(by: .seconds(5) - .nanoseconds(1))
            #expect(drainError.value == nil && log.lost.isEmpty)
            try test.advance(by: .seconds(5) + .nanoseconds(1))
            try test.run { try await spin(loop, until: { server.connectionCount == 0 }, "the aborted connection") }
            if streams {
                #expect(drainError.value == "ConnectionTimeoutError(write)")
            } else {
                #expect(log.lost == ["ConnectionTimeoutError(write)"])
            }
            client.writer.underlyingTransport.abort()
            try test.assertNoReportedErrors()
        }
    }

    /// One timer per connection, re-armed lazily: a hundred exchanges move no timer, and the timer
    /// fires once per timeout period, not once per read.
    @Test func theTimeoutsCostOneLazyTimerPerConnection() async throws {
        try await withTestLoop(autoJump: false) { test in
            let loop = test.loop
            let service = LineService(loop: loop)
            let server = try service.start(timeouts: ConnectionTimeouts(idle: .seconds(30), read: .seconds(10), write: .seconds(10)))
            let client = try test.run { try await LineClient.connect(loop, to: server) }
            #expect(loop.timers.count == 1)
            try test.run { () async throws in
                for index in 0..<100 { #expect(try await client.ask("\(index)") == "done \(index)\n") }
            }
            #expect(loop.timers.count == 1)
            #expect(!test.trace.contains { $0.what == "timer" })
            // An exchange every 20 s for 100 s: the timer fires every 10 s (the shortest timeout) at
            // most, re-arms, and closes the connection 30 s after the last exchange.
            for second in stride(from: 20, through: 100, by: 20) {
                try test.advance(to: LoopClock.Instant(nanoseconds: UInt64(second) * 1_000_000_000))
                #expect(try test.run { try await client.ask("at \(second)") } == "done at \(second)\n")
            }
            try test.advance(by: .seconds(30))
            #expect(try test.run { await client.end() } == .eof)
            let fired = test.trace.filter { $0.what == "timer" }.count
            #expect(fired <= 13, "\(fired) timer events")
            #expect(test.now == .seconds(130))
        }
    }

    /// The timeouts of a transport can be read, changed and removed; on a client connection too (a
    /// client waiting for its next read with nothing under way is idle).
    @Test func timeoutsAreATransportOption() async throws {
        try await withTestLoop(autoJump: false) { test in
            let loop = test.loop
            let service = LineService(loop: loop)
            let server = try service.start()
            let client = try test.run { try await LineClient.connect(loop, to: server) }
            let transport = client.writer.underlyingTransport
            #expect(transport.timeouts == .none)
            #expect(loop.timers.count == 0)
            let reading = try loop.createTask { await client.end() }
            try test.runUntilIdle()
            #expect(transport.isIdle)
            transport.timeouts = ConnectionTimeouts(idle: .seconds(5))
            #expect(transport.timeouts.idle == .seconds(5))
            #expect(loop.timers.count == 1)
            transport.timeouts = .none
            try test.advance(by: .seconds(60))
            #expect(!transport.isClosing)
            transport.timeouts = ConnectionTimeouts(idle: .seconds(5))
            try test.advance(by: .seconds(5) - .nanoseconds(1))
            #expect(!transport.isClosing)
            try test.advance(by: .nanoseconds(1))
            #expect(transport.isClosing)
            #expect(try test.run { try await reading.value } == .eof)
            #expect(test.now == .seconds(65))
        }
    }
}

/// Whether the server's one connection has bytes waiting in libuv's write queue.
private func serverIsStuck(_ server: StreamServer) -> Bool {
    server.connectionTransports.contains { $0.bufferedBytes > 0 }
}

/// Wraps a protocol and sets a read timeout of 5 s on its transport in `connectionMade`.
final class ShortReadTimeout: StreamProtocol, @unchecked Sendable {
    let inner: any StreamProtocol
    let log: ProtocolLog
    init(_ inner: any StreamProtocol, log: ProtocolLog) {
        self.inner = inner
        self.log = log
    }
    func connectionMade(_ transport: StreamTransport) {
        log.timeoutsSeen.append(transport.timeouts)
        transport.timeouts = ConnectionTimeouts(read: .seconds(5))
        inner.connectionMade(transport)
    }
    func dataReceived(_ bytes: UnsafeRawBufferPointer) { inner.dataReceived(bytes) }
    func connectionLost(_ error: (any Error)?) { inner.connectionLost(error) }
}

/// Writes 1 MiB chunks while the transport takes them, honouring `pauseWriting`/`resumeWriting`.
final class Flood: StreamProtocol, @unchecked Sendable {
    let log: ProtocolLog
    var transport: StreamTransport?
    var paused = false
    let chunk = [UInt8](repeating: 9, count: 1 << 20)

    init(log: ProtocolLog) { self.log = log }

    func connectionMade(_ transport: StreamTransport) {
        self.transport = transport
        fill()
    }
    func fill() {
        while !paused, let transport, !transport.isClosing {
            do { try transport.write(chunk) } catch { return }
        }
    }
    func pauseWriting() { paused = true }
    func resumeWriting() {
        paused = false
        fill()
    }
    func connectionLost(_ error: (any Error)?) { log.lost.append(error.map { "\($0)" } ?? "nil") }
}
