@testable import Asyncio
#if canImport(Glibc)
import Glibc
#endif

/// Explicit synchronisation with real I/O: runs loop iterations (each polls I/O without blocking, and
/// virtual time does not move while one is ready) until `condition` holds; throws after a million.
nonisolated(nonsending) func spin(
    _ loop: EventLoop, until condition: () -> Bool, _ what: @autoclosure () -> String = "a condition"
) async throws {
    var spins = 0
    while !condition() {
        spins += 1
        if spins > 1_000_000 { throw SpinGaveUp(what: what()) }
        try await loop.sleep(for: .zero)
    }
}

struct SpinGaveUp: Error, CustomStringConvertible {
    let what: String
    var description: String { "gave up waiting for \(what)" }
}

/// Bytes as text.
func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

/// A line server for shutdown and timeout tests: answers each line with `done LINE`; a line
/// `slow N` first works for N seconds (a loop sleep: virtual on a test loop). `started` counts the
/// slow requests begun, `writers` keeps each connection's writer (the server's side of it), `ended`
/// records how each handler ended ("returned" or the error).
final class LineService: @unchecked Sendable {
    let loop: EventLoop
    let slowStarted = Event()
    var writers: [StreamWriter] = []
    var ended: [String] = []

    init(loop: EventLoop) { self.loop = loop }

    func start(timeouts: ConnectionTimeouts = .none) throws -> StreamServer {
        try loop.startServer(port: 0, timeouts: timeouts) { [self] reader, writer in
            writers.append(writer)
            do {
                for try await line in reader {
                    let request = text(line)
                    if request.hasPrefix("slow "), let seconds = Int(request.dropFirst(5).dropLast()) {
                        slowStarted.set()
                        try await loop.sleep(for: .seconds(seconds))
                    }
                    try writer.write("done \(request)")
                }
                ended.append("returned")
            } catch {
                ended.append("\(error)")
                throw error
            }
        }
    }
}

/// A client connection of a test.
struct LineClient: @unchecked Sendable {
    let reader: StreamReader
    let writer: StreamWriter

    /// Connects, and waits until the server has accepted the connection.
    nonisolated(nonsending) static func connect(_ loop: EventLoop, to server: StreamServer) async throws -> LineClient {
        let before = server.connectionCount
        let (reader, writer) = try await loop.openConnection(host: "127.0.0.1", port: server.address!.port)
        try await spin(loop, until: { server.connectionCount > before }, "the server to accept")
        return LineClient(reader: reader, writer: writer)
    }

    /// Sends `line` and returns the answer.
    nonisolated(nonsending) func ask(_ line: String) async throws -> String {
        try writer.write(line + "\n")
        return text(try await reader.readLine())
    }

    /// How a connection ended, as ``end()`` saw it.
    enum End: Equatable, CustomStringConvertible {
        case eof
        case data(String)
        case error(IOError.Code)
        case other(String)
        var description: String {
            switch self {
            case .eof: return "eof"
            case .data(let text): return "data: \(text)"
            case .error(let code): return "\(code)"
            case .other(let text): return text
            }
        }
    }

    /// How the connection ends: at EOF, with data, or with an error's code (`.error(.ECONNRESET)`).
    nonisolated(nonsending) func end() async -> End {
        do {
            let rest = try await reader.read()
            return rest.isEmpty ? .eof : .data(text(rest))
        } catch let error as IOError {
            return .error(error.code)
        } catch {
            return .other("\(error)")
        }
    }
}
