import Asyncio
import AsyncioHTTP
import Foundation
import Testing

/// Runs `body` as the main task of a fresh loop on a thread of its own (never a Swift pool thread),
/// bounded to a minute so that a hang fails the test instead of stalling the suite.
func withClientLoop<T: Sendable>(_ body: @escaping @Sendable (EventLoop) async throws -> T) async throws -> T {
    try await run {
        let loop = try EventLoop.running()
        return try await loop.withTimeout(.seconds(60)) { _ in try await body(loop) }
    }
}

/// The kind of the `HTTPClientError` that `body` throws, or nil if it throws none (or another error).
func clientErrorKind<T>(_ body: () async throws -> T) async -> HTTPClientError.Kind? {
    do {
        _ = try await body()
        return nil
    } catch let error as HTTPClientError {
        return error.kind
    } catch {
        Issue.record("expected an HTTPClientError, got \(error)")
        return nil
    }
}

/// A TCP port on 127.0.0.1 that refuses connections for as long as this value lives: a socket bound
/// to it and never listening holds it, so no other test can take the port meanwhile (a port that was
/// merely free when chosen could be). Connecting to it gets `ECONNREFUSED`.
final class RefusingTCPPort {
    let port: Int
    private let fd: Int32

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else {
            close(fd)
            throw POSIXError(.EADDRINUSE)
        }
        self.fd = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(fd) }
}

/// `python3 -m http.server` serving a temporary directory on 127.0.0.1 and a port it chose: started,
/// ready once it printed that port (it listens before it prints), stopped with SIGTERM and reaped.
final class PythonHTTPServer: @unchecked Sendable {
    let process: Subprocess
    let port: Int
    let directory: URL

    private init(process: Subprocess, port: Int, directory: URL) {
        self.process = process
        self.port = port
        self.directory = directory
    }

    var base: String { "http://127.0.0.1:\(port)" }

    /// Starts the server on `files` (path → contents) in a new temporary directory.
    static func start(files: [String: [UInt8]], protocolVersion: String = "HTTP/1.0", loop: EventLoop) async throws -> PythonHTTPServer {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("httpclient-\(UInt64.random(in: 0...UInt64.max))")
        for (path, contents) in files {
            let file = directory.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(contents).write(to: file)
        }
        // Port 0: the server binds a free port itself and prints it ("Serving HTTP on 127.0.0.1 port N
        // ..."), listening already. Choosing a free port here and passing it on raced with other tests'
        // sockets, which could take the port first (the server then exited at start-up).
        let process = try loop.createSubprocessExec(
            "python3", ["-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", directory.path, "--protocol", protocolVersion],
            stdin: .devNull, stdout: .pipe, stderr: .devNull)
        let banner = (try? await process.stdout!.readLine()) ?? []
        let words = String(decoding: banner, as: UTF8.self).split(separator: " ")
        guard let portIndex = words.firstIndex(of: "port"), portIndex + 1 < words.count,
              let port = Int(words[portIndex + 1]) else {
            try? FileManager.default.removeItem(at: directory)
            if process.returnCode == nil { try? process.terminate() }
            let status = try await process.wait()
            throw POSIXError(.ECHILD, userInfo: ["message": "python3 -m http.server printed \(banner.count) bytes and no port (exit status \(status))"])
        }
        return PythonHTTPServer(process: process, port: port, directory: directory)
    }

    /// Stops the server and reaps it; removes the directory.
    func stop() async throws {
        if process.returnCode == nil { try? process.terminate() }
        _ = try await process.wait()
        try? FileManager.default.removeItem(at: directory)
    }
}

/// A scripted HTTP peer on the package's own stream server: each accepted connection runs `handler`
/// with its index (0, 1, ...), the reader and the writer.
final class ScriptedServer: @unchecked Sendable {
    let server: StreamServer
    private let counter: Counter
    final class Counter: @unchecked Sendable { var value = 0 }

    var accepted: Int { counter.value }
    var port: Int { server.address!.port }
    var base: String { "http://127.0.0.1:\(port)" }

    init(loop: EventLoop, _ handler: @escaping @Sendable (Int, StreamReader, StreamWriter) async throws -> Void) throws {
        let counter = Counter()
        self.counter = counter
        server = try loop.startServer(host: "127.0.0.1", port: 0) { reader, writer in
            let index = counter.value
            counter.value += 1
            try await handler(index, reader, writer)
        }
    }

    func close() async throws {
        server.close()
        try await server.waitClosed()
    }
}

/// One request as a scripted server reads it: the request line, the header fields, the head's text.
struct ReceivedRequest: Sendable {
    var line: String
    var head: String
    var method: String { String(line.split(separator: " ").first ?? "") }
    var path: String { String(line.split(separator: " ").dropFirst().first ?? "") }
    func field(_ name: String) -> String? {
        for line in head.split(separator: "\r\n").dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == name.lowercased() { return parts[1].trimmingCharacters(in: .whitespaces) }
        }
        return nil
    }
}

/// Reads one request head; nil at EOF. Reads a `Content-Length` body too, returned as the second value.
func readScriptedRequest(_ reader: StreamReader) async throws -> (ReceivedRequest, [UInt8])? {
    let head: [UInt8]
    do {
        head = try await reader.readUntil(Array("\r\n\r\n".utf8))
    } catch is IncompleteReadError {
        return nil
    }
    let text = String(decoding: head, as: UTF8.self)
    let request = ReceivedRequest(line: String(text.split(separator: "\r\n").first ?? ""), head: text)
    var body: [UInt8] = []
    if let length = request.field("Content-Length").flatMap(Int.init), length > 0 {
        body = try await reader.readExactly(length)
    }
    return (request, body)
}

/// A whole response with a `Content-Length` body.
func scriptedResponse(_ status: String = "200 OK", _ body: String = "", fields: [String] = []) -> String {
    (["HTTP/1.1 \(status)", "Content-Length: \(body.utf8.count)"] + fields).joined(separator: "\r\n") + "\r\n\r\n" + body
}

/// A whole `200 OK` response with a `Content-Length` body.
func scriptedResponse(body: String) -> String { scriptedResponse("200 OK", body) }

/// Yields to the loop, one iteration at a time, until `condition` holds (a close completing in its
/// callback, say). Bounded by ``withClientLoop(_:)``'s minute: a condition that never comes fails there.
func yieldUntil(_ condition: () -> Bool) async throws {
    while !condition() { try await EventLoop.running().sleep(for: .zero) }
}
