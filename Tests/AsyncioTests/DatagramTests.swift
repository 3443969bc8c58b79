@testable import Asyncio
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Records datagrams and errors; echoes datagrams back to their sender when asked to.
final class DatagramRecorder: DatagramProtocol, @unchecked Sendable {
    let echo: Bool
    var transport: DatagramTransport?
    var datagrams: [(String, SocketAddress)] = []
    var errors: [IOError.Code] = []
    var otherErrors: [String] = []
    var lost = false
    let received = Event()
    let failed = Event()

    init(echo: Bool = false) { self.echo = echo }

    func connectionMade(_ transport: DatagramTransport) { self.transport = transport }
    func datagramReceived(_ bytes: UnsafeRawBufferPointer, from address: SocketAddress) {
        datagrams.append((String(decoding: bytes, as: UTF8.self), address))
        if echo { try? transport?.send(bytes, to: address) }
        received.set()
    }
    func errorReceived(_ error: any Error) {
        if let error = error as? IOError { errors.append(error.code) } else { otherErrors.append("\(error)") }
        failed.set()
    }
    func connectionLost(_ error: (any Error)?) { lost = true }
}

@Suite("UDP and name lookups")
struct DatagramTests {
    @Test func datagramsEchoBetweenABoundAndAConnectedEndpoint() async throws {
        let (replies, fromServer, lost) = try await onLoopThread { loop -> ([String], Bool, Bool) in
            let result = try loop.runUntilComplete { () async throws -> ([String], Bool, Bool) in
                let (server, _) = try await loop.createDatagramEndpoint(local: ("127.0.0.1", 0)) { DatagramRecorder(echo: true) }
                let serverAddress = try #require(server.localAddress)
                let (client, recorder) = try await loop.createDatagramEndpoint(remote: ("127.0.0.1", serverAddress.port)) { DatagramRecorder() }
                #expect(client.remoteAddress == serverAddress)
                for text in ["ping", "", "pong"] {
                    recorder.received.clear()
                    try client.send(text)
                    try await recorder.received.wait()
                }
                client.close()
                server.close()
                try await client.waitClosed()
                try await server.waitClosed()
                return (recorder.datagrams.map(\.0), recorder.datagrams.allSatisfy { $0.1 == serverAddress }, recorder.lost)
            }
            #expect(!loop.dump().contains("udp"))
            return result
        }
        #expect(replies == ["ping", "", "pong"])
        #expect(fromServer)
        #expect(lost)
    }

    @Test func sendingNeedsTheRightAddressAndAnOpenEndpoint() async throws {
        let errors = try await onLoopThread { loop -> [IOError.Code?] in
            try loop.runUntilComplete { () async throws -> [IOError.Code?] in
                var errors: [IOError.Code?] = []
                let (unconnected, _) = try await loop.createDatagramEndpoint(local: ("127.0.0.1", 0)) { DatagramRecorder() }
                do { try unconnected.send("x") } catch let error as IOError { errors.append(error.code) }
                let (connected, _) = try await loop.createDatagramEndpoint(remote: ("127.0.0.1", 9)) { DatagramRecorder() }
                do { try connected.send("x", to: try SocketAddress(host: "127.0.0.1", port: 10)) } catch let error as IOError { errors.append(error.code) }
                connected.close()
                do { try connected.send("x") } catch is StreamClosedError { errors.append(nil) }
                do {
                    _ = try await loop.createDatagramEndpoint { DatagramRecorder() }
                } catch let error as IOError { errors.append(error.code) }
                do {
                    _ = try await loop.createDatagramEndpoint(local: ("not-an-address.invalid", 0)) { DatagramRecorder() }
                } catch let error as IOError where error.operation == "getaddrinfo" { errors.append(error.code) }
                unconnected.close()
                return errors
            }
        }
        #expect(errors.count == 5)
        #expect(Array(errors.prefix(4)) == [.EINVAL, .EINVAL, nil, .EINVAL])  // nil: StreamClosedError
        #expect(errors.last != nil)  // getaddrinfo's code for an unknown host (EAI_NONAME or EAI_AGAIN, per resolver)
    }

    @Test func aConnectedEndpointReportsARefusedPortAsAnErrorAndStaysOpen() async throws {
        let (errors, open) = try await onLoopThread { loop -> ([IOError.Code], Bool) in
            let refusing = try RefusingUDPPort()  // held for the whole test: no parallel test can take it
            return try loop.runUntilComplete { () async throws -> ([IOError.Code], Bool) in
                let (client, recorder) = try await loop.createDatagramEndpoint(remote: ("127.0.0.1", refusing.port)) { DatagramRecorder() }
                try client.send("anyone?")
                // The ICMP "port unreachable"; the bound only turns a lost error into a failure, not a hang.
                try await waitFor(timeout: .seconds(10)) { try await recorder.failed.wait() }
                let open = !client.isClosing
                client.close()
                return (recorder.errors, open)
            }
        }
        #expect(errors == [.ECONNREFUSED])
        #expect(open)
    }

    @Test func getNameInfoReturnsNumericHostAndServiceAndReportsBadFlags() async throws {
        let (numeric, code) = try await onLoopThread { loop -> (String, IOError.Code?) in
            try loop.runUntilComplete { () async throws -> (String, IOError.Code?) in
                let address = try SocketAddress(host: "127.0.0.1", port: 8080)
                let info = try await loop.getNameInfo(address, flags: NI_NUMERICHOST | NI_NUMERICSERV)
                do {
                    _ = try await loop.getNameInfo(address, flags: 1 << 20)
                    return ("\(info.host):\(info.service)", nil)
                } catch let error as IOError {
                    return ("\(info.host):\(info.service)", error.code)
                }
            }
        }
        #expect(numeric == "127.0.0.1:8080")
        #expect(code == .EAI_BADFLAGS)
    }
}
