@testable import Asyncio
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A connected pair of stream sockets made without the loop: a Unix `socketpair`, or a TCP
/// connection from a plain `connect` to a plain `accept`.
enum PlainPair: CaseIterable, Sendable {
    case unix, tcp

    func make() throws -> (Int32, Int32) {
        switch self {
        case .unix:
            var fds: [Int32] = [0, 0]
            try #require(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0)
            return (fds[0], fds[1])
        case .tcp:
            let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            try #require(listener >= 0)
            defer { close(listener) }
            let address = try SocketAddress(host: "127.0.0.1", port: 0)
            let size = socklen_t(MemoryLayout<sockaddr_in>.size)
            try #require(address.withSockaddr { bind(listener, $0, size) } == 0)
            try #require(Glibc.listen(listener, 1) == 0)
            var bound = sockaddr_in()
            var length = size
            try #require(withUnsafeMutablePointer(to: &bound) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
            } == 0)
            let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            try #require(client >= 0)
            try #require(withUnsafePointer(to: &bound) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, size) }
            } == 0)  // the kernel completes it from the backlog: no accept needed first
            let accepted = accept(listener, nil, nil)
            try #require(accepted >= 0)
            return (accepted, client)
        }
    }
}

@Suite("connectAcceptedSocket")
struct ConnectAcceptedSocketTests {
    /// One end adopted in the protocol API (an echo), the other in the streams API: data goes both
    /// ways, and closing the streams end closes the protocol's (its EOF), which the reader then sees.
    @Test(arguments: PlainPair.allCases)
    func bothAPIsAdoptAConnectedSocket(_ pair: PlainPair) async throws {
        let (serverFD, clientFD) = try pair.make()
        let (echoed, atEOF, events) = try await onLoopThread { loop -> (String, Bool, [String]) in
            let trace = Trace()
            let (echoed, atEOF) = try loop.runUntilComplete { () async throws -> (String, Bool) in
                let (transport, echo) = try loop.connectAcceptedSocket(serverFD) {
                    RecordingProtocol("server", trace: trace, echo: true)
                }
                #expect(echo.transport === transport)
                let (reader, writer): (StreamReader, StreamWriter) = try loop.connectAcceptedSocket(clientFD)
                try writer.write("both ways")
                let echoed = text(try await reader.readExactly(9))
                try writer.writeEOF()  // the echo's transport closes at EOF...
                try await echo.lostEvent.wait()
                let atEOF = try await reader.read(-1).isEmpty  // ...and this reader then sees its EOF
                writer.close()
                try await writer.waitClosed()
                return (echoed, atEOF)
            }
            return (echoed, atEOF, trace.events)
        }
        #expect(echoed == "both ways")
        #expect(atEOF)
        #expect(events == ["server made", "server eof", "server lost nil"])
        // (Both descriptors were the transports' and closed with them; not checked by number here, as
        // tests running alongside reuse descriptor numbers at once.)
    }

    /// A descriptor that is not a socket (a pipe's), or a socket that is not connected, is refused
    /// with an ``IOError`` before anything owns it: it stays open, the caller's to close.
    @Test func aDescriptorThatIsNotAConnectedStreamSocketIsRefusedAndLeftOpen() async throws {
        var pipeFDs: [Int32] = [0, 0]
        try #require(pipe(&pipeFDs) == 0)
        let unconnected = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        let datagram = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        try #require(unconnected >= 0 && datagram >= 0)
        let refused = [pipeFDs[0], unconnected, datagram]
        defer { for fd in [pipeFDs[1]] + refused { close(fd) } }
        let codes = try await onLoopThread { loop -> [IOError.Code?] in
            refused.map { fd in
                do {
                    _ = try loop.connectAcceptedSocket(fd) { RecordingProtocol("never", trace: Trace()) }
                    return nil
                } catch let error as IOError {
                    #expect(error.operation == "adopt")
                    return error.code
                } catch {
                    return nil
                }
            }
        }
        #expect(codes == [IOError.Code(errno: ENOTSOCK), .ENOTCONN, .EINVAL])
        for fd in refused { #expect(fcntl(fd, F_GETFD) != -1) }
    }
}
