import CLibUV
#if canImport(Glibc)
import Glibc
#endif

/// Where a child's standard stream goes (asyncio's `PIPE`, `None`, `DEVNULL`).
public enum SubprocessIO: Sendable {
    /// A pipe to this process: ``Subprocess/stdin`` / ``Subprocess/stdout`` / ``Subprocess/stderr``.
    case pipe
    /// The parent's own stream (asyncio's default, `None`).
    case inherit
    /// `/dev/null`.
    case devNull
}

/// A child process started on libuv's `uv_spawn` (asyncio's `asyncio.subprocess.Process`), made by
/// ``EventLoop/createSubprocessExec(_:_:stdin:stdout:stderr:environment:currentDirectory:)`` or
/// ``EventLoop/createSubprocessShell(_:stdin:stdout:stderr:environment:currentDirectory:)``.
///
/// Loop-confined (libuv reports the exit on the loop thread; use it there), hence
/// `@unchecked Sendable`. Closing the loop while the child runs kills it (as asyncio's transport does).
public final class Subprocess: LoopResource, @unchecked Sendable {
    let loop: EventLoop
    private let process = UnsafeMutablePointer<uv_process_t>.allocate(capacity: 1)
    private let program: String
    /// The child's process id.
    public private(set) var pid: Int32 = 0
    /// Writes to the child's standard input (when created with `stdin: .pipe`).
    public private(set) var stdin: StreamWriter?
    /// Reads the child's standard output (when created with `stdout: .pipe`).
    public private(set) var stdout: StreamReader?
    /// Reads the child's standard error (when created with `stderr: .pipe`).
    public private(set) var stderr: StreamReader?
    /// The exit status once the child exited: its exit code, or `-N` when signal `N` killed it
    /// (asyncio's `returncode`); nil while it runs.
    public private(set) var returnCode: Int32?
    private let exitWaiters = WaitList()
    private var handleClosing = false

    init(loop: EventLoop, program: String) {
        self.loop = loop
        self.program = program
    }

    /// Spawns the child; on failure every pipe and the process handle are closed before throwing.
    func spawn(arguments: [String], environment: [String: String]?, currentDirectory: String?,
               stdio: [(SubprocessIO, StreamTransport?)]) throws {
        var cStrings: [UnsafeMutablePointer<CChar>?] = []
        defer { cStrings.forEach { free($0) } }
        func cString(_ text: String) -> UnsafeMutablePointer<CChar>? {
            let copy = strdup(text)
            cStrings.append(copy)
            return copy
        }
        var args = ([program] + arguments).map(cString) + [nil]
        var env = environment.map { $0.map { cString("\($0.key)=\($0.value)") } + [nil] }
        var devNull: Int32 = -1
        defer { if devNull >= 0 { Glibc.close(devNull) } }
        var containers: [uv_stdio_container_t] = []
        for (fd, (mode, pipe)) in stdio.enumerated() {
            var container = uv_stdio_container_t()
            switch mode {
            case .pipe:
                let direction = fd == 0 ? UV_READABLE_PIPE.rawValue : UV_WRITABLE_PIPE.rawValue
                container.flags = uv_stdio_flags(rawValue: UV_CREATE_PIPE.rawValue | direction)
                container.data.stream = pipe!.stream
            case .inherit:
                container.flags = UV_INHERIT_FD
                container.data.fd = Int32(fd)
            case .devNull:
                if devNull < 0 { devNull = open("/dev/null", O_RDWR | O_CLOEXEC) }
                container.flags = UV_INHERIT_FD
                container.data.fd = devNull
            }
            containers.append(container)
        }
        var options = uv_process_options_t()
        options.exit_cb = { process, status, signal in
            Unmanaged<Subprocess>.fromOpaque(process!.pointee.data).takeUnretainedValue().exited(status: status, signal: signal)
        }
        process.pointee.data = Unmanaged.passRetained(self).toOpaque()
        let status: Int32 = program.withCString { file in
            args.withUnsafeMutableBufferPointer { args in
                containers.withUnsafeMutableBufferPointer { containers in
                    options.file = file
                    options.args = args.baseAddress
                    options.stdio_count = Int32(containers.count)
                    options.stdio = containers.baseAddress
                    let spawn = { (cwd: UnsafePointer<CChar>?) -> Int32 in
                        options.cwd = cwd
                        if env == nil { return uv_spawn(self.loop.uvLoop, self.process, &options) }
                        return env!.withUnsafeMutableBufferPointer { env in
                            options.env = env.baseAddress
                            return uv_spawn(self.loop.uvLoop, self.process, &options)
                        }
                    }
                    guard let currentDirectory else { return spawn(nil) }
                    return currentDirectory.withCString { spawn($0) }
                }
            }
        }
        if status < 0 {
            closeHandle()
            for case let (_, pipe?) in stdio { pipe.close() }
            throw IOError("spawn", program, status: status)
        }
        pid = process.pointee.pid
        stdin = stdio[0].1.map { StreamWriter(transport: $0) }
        for case let (_, pipe?) in stdio.dropFirst() { pipe.closesAtEOF = true }
        stdout = stdio[1].1.map { StreamReader(transport: $0, limit: 64 * 1024) }
        stderr = stdio[2].1.map { StreamReader(transport: $0, limit: 64 * 1024) }
        loop.register(self)
    }

    private func exited(status: Int64, signal: Int32) {
        returnCode = signal != 0 ? -signal : Int32(truncatingIfNeeded: status)
        loop.unregister(self)
        closeHandle()
        stdin?.close()  // nobody reads it any more; stdout/stderr close at their EOF
        exitWaiters.wakeAll()
    }

    private func closeHandle() {
        guard !handleClosing else { return }
        handleClosing = true
        process.withMemoryRebound(to: uv_handle_t.self, capacity: 1) { handle in
            uv_close(handle) { handle in
                let subprocess = Unmanaged<Subprocess>.fromOpaque(handle!.pointee.data).takeRetainedValue()
                subprocess.process.deallocate()
            }
        }
    }

    /// Waits for the child to exit and returns ``returnCode`` (asyncio's `wait()`). With `stdout:
    /// .pipe`, read the output (or use ``communicate(input:)``) or a child that fills the pipe blocks.
    @discardableResult
    nonisolated(nonsending) public func wait() async throws -> Int32 {
        while returnCode == nil { try await exitWaiters.wait(on: loop, "Subprocess.wait") }
        return returnCode!
    }

    /// Writes `input` to stdin and closes it, reads stdout and stderr to their end, and waits for the
    /// exit (asyncio's `communicate()`); a child that exits without reading its input is not an error.
    /// - Returns: what the child wrote (empty for a stream that is not a pipe).
    nonisolated(nonsending) public func communicate(input: [UInt8]? = nil) async throws -> (stdout: [UInt8], stderr: [UInt8]) {
        let readOut = try stdout.map { reader in try loop.createTask(name: "communicate.stdout") { try await reader.read() } }
        let readErr = try stderr.map { reader in try loop.createTask(name: "communicate.stderr") { try await reader.read() } }
        if let stdin {
            do {
                if let input { try stdin.write(input) }
                try await stdin.drain()
            } catch let error as IOError where error.code == "EPIPE" || error.code == "ECONNRESET" {
                // the child did not read all its input: asyncio ignores this too
            }
            stdin.close()
        }
        let out = try await readOut?.value ?? []
        let err = try await readErr?.value ?? []
        try await wait()
        return (out, err)
    }

    /// Sends `signal` to the child (asyncio's `send_signal`).
    /// - Throws: ``IOError`` (`ESRCH`) once the child has exited.
    public func sendSignal(_ signal: Int32) throws {
        guard returnCode == nil, !handleClosing else { throw IOError("kill", "\(program) (pid \(pid))", status: UV_ESRCH.rawValue) }
        let status = uv_process_kill(process, signal)
        if status < 0 { throw IOError("kill", "\(program) (pid \(pid))", status: status) }
    }

    /// Sends `SIGTERM` (asyncio's `terminate()`).
    public func terminate() throws { try sendSignal(SIGTERM) }

    /// Sends `SIGKILL` (asyncio's `kill()`).
    public func kill() throws { try sendSignal(SIGKILL) }

    func closeForLoopShutdown() {
        if returnCode == nil && !handleClosing { uv_process_kill(process, SIGKILL) }
        closeHandle()
    }
}

extension EventLoop {
    /// Starts `program` with `arguments` (asyncio's `create_subprocess_exec`); `program` is looked up
    /// in `PATH` when it has no slash. Each standard stream is inherited unless `.pipe` or `.devNull`.
    /// - Throws: ``IOError`` (`spawn`, e.g. `ENOENT` for a program that does not exist, `EACCES`).
    nonisolated(nonsending) public func createSubprocessExec(
        _ program: String, _ arguments: [String] = [],
        stdin: SubprocessIO = .inherit, stdout: SubprocessIO = .inherit, stderr: SubprocessIO = .inherit,
        environment: [String: String]? = nil, currentDirectory: String? = nil
    ) async throws -> Subprocess {
        try checkUsable("createSubprocessExec")
        let modes = [stdin, stdout, stderr]
        let pipes = modes.map { $0 == .pipe ? StreamTransport(loop: self, tcp: false) : nil }
        let process = Subprocess(loop: self, program: program)
        try process.spawn(arguments: arguments, environment: environment, currentDirectory: currentDirectory,
                          stdio: Array(zip(modes, pipes)))
        return process
    }

    /// Runs `command` with `/bin/sh -c` (asyncio's `create_subprocess_shell`).
    nonisolated(nonsending) public func createSubprocessShell(
        _ command: String,
        stdin: SubprocessIO = .inherit, stdout: SubprocessIO = .inherit, stderr: SubprocessIO = .inherit,
        environment: [String: String]? = nil, currentDirectory: String? = nil
    ) async throws -> Subprocess {
        try await createSubprocessExec("/bin/sh", ["-c", command], stdin: stdin, stdout: stdout, stderr: stderr,
                                       environment: environment, currentDirectory: currentDirectory)
    }
}
