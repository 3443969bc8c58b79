import Asyncio
#if canImport(Glibc)
import Glibc
#endif

/// A throwaway `redis-server` child process on 127.0.0.1, for tests, examples and benchmarks: no
/// persistence (`--save '' --appendonly no`), a free port, stopped with `SIGTERM` and reaped.
///
/// ``start(executable:arguments:loop:)`` picks a free port (binding a socket to port 0 and closing
/// it; if the server then finds the port taken, it tries another), starts the server, reads its log
/// until it says it is ready, and checks that it answers `PING` — explicit readiness, no sleeping.
/// Every wait is bounded by the server's own exit: a server that fails to start ends its log.
///
/// ```swift
/// let server = try await RedisServerProcess.start()
/// let redis = try await RedisConnection.connect(host: server.host, port: server.port)
/// ...
/// try await server.stop()
/// ```
///
/// Loop-confined (its `Subprocess` is), hence `@unchecked Sendable`. Closing the loop
/// kills a server still running.
public final class RedisServerProcess: @unchecked Sendable {
    /// Why a server could not be started.
    public struct StartError: Error, Sendable, CustomStringConvertible {
        /// What happened, with the server's last log lines when it printed any.
        public var message: String
        /// The message.
        public var description: String { message }
    }

    /// The loop the server's process belongs to.
    public let loop: EventLoop
    /// The host the server listens on: `127.0.0.1`.
    public let host = "127.0.0.1"
    /// The port it listens on.
    public let port: Int
    /// The `redis-server` child.
    public let process: Subprocess
    private let logReader: LoopTask<Void>
    /// The log up to readiness, then what the log reader appends.
    private let logLines: LogLines

    private init(loop: EventLoop, port: Int, process: Subprocess, logReader: LoopTask<Void>, log: LogLines) {
        self.loop = loop
        self.port = port
        self.process = process
        self.logReader = logReader
        logLines = log
    }

    /// Starts a server and returns once it answers `PING`.
    /// - Parameters:
    ///   - executable: the `redis-server` to run; nil looks it up in `PATH` (and `/usr/bin`, `/usr/sbin`).
    ///   - arguments: more options, e.g. `["--maxmemory", "10mb"]`.
    ///   - loop: the loop to live on; nil means the loop running on this thread.
    /// - Throws: ``StartError`` when `redis-server` is not installed (saying how to install it), exits
    ///   before it is ready, or does not answer `PING`.
    nonisolated(nonsending) public static func start(
        executable: String? = nil, arguments: [String] = [], loop: EventLoop? = nil
    ) async throws -> RedisServerProcess {
        let loop = try loop ?? EventLoop.running()
        loop.preconditionOnLoopThread("RedisServerProcess.start")
        guard let program = executable ?? findInPath("redis-server"), access(program, X_OK) == 0 else {
            throw StartError(message: "\(executable ?? "redis-server") was not found (PATH: \(environment("PATH") ?? "")): "
                + "install it with `apt-get install redis-server` (`make deps` does)")
        }
        var failures: [String] = []
        for _ in 0..<5 {
            let port = try freePort()
            let process = try loop.createSubprocessExec(
                program,
                ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                 "--daemonize", "no", "--logfile", ""] + arguments,
                stdin: .devNull, stdout: .pipe, stderr: .pipe)
            var log: [String] = []
            var ready = false
            while let line = try await process.stdout!.readLine().nonEmpty {
                log.append(String(decoding: line, as: UTF8.self).trimmingLineEnd)
                if log.last!.contains("Ready to accept connections") {
                    ready = true
                    break
                }
            }
            guard ready else {
                let errors = String(decoding: try await process.stderr!.read(), as: UTF8.self)
                try await process.wait()
                let text = (log + errors.split(separator: "\n").map(String.init)).suffix(10).joined(separator: "\n")
                if text.contains("Address already in use") {  // another process took the port meanwhile
                    failures.append("port \(port) was taken")
                    continue
                }
                throw StartError(message: "\(program) exited (status \(process.returnCode ?? 0)) before it was ready:\n\(text)")
            }
            let stdout = process.stdout!
            let lines = LogLines(log)
            let logReader = try loop.createTask(name: "redis-server log") {  // a full pipe would block the server
                while let line = try await stdout.readLine().nonEmpty {
                    lines.lines.append(String(decoding: line, as: UTF8.self).trimmingLineEnd)
                }
            }
            let server = RedisServerProcess(loop: loop, port: port, process: process, logReader: logReader, log: lines)
            do {
                let connection = try await RedisConnection.connect(host: server.host, port: port, loop: loop)
                defer { connection.close() }
                let pong = try await connection.ping()
                guard pong == "PONG" else { throw StartError(message: "\(program) answered PING with \(pong)") }
            } catch {
                _ = try? await server.kill()
                throw StartError(message: "\(program) on port \(port) said it was ready but does not answer PING: \(error)")
            }
            return server
        }
        throw StartError(message: "\(program) could not get a free port: " + failures.joined(separator: "; "))
    }

    /// The server's log so far.
    public var log: [String] {
        loop.preconditionOnLoopThread("RedisServerProcess.log")
        return logLines.lines
    }

    /// Stops the server with `SIGTERM`, waits for it to exit (reaping it) and returns its exit status.
    /// Harmless once it has exited.
    @discardableResult
    nonisolated(nonsending) public func stop() async throws -> Int32 {
        loop.preconditionOnLoopThread("RedisServerProcess.stop")
        return try await end(SIGTERM)
    }

    /// Kills the server at once with `SIGKILL` (a crash, for tests), waits for it and returns its exit
    /// status.
    @discardableResult
    nonisolated(nonsending) public func kill() async throws -> Int32 {
        loop.preconditionOnLoopThread("RedisServerProcess.kill")
        return try await end(SIGKILL)
    }

    nonisolated(nonsending) private func end(_ signal: Int32) async throws -> Int32 {
        if process.returnCode == nil { try? process.sendSignal(signal) }
        let status = try await process.wait()
        _ = try? await logReader.value
        return status
    }
}

/// Log lines read after startup (loop thread only).
private final class LogLines: @unchecked Sendable {
    var lines: [String]
    init(_ lines: [String]) { self.lines = lines }
}

/// A TCP port on 127.0.0.1 that was free a moment ago: bound with port 0, read back, released.
private func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw RedisServerProcess.StartError(message: "socket() failed: errno \(errno)") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard bound else { throw RedisServerProcess.StartError(message: "could not bind a socket on 127.0.0.1: errno \(errno)") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// The value of an environment variable.
private func environment(_ name: String) -> String? {
    getenv(name).map { String(cString: $0) }
}

/// The first executable called `name` in `PATH`, `/usr/bin` or `/usr/sbin`.
private func findInPath(_ name: String) -> String? {
    let directories = (environment("PATH") ?? "").split(separator: ":").map(String.init) + ["/usr/bin", "/usr/sbin", "/usr/local/bin"]
    return directories.lazy.map { "\($0)/\(name)" }.first { access($0, X_OK) == 0 }
}

private extension Array where Element == UInt8 {
    /// nil for the empty read that means end of stream.
    var nonEmpty: [UInt8]? { isEmpty ? nil : self }
}

private extension String {
    var trimmingLineEnd: String {
        var text = Substring(self)
        while let last = text.last, last.isNewline { text = text.dropLast() }
        return String(text)
    }
}
