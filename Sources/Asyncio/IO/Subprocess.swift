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
/// Loop-confined (libuv reports the exit on the loop thread; every public member checks that it is
/// used there: a call from another thread is a precondition failure naming it), hence
/// `@unchecked Sendable`. Closing the loop while the child runs kills it (as asyncio's transport
/// does) and reaps it: no zombie is left behind.
public final class Subprocess: UVHandleOwner, LoopResource, @unchecked Sendable {
    let loop: EventLoop
    private var handle: UVHandle?
    private let program: String
    private var processID: Int32 = 0
    private var stdinWriter: StreamWriter?
    private var stdoutReader: StreamReader?
    private var stderrReader: StreamReader?
    private var exitStatus: Int32?
    private let exitWaiters = WaitList()

    init(loop: EventLoop, program: String) {
        self.loop = loop
        self.program = program
    }

    @inline(__always)
    private func check(_ what: @autoclosure () -> String) { loop.preconditionOnLoopThread(what()) }

    /// The child's process id.
    public var pid: Int32 {
        check("Subprocess.pid")
        return processID
    }

    /// Writes to the child's standard input (when created with `stdin: .pipe`).
    public var stdin: StreamWriter? {
        check("Subprocess.stdin")
        return stdinWriter
    }

    /// Reads the child's standard output (when created with `stdout: .pipe`).
    public var stdout: StreamReader? {
        check("Subprocess.stdout")
        return stdoutReader
    }

    /// Reads the child's standard error (when created with `stderr: .pipe`).
    public var stderr: StreamReader? {
        check("Subprocess.stderr")
        return stderrReader
    }

    /// The exit status once the child exited: its exit code, or `-N` when signal `N` killed it
    /// (asyncio's `returncode`); nil while it runs.
    public var returnCode: Int32? {
        check("Subprocess.returnCode")
        return exitStatus
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
                if devNull < 0 {
                    devNull = open("/dev/null", O_RDWR | O_CLOEXEC)
                    if devNull < 0 {
                        let error = IOError("open", "/dev/null", status: -errno)
                        for case let (_, pipe?) in stdio { pipe.closeNow() }
                        throw error
                    }
                }
                container.flags = UV_INHERIT_FD
                container.data.fd = devNull
            }
            containers.append(container)
        }
        var options = uv_process_options_t()
        options.exit_cb = { raw, status, signal in
            UVHandle.owner(of: raw, as: Subprocess.self).exited(status: status, signal: signal)
        }
        let handle: UVHandle
        do {
            // uv_spawn leaves the handle initialised when it fails: UVHandle then closes it.
            handle = try UVHandle("spawn", program, type: UV_PROCESS, loop: loop, initializedOnFailure: true) { raw in
                let process = raw.assumingMemoryBound(to: uv_process_t.self)
                return program.withCString { file in
                    args.withUnsafeMutableBufferPointer { args in
                        containers.withUnsafeMutableBufferPointer { containers in
                            options.file = file
                            options.args = args.baseAddress
                            options.stdio_count = Int32(containers.count)
                            options.stdio = containers.baseAddress
                            let spawn = { (cwd: UnsafePointer<CChar>?) -> Int32 in
                                options.cwd = cwd
                                if env == nil { return uv_spawn(self.loop.uvLoop, process, &options) }
                                return env!.withUnsafeMutableBufferPointer { env in
                                    options.env = env.baseAddress
                                    return uv_spawn(self.loop.uvLoop, process, &options)
                                }
                            }
                            guard let currentDirectory else { return spawn(nil) }
                            return currentDirectory.withCString { spawn($0) }
                        }
                    }
                }
            }
        } catch {
            for case let (_, pipe?) in stdio { pipe.closeNow() }
            throw error
        }
        handle.attach(self)
        self.handle = handle
        processID = uv_process_get_pid(handle.pointer.assumingMemoryBound(to: uv_process_t.self))
        stdinWriter = stdio[0].1.map { StreamWriter(transport: $0) }
        for case let (_, pipe?) in stdio.dropFirst() { pipe.closesAtEOF = true }
        stdoutReader = stdio[1].1.map { StreamReader(transport: $0, limit: 64 * 1024) }
        stderrReader = stdio[2].1.map { StreamReader(transport: $0, limit: 64 * 1024) }
        loop.register(self)
    }

    private func exited(status: Int64, signal: Int32) {
        exitStatus = signal != 0 ? -signal : Int32(truncatingIfNeeded: status)
        loop.unregister(self)
        handle?.close()
        stdinWriter?.transport.closeNow()  // nobody reads it any more; stdout/stderr close at their EOF
        exitWaiters.wakeAll()
    }

    func handleDidClose(_ handle: UVHandle) {}

    /// Waits for the child to exit and returns ``returnCode`` (asyncio's `wait()`). With `stdout:
    /// .pipe`, read the output (or use ``communicate(input:)``) or a child that fills the pipe blocks.
    @discardableResult
    nonisolated(nonsending) public func wait() async throws -> Int32 {
        check("Subprocess.wait")
        while exitStatus == nil { try await exitWaiters.wait(on: loop, "Subprocess.wait") }
        return exitStatus!
    }

    /// Writes `input` to stdin and closes it, reads stdout and stderr to their end, and waits for the
    /// exit (asyncio's `communicate()`); a child that exits without reading its input is not an error.
    /// - Returns: what the child wrote (empty for a stream that is not a pipe).
    nonisolated(nonsending) public func communicate(input: [UInt8]? = nil) async throws -> (stdout: [UInt8], stderr: [UInt8]) {
        check("Subprocess.communicate")
        let readOut = try stdoutReader.map { reader in try loop.createTask(name: "communicate.stdout") { try await reader.read() } }
        let readErr = try stderrReader.map { reader in try loop.createTask(name: "communicate.stderr") { try await reader.read() } }
        if let stdin = stdinWriter {
            do {
                if let input { try stdin.write(input) }
                try await stdin.drain()
            } catch let error as IOError where error.code == .EPIPE || error.code == .ECONNRESET {
                // the child did not read all its input: asyncio ignores this too
            }
            stdin.transport.closeAfterFlush()
        }
        let out = try await readOut?.value ?? []
        let err = try await readErr?.value ?? []
        while exitStatus == nil { try await exitWaiters.wait(on: loop, "Subprocess.communicate") }
        return (out, err)
    }

    /// Sends `signal` to the child (asyncio's `send_signal`).
    /// - Throws: ``IOError`` (`ESRCH`) once the child has exited.
    public func sendSignal(_ signal: Int32) throws {
        check("Subprocess.sendSignal")
        try signalChild(signal)
    }

    private func signalChild(_ signal: Int32) throws {
        guard exitStatus == nil, let handle, handle.isOpen else {
            throw IOError("kill", "\(program) (pid \(processID))", status: UV_ESRCH.rawValue)
        }
        let status = uv_process_kill(handle.pointer.assumingMemoryBound(to: uv_process_t.self), signal)
        if status < 0 { throw IOError("kill", "\(program) (pid \(processID))", status: status) }
    }

    /// Sends `SIGTERM` (asyncio's `terminate()`).
    public func terminate() throws {
        check("Subprocess.terminate")
        try signalChild(SIGTERM)
    }

    /// Sends `SIGKILL` (asyncio's `kill()`).
    public func kill() throws {
        check("Subprocess.kill")
        try signalChild(SIGKILL)
    }

    /// The loop is closing while the child runs: kill it, and reap it at once (a blocking `waitpid`,
    /// short after `SIGKILL`), since once its handle is closed libuv never will.
    func closeForLoopShutdown() {
        if exitStatus == nil && processID > 0 {
            Glibc.kill(processID, SIGKILL)
            var status: Int32 = 0
            var reaped: Int32
            repeat { reaped = waitpid(processID, &status, 0) } while reaped < 0 && errno == EINTR
            let signal = status & 0x7f  // WTERMSIG; 0: it exited by itself just before (WEXITSTATUS)
            exitStatus = reaped != processID ? -SIGKILL : signal != 0 ? -signal : (status >> 8) & 0xff
        }
        handle?.close()
    }
}

extension EventLoop {
    /// Starts `program` with `arguments` (asyncio's `create_subprocess_exec`); `program` is looked up
    /// in `PATH` when it has no slash. Each standard stream is inherited unless `.pipe` or `.devNull`.
    ///
    /// Synchronous, not `async`: asyncio's coroutine returns once the process is started, and here
    /// that moment is the return of libuv's `uv_spawn`, which forks and waits until the child has
    /// exec'd the program or failed to (reported here). There is nothing left to wait for, so the call
    /// does not suspend; an `async` signature would only promise a suspension point that never comes.
    /// - Throws: ``IOError`` (`spawn`, e.g. `ENOENT` for a program that does not exist, `EACCES`).
    public func createSubprocessExec(
        _ program: String, _ arguments: [String] = [],
        stdin: SubprocessIO = .inherit, stdout: SubprocessIO = .inherit, stderr: SubprocessIO = .inherit,
        environment: [String: String]? = nil, currentDirectory: String? = nil
    ) throws -> Subprocess {
        try checkUsable("EventLoop.createSubprocessExec")
        return try spawnSubprocess(program, arguments, stdin: stdin, stdout: stdout, stderr: stderr,
                                   environment: environment, currentDirectory: currentDirectory)
    }

    private func spawnSubprocess(
        _ program: String, _ arguments: [String], stdin: SubprocessIO, stdout: SubprocessIO, stderr: SubprocessIO,
        environment: [String: String]?, currentDirectory: String?
    ) throws -> Subprocess {
        let modes = [stdin, stdout, stderr]
        var pipes: [StreamTransport?] = []
        do {
            for mode in modes { pipes.append(mode == .pipe ? try StreamTransport.pipe(on: self) : nil) }
        } catch {
            for case let pipe? in pipes { pipe.closeNow() }
            throw error
        }
        let process = Subprocess(loop: self, program: program)
        try process.spawn(arguments: arguments, environment: environment, currentDirectory: currentDirectory,
                          stdio: Array(zip(modes, pipes)))
        return process
    }

    /// Runs `command` with `/bin/sh -c` (asyncio's `create_subprocess_shell`). Synchronous for the
    /// reason ``createSubprocessExec(_:_:stdin:stdout:stderr:environment:currentDirectory:)`` is: the
    /// shell is started when the call returns.
    /// - Throws: ``IOError`` (`spawn`).
    public func createSubprocessShell(
        _ command: String,
        stdin: SubprocessIO = .inherit, stdout: SubprocessIO = .inherit, stderr: SubprocessIO = .inherit,
        environment: [String: String]? = nil, currentDirectory: String? = nil
    ) throws -> Subprocess {
        try checkUsable("EventLoop.createSubprocessShell")
        return try spawnSubprocess("/bin/sh", ["-c", command], stdin: stdin, stdout: stdout, stderr: stderr,
                                   environment: environment, currentDirectory: currentDirectory)
    }
}
