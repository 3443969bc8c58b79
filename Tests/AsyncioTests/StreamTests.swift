@testable import Asyncio
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Runs `body` on a fresh loop with an echo server on 127.0.0.1 (free port) and checks afterwards
/// that only the loop's own libuv handles are left.
func withEchoServer<T: Sendable>(
    _ body: @escaping @Sendable (EventLoop, Int) async throws -> T
) async throws -> T {
    try await onLoopThread { loop in
        let result = try loop.runUntilComplete { () async throws -> T in
            let server = try loop.startServer(port: 0) { reader, writer in
                while true {
                    let chunk = try await reader.read(4096)
                    if chunk.isEmpty { break }
                    try writer.write(chunk)
                    try await writer.drain()
                }
            }
            let port = try #require(server.address?.port)
            let result = try await body(loop, port)
            server.close()
            try await server.waitClosed()
            return result
        }
        try loop.runUntilComplete { try await loop.sleep(for: .seconds(0.001)) }  // let close callbacks run
        #expect(!loop.dump().contains("tcp"), "a TCP handle leaked:\n\(loop.dump())")
        return result
    }
}

@Suite("TCP and Unix streams")
struct StreamTests {
    @Test func echoRoundTripWithLinesAndExactReads() async throws {
        let (line, exact, rest) = try await withEchoServer { loop, port -> (String, String, String) in
            let (reader, writer) = try await loop.openConnection(host: "127.0.0.1", port: port)
            try writer.write("hello\nworld!")
            try await writer.drain()
            let line = String(decoding: try await reader.readLine(), as: UTF8.self)
            let exact = String(decoding: try await reader.readExactly(3), as: UTF8.self)
            try writer.writeEOF()
            let rest = String(decoding: try await reader.read(), as: UTF8.self)
            #expect(reader.atEOF)
            #expect(writer.peerAddress?.port == port)
            writer.close()
            try await writer.waitClosed()
            return (line, exact, rest)
        }
        #expect(line == "hello\n")
        #expect(exact == "wor")
        #expect(rest == "ld!")
    }

    /// Issue 17: `StreamReader.read` and `AsyncFile.read` take the same optional count, nil meaning
    /// "to the end".
    @Test func streamAndFileReadTakeTheSameOptionalCount() async throws {
        let (chunk, rest, empty) = try await withEchoServer { loop, port -> (String, String, Int) in
            let (reader, writer) = try await loop.openConnection(host: "127.0.0.1", port: port)
            try writer.write("abcdef")
            try writer.writeEOF()
            let chunk = String(decoding: try await reader.read(2 as Int?), as: UTF8.self)
            let count: Int? = nil
            let rest = String(decoding: try await reader.read(count), as: UTF8.self)  // to the end
            let empty = try await reader.read(0).count
            #expect(try await reader.read(-1).isEmpty)  // asyncio's read(-1): to the end (here: at EOF)
            writer.close()
            try await writer.waitClosed()
            return (chunk, rest, empty)
        }
        #expect(chunk == "ab")
        #expect(rest == "cdef")
        #expect(empty == 0)
        // Both methods have the one signature `read(_: Int? = nil)`:
        let streamRead: (StreamReader) -> (Int?) async throws -> [UInt8] = { $0.read }
        let fileRead: (AsyncFile) -> (Int?) async throws -> [UInt8] = { $0.read }
        _ = (streamRead, fileRead)
    }

    @Test func readExactlyAtEOFCarriesThePartialBytes() async throws {
        let partial = try await withEchoServer { loop, port -> [UInt8] in
            let (reader, writer) = try await loop.openConnection(host: "localhost", port: port)
            try writer.write([1, 2, 3])
            try writer.writeEOF()
            do {
                _ = try await reader.readExactly(10)
                return []
            } catch let error as IncompleteReadError {
                #expect(error.expected == 10)
                writer.close()
                return error.partial
            }
        }
        #expect(partial == [1, 2, 3])
    }

    @Test func readUntilOverTheLimitThrowsLimitOverrun() async throws {
        let consumed = try await withEchoServer { loop, port -> Int in
            let (reader, writer) = try await loop.openConnection(host: "127.0.0.1", port: port, limit: 16)
            try writer.write([UInt8](repeating: 65, count: 40))
            defer { writer.close() }
            do {
                _ = try await reader.readUntil([UInt8(ascii: ";")])
                return 0
            } catch let error as LimitOverrunError {
                return error.consumed
            }
        }
        #expect(consumed > 16)
    }

    @Test func theReaderIsAnAsyncSequenceOfLines() async throws {
        let lines = try await withEchoServer { loop, port -> [String] in
            let (reader, writer) = try await loop.openConnection(host: "127.0.0.1", port: port)
            try writer.writeLines([Array("a\n".utf8), Array("b\n".utf8), Array("c".utf8)])
            try writer.writeEOF()
            var lines: [String] = []
            for try await line in reader { lines.append(String(decoding: line, as: UTF8.self)) }
            writer.close()
            return lines
        }
        #expect(lines == ["a\n", "b\n", "c"])
    }

    @Test func drainAppliesFlowControlAgainstASlowPeer() async throws {
        let (buffered, drained) = try await onLoopThread { loop -> (Int, Int) in
            try loop.runUntilComplete { () async throws -> (Int, Int) in
                let gate = Event()
                let server = try loop.startServer(port: 0) { reader, _ in
                    try await gate.wait()                         // a slow peer: reads nothing at first
                    while !(try await reader.read(65536)).isEmpty {}
                }
                let (_, writer) = try await loop.openConnection(host: "127.0.0.1", port: server.address!.port)
                writer.setWriteBufferLimits(high: 64 * 1024)
                let chunk = [UInt8](repeating: 7, count: 1 << 20)
                for _ in 0..<8 { try writer.write(chunk) }       // far more than the socket buffers take
                let buffered = writer.writeBufferSize
                let draining = try loop.createTask { try await writer.drain() }
                try await loop.sleep(for: .seconds(0.01))
                #expect(!draining.isDone)                        // drain waits while the peer is slow
                gate.set()
                try await draining.value
                let drained = writer.writeBufferSize
                writer.close()
                server.close()
                try await server.waitClosed()
                return (buffered, drained)
            }
        }
        #expect(buffered > 64 * 1024)
        #expect(drained <= 64 * 1024)
    }

    @Test func unixSocketEcho() async throws {
        let echoed = try await onLoopThread { loop -> String in
            let path = "/tmp/asyncio-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
            defer { unlink(path) }
            return try loop.runUntilComplete { () async throws -> String in
                let server = try loop.startUnixServer(path: path) { reader, writer in
                    try writer.write(try await reader.readLine().reversed().dropFirst() + [10])
                }
                let (reader, writer) = try await loop.openUnixConnection(path: path)
                try writer.write("abc\n")
                let reply = String(decoding: try await reader.readLine(), as: UTF8.self)
                writer.close()
                server.close()
                try await server.waitClosed()
                return reply
            }
        }
        #expect(echoed == "cba\n")
    }
}

@Suite("Stream faults")
struct StreamFaultTests {
    @Test func connectionRefused() async throws {
        let code = try await onLoopThread { loop -> IOError.Code? in
            try loop.runUntilComplete { () async throws -> IOError.Code? in
                let refusing = try RefusingPort()
                defer { withExtendedLifetime(refusing) {} }  // bound until the connect has failed
                do {
                    _ = try await loop.openConnection(host: "127.0.0.1", port: refusing.port)
                    return nil
                } catch let error as IOError {
                    return error.code
                }
            }
        }
        #expect(code == .ECONNREFUSED)
    }

    @Test func addressInUse() async throws {
        let code = try await onLoopThread { loop -> IOError.Code? in
            let first = try loop.startServer(port: 0) { _, _ in }
            defer { first.close() }
            do {
                _ = try loop.startServer(port: first.address!.port) { _, _ in }
                return nil
            } catch let error as IOError {
                return error.code
            }
        }
        #expect(code == .EADDRINUSE)
    }

    @Test func badAddressAndUnresolvableName() async throws {
        let (bad, unresolved) = try await onLoopThread { loop -> (String, String) in
            var bad = ""
            do { _ = try loop.startServer(host: "not-an-ip", port: 0) { _, _ in } } catch let error as IOError { bad = error.description }
            let unresolved = try loop.runUntilComplete { () async throws -> String in
                do { _ = try await loop.openConnection(host: "nonexistent.invalid", port: 80) } catch let error as IOError { return error.operation }
                return "resolved"
            }
            return (bad, unresolved)
        }
        #expect(bad.hasPrefix("address not-an-ip:0: EINVAL"))
        #expect(unresolved == "getaddrinfo")
    }

    @Test func peerClosingHalfWayAndWritingToAClosedStream() async throws {
        let (partial, writeError) = try await onLoopThread { loop -> ([UInt8], Bool) in
            try loop.runUntilComplete { () async throws -> ([UInt8], Bool) in
                let server = try loop.startServer(port: 0) { _, writer in
                    try writer.write([9, 9])
                    writer.close()                              // closes after half a message
                }
                let (reader, writer) = try await loop.openConnection(host: "127.0.0.1", port: server.address!.port)
                var partial: [UInt8] = []
                do { _ = try await reader.readExactly(4) } catch let error as IncompleteReadError { partial = error.partial }
                writer.close()
                var writeFailed = false
                do { try writer.write([1]) } catch is StreamClosedError { writeFailed = true }
                server.close()
                try await server.waitClosed()
                return (partial, writeFailed)
            }
        }
        #expect(partial == [9, 9])
        #expect(writeError)
    }

    @Test func getAddrInfoResolvesLocalhost() async throws {
        let addresses = try await onLoopThread { loop in
            try loop.runUntilComplete { try await loop.getAddrInfo(host: "localhost", port: 80).map(\.host) }
        }
        #expect(addresses.contains("127.0.0.1") || addresses.contains("::1"))
    }

    @Test func closingTheLoopClosesOpenStreamsAndServers() async throws {
        try await onLoopThread { loop in
            try loop.runUntilComplete {
                let server = try loop.startServer(port: 0) { reader, _ in _ = try await reader.read() }
                _ = try await loop.openConnection(host: "127.0.0.1", port: server.address!.port)
                try await loop.sleep(for: .seconds(0.005))
            }
            try loop.cancelAllTasks()
            try loop.close()   // must close the listener and both connections, with no error logged
            #expect(loop.isClosed)
        }
    }
}
