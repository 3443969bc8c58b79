import Asyncio
import AsyncioHTTP
import HTTPTypes
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Runs `body` on a fresh loop (a thread of its own) with an HTTP server on a free port of 127.0.0.1
/// answering with `handler`; shuts the server down afterwards. `body` gets a minute, so a hang fails
/// with `TimeoutError` instead of stalling the suite.
func withHTTPServer<T: Sendable>(
    configuration: HTTPServerConfiguration = .init(),
    _ handler: @escaping @Sendable (HTTPServerRequest) async throws -> HTTPServerResponse,
    _ body: @escaping @Sendable (EventLoop, Int, StreamServer) async throws -> T
) async throws -> T {
    try await run {
        let loop = try EventLoop.running()
        let server = try loop.startHTTPServer(port: 0, configuration: configuration, handler)
        let port = server.address!.port
        do {
            let value = try await loop.withTimeout(.seconds(60)) { _ in try await body(loop, port, server) }
            await server.shutdown(gracePeriod: .seconds(1))
            return value
        } catch {
            await server.shutdown(gracePeriod: .zero + .milliseconds(1))
            throw error
        }
    }
}

/// What a program printed and how it exited.
struct ProgramOutput: Sendable {
    var status: Int32
    var stdout: [UInt8]
    var stderr: String
    var text: String { String(decoding: stdout, as: UTF8.self) }
}

/// Runs `program` to its end with the loop's subprocess API (reaped: `communicate` waits for the exit).
func runProgram(_ loop: EventLoop, _ program: String, _ arguments: [String]) async throws -> ProgramOutput {
    let process = try loop.createSubprocessExec(program, arguments, stdin: .devNull, stdout: .pipe, stderr: .pipe)
    let (out, err) = try await process.communicate()
    let status = try await process.wait()
    return ProgramOutput(status: status, stdout: out, stderr: String(decoding: err, as: UTF8.self))
}

/// A raw TCP client: writes bytes as given, reads responses with ``HTTPParser`` in response mode.
final class RawClient: @unchecked Sendable {
    let reader: StreamReader
    let writer: StreamWriter
    var parser = HTTPParser(.response)
    private var buffered: [UInt8] = []
    private var atEOF = false

    init(_ loop: EventLoop, port: Int) async throws {
        (reader, writer) = try await loop.openConnection(host: "127.0.0.1", port: port)
    }

    func send(_ text: String) async throws {
        try writer.write(Array(text.utf8))
        try await writer.drain()
    }

    /// The next whole response (nil at EOF before one began), for a request with `method`.
    func response(to method: HTTPRequest.Method = .get) async throws -> ParsedMessage? {
        parser.expectResponse(to: method)
        var current: ParsedMessage?
        while true {
            var done: ParsedMessage?
            let consumed: Int = try buffered.withUnsafeBytes { raw in
                var input = raw
                while done == nil, let event = try parser.next(&input) {
                    switch event {
                    case .response(let head):
                        current = ParsedMessage(
                            startLine: "\(head.version) \(head.response.status.code)",
                            fields: ParsedMessage.fields(head.response.headerFields), keepAlive: head.keepAlive, body: [])
                    case .body(let bytes): current?.body.append(contentsOf: bytes)
                    case .end:
                        done = current
                    case .request: break
                    }
                }
                return raw.count - input.count
            }
            buffered.removeFirst(consumed)
            if let done { return done }
            if atEOF {
                if case .end? = try parser.finish() { return current }
                return nil
            }
            let more = try await reader.read(64 * 1024)
            if more.isEmpty { atEOF = true } else { buffered += more }
        }
    }

    /// Whether the server closed the connection (EOF, or a reset) with nothing more to read.
    func readsEOF() async throws -> Bool {
        if !buffered.isEmpty { return false }
        do {
            return try await reader.read(1).isEmpty
        } catch is IOError {
            return true
        }
    }

    func close() { writer.close() }
}

func field(_ message: ParsedMessage?, _ name: String) -> String? {
    message?.fields.first { $0.hasPrefix(name.lowercased() + ": ") }.map { String($0.dropFirst(name.count + 2)) }
}

/// A temporary directory for files handed to curl, removed by `cleanUp`.
func temporaryDirectory() -> String {
    var template = Array("/tmp/asyncio-http-XXXXXX".utf8CString)
    let path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    return path
}

func writeFile(_ path: String, _ bytes: [UInt8]) {
    let file = fopen(path, "wb")!
    _ = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
    fclose(file)
}

func readFile(_ path: String) -> [UInt8]? {
    guard let file = fopen(path, "rb") else { return nil }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = fread(&buffer, 1, buffer.count, file)
        if count <= 0 { break }
        bytes += buffer[0..<count]
    }
    return bytes
}

func removeDirectory(_ path: String) {
    if let dir = opendir(path) {
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if name != "." && name != ".." { unlink(path + "/" + name) }
        }
        closedir(dir)
    }
    rmdir(path)
}

/// Deterministic pseudo-random bytes (eight at a time: the tests run unoptimised).
func patternBytes(_ count: Int, seed: UInt64 = 0x9E3779B97F4A7C15) -> [UInt8] {
    var state = seed
    var words = [UInt64](repeating: 0, count: (count + 7) / 8)
    for index in words.indices {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        words[index] = state ^ (state >> 29)
    }
    return words.withUnsafeBytes { Array($0.prefix(count)) }
}

/// 8 MiB of ``patternBytes(_:seed:)``, made once.
let eightMebibytes = patternBytes(8 << 20)

/// The routes most tests use: `GET /` hello, `POST /echo` echo, `/throw` throws, `/big` 8 MiB,
/// `/stream` a chunked body of 8 MiB.
@Sendable func routesUnderTest(_ request: HTTPServerRequest) async throws -> HTTPServerResponse {
    switch (request.method, request.path) {
    case (.get, "/"), (.head, "/"):
        return HTTPServerResponse(headerFields: [.contentType: "text/plain"], body: "Hello, World!")
    case (.post, "/echo"), (.put, "/echo"):
        return HTTPServerResponse(body: try await request.body.collect(upTo: 64 << 20))
    case (_, "/throw"):
        struct HandlerFailure: Error {}
        throw HandlerFailure()
    case (.get, "/big"):
        return HTTPServerResponse(body: eightMebibytes)
    case (.get, "/stream"):
        return HTTPServerResponse { writer in
            let bytes = eightMebibytes
            var offset = 0
            while offset < bytes.count {
                try await writer.write(Array(bytes[offset..<min(bytes.count, offset + 100_000)]))
                offset += 100_000
            }
        }
    default:
        return HTTPServerResponse(status: .notFound, body: "no route for \(request.path)")
    }
}
