@testable import Asyncio
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Issue 19: a ``StreamWriter``'s small writes of one loop iteration go out together, before the loop
/// polls again, in the order of every call that writes or ends the stream; and the loop's one read
/// buffer is lent to one read at a time.
@Suite("Write batching and the shared read buffer")
struct WriteBatchingTests {
    /// Small writes wait in the batch (counted in `writeBufferSize`) until the iteration ends; a direct
    /// transport write, a large write and `writeEOF()` each send what is pending first, so the peer
    /// reads every byte in call order.
    @Test func batchedWritesKeepTheirOrderWithDirectWritesLargeWritesAndEOF() async throws {
        let large = [UInt8](repeating: 0x7A, count: 100_000)
        let (received, pendingAfterWrites, pendingAfterIteration) = try await onLoopThread { loop -> ([UInt8], Int, Int) in
            try loop.runUntilComplete { () async throws -> ([UInt8], Int, Int) in
                let received = Box<[UInt8]>([])
                let done = Event()
                let server = try loop.startServer(port: 0) { reader, _ in
                    received.value = try await reader.read(-1)
                    done.set()
                }
                let (_, writer) = try await loop.openConnection(host: "127.0.0.1", port: server.address!.port)
                try writer.write([0x61])  // an array starts the batch (kept without a copy)
                try writer.write("b")     // and joins it
                let pendingAfterWrites = writer.writeBufferSize
                try await loop.sleep(for: .zero)
                let pendingAfterIteration = writer.writeBufferSize
                try writer.write(Array("c".utf8))
                try writer.underlyingTransport.write("d")  // direct: "c" goes first
                try writer.write(ArraySlice(Array("e".utf8)))
                try writer.write(large)                     // large: "e" goes first
                try writer.writeLines([Array("f".utf8), Array("g".utf8)])
                try writer.writeEOF()                       // "fg" goes first
                try await done.wait()
                writer.close()
                try await writer.waitClosed()
                server.close()
                try await server.waitClosed()
                return (received.value, pendingAfterWrites, pendingAfterIteration)
            }
        }
        #expect(pendingAfterWrites == 2)
        #expect(pendingAfterIteration == 0)
        #expect(received == Array("abcde".utf8) + large + Array("fg".utf8))
    }

    /// A handler that writes and returns: the writer's close (by the server) delivers the batch; and
    /// a `close()` right after small writes delivers them before the connection closes.
    @Test func closeDeliversWhatIsPendingInTheBatch() async throws {
        let replies = try await onLoopThread { loop -> [[UInt8]] in
            try loop.runUntilComplete { () async throws -> [[UInt8]] in
                let server = try loop.startServer(port: 0) { reader, writer in
                    let line = try await reader.readLine()
                    for _ in 0..<3 { try writer.write(line) }
                    writer.close()
                }
                var replies: [[UInt8]] = []
                for _ in 0..<2 {
                    let (reader, writer) = try await loop.openConnection(host: "127.0.0.1", port: server.address!.port)
                    try writer.write("hi\n")
                    replies.append(try await reader.read(-1))
                    writer.close()
                    try await writer.waitClosed()
                }
                server.close()
                try await server.waitClosed()
                return replies
            }
        }
        #expect(replies == Array(repeating: Array("hi\nhi\nhi\n".utf8), count: 2))
    }

    /// A protocol whose `dataReceived` writes to another connection and closes its own: every byte
    /// arrives intact, the shared buffer is lent during the call and given back after every read
    /// (data, EOF), and no read ever needed a private buffer.
    @Test func theSharedReadBufferIsLentToOneReadAtATimeAndAlwaysGivenBack() async throws {
        let (relayed, lentDuringReads, lentAfter, privateLoans) = try await onLoopThread { loop -> ([UInt8], Bool, Bool, Int) in
            try loop.runUntilComplete { () async throws -> ([UInt8], Bool, Bool, Int) in
                let relay = Relay(loop: loop)
                let server = try loop.createServer(port: 0) { relay.member() }
                let port = server.address!.port
                let (sinkReader, sinkWriter) = try await loop.openConnection(host: "127.0.0.1", port: port)
                try await relay.joined.wait()
                let (_, sourceWriter) = try await loop.openConnection(host: "127.0.0.1", port: port)
                let payload = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
                try sourceWriter.write(payload)
                let relayed = try await sinkReader.readExactly(payload.count)
                sourceWriter.close()
                sinkWriter.close()
                try await sourceWriter.waitClosed()
                server.close()
                try await server.waitClosed()
                return (relayed, relay.alwaysLent, loop.sharedReadBuffer.isLent, loop.sharedReadBuffer.privateLoans)
            }
        }
        #expect(relayed == (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        #expect(lentDuringReads)
        #expect(!lentAfter && privateLoans == 0)
    }
}

/// The first connection is the sink; every later one's bytes are written to the sink, and the
/// sender's transport is closed at its EOF.
private final class Relay: @unchecked Sendable {
    let loop: EventLoop
    let joined = Event()
    var sink: StreamTransport?
    var alwaysLent = true
    init(loop: EventLoop) { self.loop = loop }

    func member() -> any StreamProtocol { Member(relay: self) }

    final class Member: StreamProtocol {
        let relay: Relay
        var transport: StreamTransport?
        init(relay: Relay) { self.relay = relay }
        func connectionMade(_ transport: StreamTransport) {
            self.transport = transport
            if relay.sink == nil { relay.sink = transport; relay.joined.set() }
        }
        func dataReceived(_ bytes: UnsafeRawBufferPointer) {
            if !relay.loop.sharedReadBuffer.isLent { relay.alwaysLent = false }
            if transport !== relay.sink { try? relay.sink?.write(bytes) }
        }
    }
}
