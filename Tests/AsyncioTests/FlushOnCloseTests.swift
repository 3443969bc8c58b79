@testable import Asyncio
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// asyncio's close semantics (issue 19): `close()` delivers everything written, then closes;
/// `abort()` discards and closes at once.
@Suite("Flush on close")
struct FlushOnCloseTests {
    static let total = 40 << 20

    /// "Write 40 MB, close()": the peer receives every byte (it used to get 3.9 MB), and
    /// `waitClosed()` returns once the flush and the close are done.
    @Test func streamsCloseDeliversEverythingWritten() async throws {
        let (received, buffered) = try await onLoopThread { loop -> (Int, Int) in
            try loop.runUntilComplete { () async throws -> (Int, Int) in
                let count = Box(0)
                let done = Event()
                let server = try loop.startServer(port: 0) { reader, _ in
                    while true {
                        let chunk = try await reader.read(1 << 16)
                        if chunk.isEmpty { break }
                        count.value += chunk.count
                    }
                    done.set()
                }
                let (_, writer) = try await loop.openConnection(host: "127.0.0.1", port: server.address!.port)
                try writer.write([UInt8](repeating: 0x5A, count: Self.total))
                let buffered = writer.writeBufferSize
                writer.close()
                try await writer.waitClosed()
                try await done.wait()
                server.close()
                try await server.waitClosed()
                return (count.value, buffered)
            }
        }
        #expect(buffered > 0, "the test must close with data still buffered")
        #expect(received == Self.total)
    }

    /// The same in the protocol API: `transport.close()` right after a big write, the peer a plain
    /// blocking socket on another thread.
    @Test func protocolCloseDeliversEverythingToAPlainSocket() async throws {
        let listener = try PlainListener()
        async let received = onDedicatedThread { listener.acceptAndCountUntilEOF() }  // blocking calls: not on the pool
        let buffered = try await onLoopThread { loop -> Int in
            try loop.runUntilComplete { () async throws -> Int in
                let (transport, probe) = try await loop.createConnection(host: "127.0.0.1", port: listener.port) {
                    LifecycleProbe()
                }
                try transport.write([UInt8](repeating: 0xA5, count: Self.total))
                let buffered = transport.writeBufferSize
                transport.close()
                try await transport.waitClosed()
                #expect(probe.lostCount == 1 && probe.lostError == nil)
                return buffered
            }
        }
        #expect(buffered > 0)
        #expect(try await received == Self.total)
    }

    /// `abort()` after a big write closes at once: `waitClosed()` returns while the peer has read
    /// nothing (a flushing close would wait for it: the time limit turns that hang into a failure), and
    /// the peer does not get everything.
    @Test(.timeLimit(.minutes(1)))
    func abortAfterABigWriteClosesAtOnce() async throws {
        let (closedBeforePeerRead, received) = try await onLoopThread { loop -> (Bool, Int) in
            try loop.runUntilComplete { () async throws -> (Bool, Int) in
                let gate = Event()
                let count = Box(0)
                let done = Event()
                let server = try loop.startServer(port: 0) { reader, _ in
                    try await gate.wait()  // reads nothing until the writer is closed
                    do {
                        while true {
                            let chunk = try await reader.read(1 << 16)
                            if chunk.isEmpty { break }
                            count.value += chunk.count
                        }
                    } catch is IOError {}  // ECONNRESET: the abort reset the connection
                    done.set()
                }
                let (_, writer) = try await loop.openConnection(host: "127.0.0.1", port: server.address!.port)
                try writer.write([UInt8](repeating: 1, count: Self.total))
                writer.underlyingTransport.abort()
                try await writer.waitClosed()
                let closedBeforePeerRead = !gate.isSet && writer.isClosing
                gate.set()
                try await done.wait()
                server.close()
                try await server.waitClosed()
                return (closedBeforePeerRead, count.value)
            }
        }
        #expect(closedBeforePeerRead)
        #expect(received < Self.total)
    }

    /// A close that is still flushing cannot flush to a peer that reset the connection: the write
    /// error ends the close and is reported — `waitClosed()` throws it — instead of vanishing.
    @Test func aWriteErrorDuringTheFlushIsReported() async throws {
        let (error, lost) = try await onLoopThread { loop -> (IOError?, IOError.Code?) in
            try loop.runUntilComplete { () async throws -> (IOError?, IOError.Code?) in
                let peerReady = Event()
                let peerProbe = Box<LifecycleProbe?>(nil)
                let server = try loop.createServer(port: 0) {
                    let probe = LifecycleProbe(made: peerReady)
                    peerProbe.value = probe
                    return probe
                }
                let (transport, probe) = try await loop.createConnection(host: "127.0.0.1", port: server.address!.port) {
                    LifecycleProbe()
                }
                try await peerReady.wait()
                let peer = try #require(peerProbe.value?.transport)
                peer.pauseReading()                    // the peer reads nothing
                try transport.write([UInt8](repeating: 2, count: Self.total))
                transport.close()                      // flushing, while the peer reads nothing
                #expect(transport.writeBufferSize > 0)
                let waiting = try loop.createTask { try await transport.waitClosed() }
                try await loop.sleep(for: .zero)
                #expect(!waiting.isDone)               // still flushing
                // The peer resets the connection (SO_LINGER 0 close) while the writer flushes.
                peer.abort()
                var error: IOError?
                do { try await waiting.value } catch let failure as IOError { error = failure }
                server.close()
                try await server.waitClosed()
                return (error, (probe.lostError as? IOError)?.code)
            }
        }
        #expect(error?.operation == "write")
        #expect(error?.code == .ECONNRESET || error?.code == .EPIPE)
        #expect(lost == .ECONNRESET || lost == .EPIPE)
    }
}

/// A listening socket on 127.0.0.1 served by plain blocking system calls (no loop).
final class PlainListener: Sendable {
    let port: Int
    private let descriptor: Int32

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXFailure(call: "socket") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && listen(fd, 8) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard ok else { close(fd); throw POSIXFailure(call: "bind/listen") }
        descriptor = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(descriptor) }

    /// Accepts one connection and reads it to its end; returns the byte count (-1 on a read error).
    func acceptAndCountUntilEOF() -> Int {
        let connection = accept(descriptor, nil, nil)
        guard connection >= 0 else { return -1 }
        defer { close(connection) }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var total = 0
        while true {
            let n = read(connection, &buffer, buffer.count)
            if n == 0 { return total }
            if n < 0 { if errno == EINTR { continue }; return -1 }
            total += n
        }
    }
}
