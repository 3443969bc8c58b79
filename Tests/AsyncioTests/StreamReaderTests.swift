@testable import Asyncio
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The reader against asyncio, call by call: each test sends its chunks through a real TCP connection
/// (each chunk once the reader waits for data, see ``ReaderScript``) and expects exactly what the
/// CPython 3.13 program `py/<test name>.py` printed for the same calls on the same chunks. The model of
/// the property test must say the same.
@Suite("StreamReader against CPython")
struct StreamReaderTests {
    private func expectCPythonOutput(_ name: String, _ script: ReaderScript) async throws {
        let steps = try await ReaderHost.with { try await script.run(on: $0) }
        let printed = zip(script.ops, steps).map { $0.python($1.outcome) }
        #expect(printed == (try cpythonPrinted(name)))
        #expect(steps == script.modelRun())
    }

    /// The merged-lines bug: `readUntil` kept its search offset as an index into the storage, which is
    /// compacted when bytes arrive while it waits, so the search skipped bytes: "def\ngh\n" came back as
    /// one line.
    @Test func readLineKeepsLinesApartWhenTheBufferCompactsWhileWaiting() async throws {
        try await expectCPythonOutput(
            "readLineKeepsLinesApartWhenTheBufferCompactsWhileWaiting",
            ReaderScript(limit: 64 * 1024, chunks: ["abc\nde", "f\ngh\n"], ops: [.readLine, .readLine, .readLine, .readLine]))
    }

    @Test func readLineOverTheLimitThrowsOnceAndDiscardsThatLine() async throws {
        try await expectCPythonOutput(
            "readLineOverTheLimitThrowsOnceAndDiscardsThatLine",
            ReaderScript(limit: 4, chunks: ["abcdefgh\nxy\n"], ops: [.readLine, .readLine, .readLine]))
    }

    @Test func readLineOverTheLimitBeforeTheSeparatorClearsTheBuffer() async throws {
        try await expectCPythonOutput(
            "readLineOverTheLimitBeforeTheSeparatorClearsTheBuffer",
            ReaderScript(limit: 4, chunks: ["abcdefgh", "ij\nkl\n"], ops: [.readLine, .readLine, .readLine, .readLine]))
    }

    @Test func readUntilOverTheLimitLeavesTheDataBuffered() async throws {
        let crlf: [UInt8] = [13, 10]
        try await expectCPythonOutput(
            "readUntilOverTheLimitLeavesTheDataBuffered",
            ReaderScript(limit: 4, chunks: ["abcdefgh\r\nxyzwvut"],
                         ops: [.readUntil(crlf), .readExactly(10), .readUntil(crlf), .readExactly(7)]))
    }

    @Test func aLineOfExactlyTheLimitIsAccepted() async throws {
        try await expectCPythonOutput(
            "aLineOfExactlyTheLimitIsAccepted",
            ReaderScript(limit: 4, chunks: ["abcd\nefgh\r\n", "ijkl", "\nmnopq\n"],
                         ops: [.readLine, .readUntil([13, 10]), .readLine, .readLine, .readLine]))
    }

    /// Runs every `py/` program with CPython 3.13, where one is installed (`ASYNCIO_CPYTHON`, else
    /// pyenv's 3.13.0 or `python3.13` on the PATH), and checks that it prints what its comment block
    /// says: the block the tests above compare with.
    @Test(.enabled(if: cpython313() != nil, "CPython 3.13 is not installed"))
    func theCPythonProgramsPrintWhatTheTestsExpect() async throws {
        let python = try #require(cpython313())
        for name in [
            "readLineKeepsLinesApartWhenTheBufferCompactsWhileWaiting",
            "readLineOverTheLimitThrowsOnceAndDiscardsThatLine",
            "readLineOverTheLimitBeforeTheSeparatorClearsTheBuffer",
            "readUntilOverTheLimitLeavesTheDataBuffered",
            "aLineOfExactlyTheLimitIsAccepted",
        ] {
            let path = pythonProgramPath(name)
            let (status, output) = try await onLoopThread { loop in
                try loop.runUntilComplete { () async throws -> (Int32, [UInt8]) in
                    let process = try loop.createSubprocessExec(python, [path], stdout: .pipe)
                    let (output, _) = try await process.communicate()
                    return (try await process.wait(), output)
                }
            }
            #expect(status == 0, "\(name).py failed")
            let printed = String(decoding: output, as: UTF8.self).split(separator: "\n").map(String.init)
            #expect(printed == (try cpythonPrinted(name)), "\(name).py")
        }
    }
}

/// The CPython 3.13 interpreter to check the `py/` programs with, if any.
func cpython313() -> String? {
    var candidates: [String] = []
    if let path = getenv("ASYNCIO_CPYTHON") { candidates.append(String(cString: path)) }
    if let home = getenv("HOME") { candidates.append(String(cString: home) + "/.pyenv/versions/3.13.0/bin/python3") }
    candidates += ["/usr/local/bin/python3.13", "/usr/bin/python3.13"]
    return candidates.first { access($0, X_OK) == 0 }
}
