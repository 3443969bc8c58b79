@testable import Asyncio
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Every public entry point of the loop-confined I/O types — `StreamTransport`, `StreamWriter`,
/// `StreamServer`, `DatagramTransport`, `Subprocess`, `AsyncFile` — and of the loop's I/O functions,
/// called from a thread that is not the loop's: a precondition failure naming the call (the one
/// misuse rule, see Loop/Confinement.swift). Each case runs in a child process (an exit test).
@Suite("Confinement: streams, servers, datagrams, subprocesses, files")
struct ConfinementIOTests {
    enum Misuse: String, CaseIterable, Sendable, Codable {
        // StreamTransport
        case transportWriteRaw, transportWriteBytes, transportWriteSlice, transportWriteText, transportWriteEOF
        case transportClose, transportAbort, transportWaitClosed, transportPauseReading, transportResumeReading
        case transportIsReading, transportWriteBufferSize, transportIsClosing, transportSetWriteBufferLimits
        case transportPeerAddress, transportSocketAddress, transportTimeouts, transportIsIdle
        // StreamWriter
        case writerWriteBytes, writerWriteSlice, writerWriteText, writerWriteLines, writerDrain, writerWriteBufferSize
        case writerSetWriteBufferLimits, writerWriteEOF, writerClose, writerIsClosing, writerWaitClosed
        case writerPeerAddress, writerUnderlyingTransport, writerSocketAddress
        // StreamServer
        case serverConnectionCount, serverAddress, serverIsClosed, serverClose, serverWaitClosed, serverServeForever
        case serverCloseClients, serverAbortClients, serverShutdown
        // DatagramTransport
        case datagramRemoteAddress, datagramIsClosing, datagramWriteBufferSize, datagramSendRaw, datagramSendBytes
        case datagramSendText, datagramLocalAddress, datagramClose, datagramWaitClosed
        // Subprocess
        case processPid, processStdin, processStdout, processStderr, processReturnCode, processWait
        case processCommunicate, processSendSignal, processTerminate, processKill
        // AsyncFile
        case filePath, filePosition, fileRead, fileReadText, fileWriteBytes, fileWriteText, fileSeek, fileClose, fileIsClosed
        // the loop's I/O functions
        case openConnection, createConnection, openUnixConnection, createUnixConnection, startServer, createServer
        case startUnixServer, createUnixServer, getAddrInfo, getNameInfo, createDatagramEndpoint
        case createSubprocessExec, createSubprocessShell, stat, fileExists, makeDirectory, rename, removeFile
        case removeDirectory, listDirectory, addSignalHandler, removeSignalHandler

        /// The name the failure message must contain.
        var call: String {
            let name = rawValue
            for (prefix, type) in [("transport", "StreamTransport"), ("writer", "StreamWriter"), ("server", "StreamServer"),
                                   ("datagram", "DatagramTransport"), ("process", "Subprocess"), ("file", "AsyncFile")]
            where name.hasPrefix(prefix) && name != "fileExists" {
                var member = String(name.dropFirst(prefix.count))
                for suffix in ["Raw", "Bytes", "Slice", "Text"] where member.hasSuffix(suffix) && member != "ReadText" {
                    member = String(member.dropLast(suffix.count))
                }
                return "\(type).\(member.prefix(1).lowercased())\(member.dropFirst())"
            }
            return "EventLoop.\(name)"
        }

        /// What the case needs built on the loop before it misuses it.
        var fixture: Fixture.Kind {
            switch self {
            case _ where rawValue.hasPrefix("transport"): .transport
            case _ where rawValue.hasPrefix("writer"): .streams
            case _ where rawValue.hasPrefix("server"): .streams
            case _ where rawValue.hasPrefix("datagram"): .datagram
            case _ where rawValue.hasPrefix("process"): .subprocess
            case _ where rawValue.hasPrefix("file") && self != .fileExists: .file
            default: .loop
            }
        }
    }

    @Test func everyMisuseNamesAPublicCall() {
        #expect(Misuse.transportWriteRaw.call == "StreamTransport.write")
        #expect(Misuse.writerUnderlyingTransport.call == "StreamWriter.underlyingTransport")
        #expect(Misuse.fileReadText.call == "AsyncFile.readText")
        #expect(Misuse.fileWriteText.call == "AsyncFile.write")
        #expect(Misuse.fileExists.call == "EventLoop.fileExists")
        #expect(Misuse.processPid.call == "Subprocess.pid")
        #expect(Misuse.datagramSendText.call == "DatagramTransport.send")
    }

    /// (A time limit: a call that fails to trap may wait forever in the child.)
    @Test(.timeLimit(.minutes(1)), arguments: Misuse.allCases)
    func anIOCallFromAnotherThreadTrapsNamingTheCall(_ misuse: Misuse) async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) { [misuse] in
            // The loop and its objects belong to a thread of their own; this task, on a Swift pool
            // thread, misuses them.
            let fixture = Fixture.build(misuse.fixture)
            try await misuse.perform(on: fixture)
            childRequire(false, "\(misuse.call) did not trap")
        }
        let stderr = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(stderr.contains("\(misuse.call) was called on thread"), "stderr: \(stderr.suffix(600))")
    }

    /// `AsyncFile.open` takes the loop running on the calling thread: elsewhere it throws (asyncio's
    /// `get_running_loop()` raising), it does not trap.
    @Test func openingAFileWhereNoLoopRunsThrows() async {
        await #expect(throws: EventLoopError.noRunningLoop) { _ = try await AsyncFile.open("/dev/null") }
    }
}

/// Loop-confined objects built on a loop thread of their own.
final class Fixture: @unchecked Sendable {
    enum Kind: Sendable { case loop, transport, streams, datagram, subprocess, file }

    let loop: EventLoop
    var transport: StreamTransport!
    var server: StreamServer!
    var reader: StreamReader!
    var writer: StreamWriter!
    var datagram: DatagramTransport!
    var process: Subprocess!
    var file: AsyncFile!

    private init(loop: EventLoop) { self.loop = loop }

    /// Builds the objects on a new thread and joins it (`pthread_join`: the handover is one that
    /// ThreadSanitizer sees). The calling thread was alive while that thread ran, so its id differs
    /// from the loop's. Blocks the calling thread for the build: for exit tests only.
    static func build(_ kind: Kind) -> Fixture {
        final class Job {
            let kind: Kind
            var fixture: Fixture?
            init(kind: Kind) { self.kind = kind }
        }
        let job = Job(kind: kind)
        var thread = pthread_t()
        let status = pthread_create(&thread, nil, { raw in
            let job = Unmanaged<Job>.fromOpaque(raw!).takeUnretainedValue()
            do {
                let loop = try EventLoop()
                let fixture = Fixture(loop: loop)
                let kind = job.kind
                try loop.runUntilComplete { try await fixture.make(kind) }
                job.fixture = fixture
            } catch {
                childRequire(false, "fixture: \(error)")
            }
            return nil
        }, Unmanaged.passUnretained(job).toOpaque())
        childRequire(status == 0, "pthread_create: \(status)")
        pthread_join(thread, nil)
        return job.fixture!
    }

    private func make(_ kind: Kind) async throws {
        switch kind {
        case .loop:
            break
        case .transport:
            server = try loop.createServer(port: 0) { LifecycleProbe() }
            (transport, _) = try await loop.createConnection(host: "127.0.0.1", port: server.address!.port) { LifecycleProbe() }
        case .streams:
            server = try loop.startServer(port: 0) { reader, _ in _ = try await reader.read() }
            (reader, writer) = try await loop.openConnection(host: "127.0.0.1", port: server.address!.port)
        case .datagram:
            (datagram, _) = try await loop.createDatagramEndpoint(local: ("127.0.0.1", 0)) { SilentDatagrams() }
        case .subprocess:
            // `cat` ends by itself when this process dies: its stdin closes.
            process = try loop.createSubprocessExec("cat", stdin: .pipe, stdout: .pipe, stderr: .devNull)
        case .file:
            file = try await AsyncFile.open("/dev/null", mode: "r+")
        }
    }
}

extension ConfinementIOTests.Misuse {
    /// Performs the misuse (from a thread that is not the loop's).
    func perform(on fixture: Fixture) async throws {
        let loop = fixture.loop
        let address = try SocketAddress(host: "127.0.0.1", port: 1)
        let bytes: [UInt8] = [1, 2, 3]
        switch self {
        case .transportWriteRaw: try bytes.withUnsafeBytes { try fixture.transport.write($0) }
        case .transportWriteBytes: try fixture.transport.write(bytes)
        case .transportWriteSlice: try fixture.transport.write(bytes[...])
        case .transportWriteText: try fixture.transport.write("x")
        case .transportWriteEOF: try fixture.transport.writeEOF()
        case .transportClose: fixture.transport.close()
        case .transportAbort: fixture.transport.abort()
        case .transportWaitClosed: try await fixture.transport.waitClosed()
        case .transportPauseReading: fixture.transport.pauseReading()
        case .transportResumeReading: fixture.transport.resumeReading()
        case .transportIsReading: _ = fixture.transport.isReading
        case .transportWriteBufferSize: _ = fixture.transport.writeBufferSize
        case .transportIsClosing: _ = fixture.transport.isClosing
        case .transportSetWriteBufferLimits: fixture.transport.setWriteBufferLimits(high: 10)
        case .transportPeerAddress: _ = fixture.transport.peerAddress
        case .transportSocketAddress: _ = fixture.transport.socketAddress
        case .transportTimeouts: fixture.transport.timeouts = ConnectionTimeouts(idle: .seconds(1))
        case .transportIsIdle: _ = fixture.transport.isIdle
        case .writerWriteBytes: try fixture.writer.write(bytes)
        case .writerWriteSlice: try fixture.writer.write(bytes[...])
        case .writerWriteText: try fixture.writer.write("x")
        case .writerWriteLines: try fixture.writer.writeLines([bytes])
        case .writerDrain: try await fixture.writer.drain()
        case .writerWriteBufferSize: _ = fixture.writer.writeBufferSize
        case .writerSetWriteBufferLimits: fixture.writer.setWriteBufferLimits(high: 10)
        case .writerWriteEOF: try fixture.writer.writeEOF()
        case .writerClose: fixture.writer.close()
        case .writerIsClosing: _ = fixture.writer.isClosing
        case .writerWaitClosed: try await fixture.writer.waitClosed()
        case .writerPeerAddress: _ = fixture.writer.peerAddress
        case .writerUnderlyingTransport: _ = fixture.writer.underlyingTransport
        case .writerSocketAddress: _ = fixture.writer.socketAddress
        case .serverConnectionCount: _ = fixture.server.connectionCount
        case .serverAddress: _ = fixture.server.address
        case .serverIsClosed: _ = fixture.server.isClosed
        case .serverClose: fixture.server.close()
        case .serverWaitClosed: try await fixture.server.waitClosed()
        case .serverServeForever: try await fixture.server.serveForever()
        case .serverCloseClients: fixture.server.closeClients()
        case .serverAbortClients: fixture.server.abortClients()
        case .serverShutdown: await fixture.server.shutdown(gracePeriod: .seconds(1))
        case .datagramRemoteAddress: _ = fixture.datagram.remoteAddress
        case .datagramIsClosing: _ = fixture.datagram.isClosing
        case .datagramWriteBufferSize: _ = fixture.datagram.writeBufferSize
        case .datagramSendRaw: try bytes.withUnsafeBytes { try fixture.datagram.send($0, to: address) }
        case .datagramSendBytes: try fixture.datagram.send(bytes, to: address)
        case .datagramSendText: try fixture.datagram.send("x", to: address)
        case .datagramLocalAddress: _ = fixture.datagram.localAddress
        case .datagramClose: fixture.datagram.close()
        case .datagramWaitClosed: try await fixture.datagram.waitClosed()
        case .processPid: _ = fixture.process.pid
        case .processStdin: _ = fixture.process.stdin
        case .processStdout: _ = fixture.process.stdout
        case .processStderr: _ = fixture.process.stderr
        case .processReturnCode: _ = fixture.process.returnCode
        case .processWait: try await fixture.process.wait()
        case .processCommunicate: _ = try await fixture.process.communicate(input: bytes)
        case .processSendSignal: try fixture.process.sendSignal(SIGCONT)
        case .processTerminate: try fixture.process.terminate()
        case .processKill: try fixture.process.kill()
        case .filePath: _ = fixture.file.path
        case .filePosition: _ = fixture.file.position
        case .fileRead: _ = try await fixture.file.read(1)
        case .fileReadText: _ = try await fixture.file.readText()
        case .fileWriteBytes: try await fixture.file.write(bytes)
        case .fileWriteText: try await fixture.file.write("x")
        case .fileSeek: fixture.file.seek(to: 0)
        case .fileClose: try await fixture.file.close()
        case .fileIsClosed: _ = fixture.file.isClosed
        case .openConnection: _ = try await loop.openConnection(host: "127.0.0.1", port: 1)
        case .createConnection: _ = try await loop.createConnection(host: "127.0.0.1", port: 1) { LifecycleProbe() }
        case .openUnixConnection: _ = try await loop.openUnixConnection(path: "/nonexistent")
        case .createUnixConnection: _ = try await loop.createUnixConnection(path: "/nonexistent") { LifecycleProbe() }
        case .startServer: _ = try loop.startServer(port: 0) { _, _ in }
        case .createServer: _ = try loop.createServer(port: 0) { LifecycleProbe() }
        case .startUnixServer: _ = try loop.startUnixServer(path: "/nonexistent/x.sock") { _, _ in }
        case .createUnixServer: _ = try loop.createUnixServer(path: "/nonexistent/x.sock") { LifecycleProbe() }
        case .getAddrInfo: _ = try await loop.getAddrInfo(host: "localhost", port: 80)
        case .getNameInfo: _ = try await loop.getNameInfo(address)
        case .createDatagramEndpoint: _ = try await loop.createDatagramEndpoint(local: ("127.0.0.1", 0)) { SilentDatagrams() }
        case .createSubprocessExec: _ = try loop.createSubprocessExec("true")
        case .createSubprocessShell: _ = try loop.createSubprocessShell("true")
        case .stat: _ = try await loop.stat("/")
        case .fileExists: _ = try await loop.fileExists("/")
        case .makeDirectory: try await loop.makeDirectory("/nonexistent/x")
        case .rename: try await loop.rename("/nonexistent/x", to: "/nonexistent/y")
        case .removeFile: try await loop.removeFile("/nonexistent/x")
        case .removeDirectory: try await loop.removeDirectory("/nonexistent/x")
        case .listDirectory: _ = try await loop.listDirectory("/")
        case .addSignalHandler: try loop.addSignalHandler(SIGUSR2) {}
        case .removeSignalHandler: loop.removeSignalHandler(SIGUSR2)
        }
    }
}
