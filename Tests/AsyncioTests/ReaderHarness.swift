@testable import Asyncio
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// One read call of a reader script.
enum ReaderOp: Equatable, Sendable, CustomStringConvertible {
    /// `read(n)`; `-1` reads to the end.
    case read(Int)
    case readExactly(Int)
    case readUntil([UInt8])
    case readLine
    /// `next()` of the reader's line iterator (one iterator for the whole script).
    case nextLine

    var description: String {
        switch self {
        case .read(let n): "read(\(n))"
        case .readExactly(let n): "readExactly(\(n))"
        case .readUntil(let separator): "readUntil(\(pythonBytes(separator)))"
        case .readLine: "readLine()"
        case .nextLine: "next()"
        }
    }

    /// How CPython's script prints this call's outcome (the `py/` programs print the same way).
    func python(_ outcome: ReadOutcome) -> String {
        switch outcome {
        case .bytes(let bytes): pythonBytes(bytes)
        case .endOfLines: "StopAsyncIteration"
        case .limitOverrun(let consumed):
            self == .readLine || self == .nextLine ? "ValueError" : "LimitOverrunError \(consumed)"
        case .incompleteRead(let partial, let expected):
            "IncompleteReadError \(pythonBytes(partial)) \(expected.map(String.init) ?? "None")"
        }
    }

    /// The call on the model; `nil` where asyncio would wait for data.
    func apply(to model: inout ReaderModel) -> ReadOutcome? {
        switch self {
        case .read(let n): model.read(n)
        case .readExactly(let n): model.readExactly(n)
        case .readUntil(let separator): model.readUntil(separator)
        case .readLine: model.readLine()
        case .nextLine: model.nextLine()
        }
    }

    /// The call on a real reader.
    nonisolated(nonsending) func perform(
        on reader: StreamReader, lines: inout StreamReader.AsyncIterator
    ) async throws -> ReadOutcome {
        do {
            switch self {
            case .read(let n): return .bytes(try await reader.read(n < 0 ? nil : n))  // the model is asyncio's n=-1
            case .readExactly(let n): return .bytes(try await reader.readExactly(n))
            case .readUntil(let separator): return .bytes(try await reader.readUntil(separator))
            case .readLine: return .bytes(try await reader.readLine())
            case .nextLine: return try await lines.next().map { .bytes($0) } ?? .endOfLines
            }
        } catch let overrun as LimitOverrunError {
            return .limitOverrun(consumed: overrun.consumed)
        } catch let incomplete as IncompleteReadError {
            return .incompleteRead(partial: incomplete.partial, expected: incomplete.expected)
        }
    }
}

/// Python's `repr` of a bytes object (printable ASCII as is, the rest escaped).
func pythonBytes(_ bytes: [UInt8]) -> String {
    var text = "b'"
    for byte in bytes {
        switch byte {
        case 10: text += "\\n"
        case 13: text += "\\r"
        case 9: text += "\\t"
        case 39: text += "\\'"
        case 92: text += "\\\\"
        case 32..<127: text.unicodeScalars.append(Unicode.Scalar(byte))
        default:
            let hex = String(byte, radix: 16)
            text += "\\x" + (hex.count == 1 ? "0" + hex : hex)
        }
    }
    return text + "'"
}

/// What one script does to a reader: the bytes the peer sends, in chunks, and the read calls.
struct ReaderScript: Sendable, CustomStringConvertible {
    var limit: Int
    /// Each chunk is sent only while the reader waits for data and has received every byte sent
    /// before (so it arrives whole, at a point the model can name); then the peer half-closes.
    var chunks: [[UInt8]]
    /// Loop iterations the peer lets run before each chunk (and before the end): more interleavings,
    /// the same outcome.
    var pauses: [Int]
    var ops: [ReaderOp]

    init(limit: Int, chunks: [[UInt8]], pauses: [Int]? = nil, ops: [ReaderOp]) {
        self.limit = limit
        self.chunks = chunks
        self.pauses = pauses ?? Array(repeating: 0, count: chunks.count + 1)
        self.ops = ops
    }

    init(limit: Int, chunks: [String], ops: [ReaderOp]) {
        self.init(limit: limit, chunks: chunks.map { Array($0.utf8) }, ops: ops)
    }

    var description: String {
        "limit \(limit), chunks [\(chunks.map(pythonBytes).joined(separator: ", "))], pauses \(pauses), ops \(ops)"
    }

    /// Each call's outcome and `atEOF` after it, as the model says.
    func modelRun() -> [Step] {
        var model = ReaderModel(limit: limit)
        var pending = chunks[...]
        return ops.map { op in
            while true {
                if let outcome = op.apply(to: &model) { return Step(outcome: outcome, atEOF: model.atEOF) }
                if let chunk = pending.popFirst() { model.feed(chunk) } else { model.feedEOF() }
            }
        }
    }

    struct Step: Equatable, Sendable, CustomStringConvertible {
        var outcome: ReadOutcome
        var atEOF: Bool
        var description: String { "\(outcome)\(atEOF ? " atEOF" : "")" }
    }

    /// Each call's outcome and `atEOF` after it, from a real reader on `host`'s loop.
    func run(on host: ReaderHost) async throws -> [Step] {
        try await host.run { loop, accepted in
            let (reader, writer) = try await loop.openConnection(host: "127.0.0.1", port: host.port, limit: limit)
            defer { writer.close() }  // the server's handler then reads EOF and closes its side
            let peer = try await accepted.get()
            let finished = Box(false)
            let reading = try loop.createTask { () async throws -> [Step] in
                defer { finished.value = true }
                var lines = reader.makeAsyncIterator()
                var steps: [Step] = []
                for op in ops {
                    let outcome = try await op.perform(on: reader, lines: &lines)
                    steps.append(Step(outcome: outcome, atEOF: reader.atEOF))
                }
                return steps
            }
            // The peer: each chunk (then the end) only once the reader waits with all sent so far.
            var sent = 0
            for index in 0...chunks.count {
                for _ in 0..<(index < pauses.count ? pauses[index] : 0) { try await loop.sleep(for: .zero) }
                var spins = 0
                while !finished.value && !(reader.isWaitingForData && reader.receivedByteCount == sent) {
                    spins += 1
                    if spins > 1_000_000 { throw ScriptStuck(script: description, sent: sent) }
                    try await loop.sleep(for: .zero)
                }
                if finished.value { break }
                if index == chunks.count {
                    try peer.writeEOF()
                } else {
                    try peer.write(chunks[index])
                    sent += chunks[index].count
                }
            }
            return try await reading.value
        }
    }
}

struct ScriptStuck: Error, CustomStringConvertible {
    var script: String
    var sent: Int
    var description: String { "the reader neither waited for data nor finished (\(sent) bytes sent): \(script)" }
}

/// A loop running on a thread of its own for the length of a test, with a TCP server on 127.0.0.1
/// whose accepted connections are handed to the work submitted with ``run(_:)``: many connections
/// (one per script), one loop.
final class ReaderHost: Sendable {
    let loop: EventLoop
    let port: Int
    /// The server side of each accepted connection, in order (loop-confined).
    private let accepted: Queue<StreamWriter>
    private let server: StreamServer
    private let stopped: ConcurrentFuture<Void>

    private init(loop: EventLoop, port: Int, accepted: Queue<StreamWriter>, server: StreamServer, stopped: ConcurrentFuture<Void>) {
        self.loop = loop
        self.port = port
        self.accepted = accepted
        self.server = server
        self.stopped = stopped
    }

    /// Starts the loop's thread and the server.
    static func start() async throws -> ReaderHost {
        let started = Mutex<CheckedContinuation<EventLoop, any Error>?>(nil)
        let stopped = ConcurrentFuture<Void>()
        let fence = HandoffFence()
        let loop = try await withCheckedThrowingContinuation { continuation in
            started.withLock { $0 = continuation }
            spawnThread(name: "reader-host") {
                do {
                    let loop = try EventLoop()
                    fence.publish()
                    started.withLock { $0.take() }?.resume(returning: loop)
                    try loop.runForever()
                    try? loop.cancelAllTasks()
                    try loop.close()
                    stopped.complete(.success(()))
                } catch {
                    started.withLock { $0.take() }?.resume(throwing: error)
                    stopped.complete(.failure(error))
                }
            }
        }
        fence.receive()
        let (server, accepted, port) = try await loop.runCoroutineThreadsafe {
            () throws -> (StreamServer, Queue<StreamWriter>, Int) in
            let accepted = Queue<StreamWriter>()
            let server = try loop.startServer(port: 0) { reader, writer in
                try await accepted.put(writer)
                while !(try await reader.read(4096)).isEmpty {}  // until the client closes
            }
            return (server, accepted, server.address!.port)  // read on the loop's thread
        }.value
        return ReaderHost(loop: loop, port: port, accepted: accepted, server: server, stopped: stopped)
    }

    /// Runs `body` as a task on the loop and awaits its result.
    func run<T: Sendable>(
        _ body: @escaping @Sendable (EventLoop, Queue<StreamWriter>) async throws -> T
    ) async throws -> T {
        try await loop.runCoroutineThreadsafe { [loop, accepted] in try await body(loop, accepted) }.value
    }

    /// Closes the server, stops the loop and waits until its thread has closed it.
    func shutdown() async throws {
        try await loop.runCoroutineThreadsafe { [server] in
            server.close()
            try await server.waitClosed()
        }.value
        loop.stop()
        try await stopped.value
    }

    /// Runs `body` with a started host, and shuts it down afterwards.
    static func with<T: Sendable>(_ body: (ReaderHost) async throws -> T) async throws -> T {
        let host = try await start()
        do {
            let result = try await body(host)
            try await host.shutdown()
            return result
        } catch {
            try? await host.shutdown()
            throw error
        }
    }
}

/// What the CPython program `py/NAME.py` printed: the comment block after its `# CPython 3.13 prints:`
/// line (see ``StreamReaderCPythonTests``, which runs the programs when CPython 3.13 is installed).
func cpythonPrinted(_ name: String) throws -> [String] {
    let text = try readTextFile(pythonProgramPath(name))
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    guard let marker = lines.firstIndex(of: "# CPython 3.13 prints:") else { throw MissingOutputBlock(file: name) }
    return lines[(marker + 1)...].filter { $0.hasPrefix("# ") }.map { String($0.dropFirst(2)) }
}

struct MissingOutputBlock: Error { var file: String }

/// `Tests/AsyncioTests/py/NAME.py`, found from this source file.
func pythonProgramPath(_ name: String, here: String = #filePath) -> String {
    String(here[..<here.lastIndex(of: "/")!]) + "/py/\(name).py"
}

func readTextFile(_ path: String) throws -> String {
    guard let file = fopen(path, "r") else { throw POSIXFailure(call: "fopen \(path)") }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = fread(&chunk, 1, chunk.count, file)
        if count <= 0 { break }
        bytes += chunk[..<count]
    }
    return String(decoding: bytes, as: UTF8.self)
}
