@testable import Asyncio
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("Subprocesses")
struct SubprocessTests {
    @Test func communicateFeedsStdinAndCollectsStdoutAndStderr() async throws {
        let (out, err, code) = try await onLoopThread { loop -> (String, String, Int32) in
            let result = try loop.runUntilComplete { () async throws -> (String, String, Int32) in
                let process = try loop.createSubprocessShell("tr a-z A-Z; echo oops >&2; exit 3",
                                                                  stdin: .pipe, stdout: .pipe, stderr: .pipe)
                #expect(process.pid > 0)
                #expect(process.returnCode == nil)
                let (out, err) = try await process.communicate(input: Array("hello\n".utf8))
                return (String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self), process.returnCode ?? -999)
            }
            try loop.runUntilComplete { try await loop.sleep(for: .seconds(0.001)) }  // close callbacks
            #expect(!loop.dump().contains("process") && !loop.dump().contains("pipe"), "\(loop.dump())")
            return result
        }
        #expect(out == "HELLO\n")
        #expect(err == "oops\n")
        #expect(code == 3)
    }

    @Test func execReadsLinesWithEnvironmentAndWorkingDirectory() async throws {
        let lines = try await onLoopThread { loop -> [String] in
            try loop.runUntilComplete { () async throws -> [String] in
                let process = try loop.createSubprocessExec(
                    "sh", ["-c", "echo $GREETING; pwd"], stdin: .devNull, stdout: .pipe,
                    environment: ["GREETING": "bonjour", "PATH": "/usr/bin:/bin"], currentDirectory: "/tmp")
                var lines: [String] = []
                for try await line in process.stdout! { lines.append(String(decoding: line, as: UTF8.self)) }
                #expect(try await process.wait() == 0)
                return lines
            }
        }
        #expect(lines == ["bonjour\n", "/tmp\n"])
    }

    /// Issue 17: spawning is synchronous (uv_spawn returns once the child has exec'd or failed), so it
    /// is called without `await`, from synchronous loop code too, and the child runs when it returns.
    @Test func spawningIsSynchronousAndTheChildRunsWhenItReturns() async throws {
        let (pid, code, missing) = try await onLoopThread { loop -> (Int32, Int32, IOError.Code?) in
            let process = try loop.createSubprocessExec("true")          // no loop iteration has run
            let pid = process.pid
            var missing: IOError.Code?
            do { _ = try loop.createSubprocessShell("exit 0", currentDirectory: "/nonexistent-dir") }
            catch let error as IOError { missing = error.code }
            let code = try loop.runUntilComplete { try await process.wait() }  // reaped
            return (pid, code, missing)
        }
        #expect(pid > 0)
        #expect(code == 0)
        #expect(missing == .ENOENT)
    }

    @Test func aMissingProgramThrowsAndLeaksNoHandle() async throws {
        let (code, operation) = try await onLoopThread { loop -> (IOError.Code?, String) in
            let result = try loop.runUntilComplete { () async throws -> (IOError.Code?, String) in
                do {
                    _ = try loop.createSubprocessExec("/nonexistent/program", stdout: .pipe, stderr: .pipe)
                    return (nil, "spawned")
                } catch let error as IOError {
                    return (error.code, error.description)
                }
            }
            try loop.runUntilComplete { try await loop.sleep(for: .seconds(0.001)) }
            #expect(!loop.dump().contains("process") && !loop.dump().contains("pipe"), "\(loop.dump())")
            return result
        }
        #expect(code == .ENOENT)
        #expect(operation.hasPrefix("spawn /nonexistent/program: ENOENT"))
    }

    @Test func aChildKilledBySignalHasANegativeReturnCode() async throws {
        let (terminated, killed, lateSignal) = try await onLoopThread { loop -> (Int32, Int32, IOError.Code?) in
            try loop.runUntilComplete { () async throws -> (Int32, Int32, IOError.Code?) in
                let first = try loop.createSubprocessExec("sleep", ["10"])
                try first.terminate()
                let terminated = try await first.wait()
                let second = try loop.createSubprocessExec("sleep", ["10"])
                try second.kill()
                let killed = try await second.wait()
                var lateSignal: IOError.Code?
                do { try second.terminate() } catch let error as IOError { lateSignal = error.code }
                return (terminated, killed, lateSignal)
            }
        }
        #expect(terminated == -SIGTERM)
        #expect(killed == -SIGKILL)
        #expect(lateSignal == .ESRCH)
    }

    @Test func cancellingAWaitLeavesTheChildRunningAndClosingTheLoopKillsIt() async throws {
        let (cancelled, pid) = try await onLoopThread { loop -> (Bool, Int32) in
            let (cancelled, pid) = try loop.runUntilComplete { () async throws -> (Bool, Int32) in
                let process = try loop.createSubprocessExec("sleep", ["10"])
                let waiting = try loop.createTask { try await process.wait() }
                try await loop.sleep(for: .seconds(0))
                waiting.cancel()
                do { _ = try await waiting.value } catch is CancelledError {}
                return (waiting.isCancelled && process.returnCode == nil, process.pid)
            }
            try loop.close()                                      // kills the running child
            return (cancelled, pid)
        }
        #expect(cancelled)
        // Killed and reaped by the loop's close. (No waitpid here: the pid is free again and may
        // already name another child of this process, such as an exit test's.)
        #expect(childState(pid) == nil)
    }
}
