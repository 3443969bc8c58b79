import Asyncio
import AsyncioTesting
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// test_streams.py (the parts that pin down the reader's limits and end of stream) and the Unix
/// server's socket-file handling of test_unix_events.py. Real sockets on 127.0.0.1: the client reads
/// only after the server has written everything and closed, so the bytes arrive in one piece.
@Suite("Conformance: streams")
struct StreamsConformanceTests {
    /// Runs `client` against a server that writes `payload` and closes, once it has closed.
    private func withPayload(
        _ payload: String, limit: Int = 64 * 1024, _ client: @escaping @Sendable (StreamReader, Events) async throws -> Void
    ) async throws -> [String] {
        try await trace { loop, events in
            let written = Event()
            let server = try loop.startServer(port: 0) { _, writer in
                try writer.write(payload)
                writer.close()
                try await writer.waitClosed()
                written.set()
            }
            let (reader, writer) = try await loop.openConnection(host: "127.0.0.1", port: try #require(server.address?.port), limit: limit)
            try await written.wait()
            try await client(reader, events)
            writer.close()
            try await writer.waitClosed()
            server.close()
            try await server.waitClosed()
        }
    }

    @Test
    func aLineOverTheLimitRaisesOnceAndIsDiscardedAndTheLimitExcludesTheSeparator() async throws {
        let events = try await withPayload(String(repeating: "x", count: 7) + "\nnext\nabcde\nabcdef\nend\n", limit: 5) { reader, events in
            for _ in 0..<5 {
                do { events("readline: \(pyBytes(try await reader.readLine()))") } catch { events("readline raised") }
            }
        }
        #expect(events == cpythonTrace("streams_readline_over_the_limit_raises_once_and_discards_the_line"), "trace streams_readline_over_the_limit_raises_once_and_discards_the_line differs from CPython's")
    }

    @Test
    func limitOverrunConsumedCountsTheBytesBeforeTheSeparator() async throws {
        let events = try await withPayload("abcdefgh\nrest", limit: 5) { reader, events in
            do { _ = try await reader.readUntil([10]) } catch let overrun as LimitOverrunError {
                events("LimitOverrunError consumed=\(overrun.consumed)")
            }
            events("still buffered: \(pyBytes(try await reader.readExactly(9)))")
        }
        #expect(events == cpythonTrace("streams_limit_overrun_consumed_excludes_the_separator"), "trace streams_limit_overrun_consumed_excludes_the_separator differs from CPython's")
    }

    @Test func readsAtTheEndOfTheStream() async throws {
        let events = try await withPayload("line\ntail") { reader, events in
            events("readline: \(pyBytes(try await reader.readLine()))")
            do { _ = try await reader.readExactly(10) } catch let incomplete as IncompleteReadError {
                events("IncompleteReadError partial=\(pyBytes(incomplete.partial)) expected=\(incomplete.expected.map(String.init) ?? "None")")
            }
            events("readline at eof: \(pyBytes(try await reader.readLine())); read(): \(pyBytes(try await reader.read()))")
            events("at_eof: \(py(reader.atEOF))")
        }
        #expect(events == cpythonTrace("streams_reads_at_the_end_of_the_stream"), "trace streams_reads_at_the_end_of_the_stream differs from CPython's")
    }

    @Test
    func aUnixServerReplacesAStaleSocketFileAndRemovesItsOwnOnClose() async throws {
        let directory = try temporaryDirectory()
        let path = directory + "/stale.sock"
        defer { unlink(path); rmdir(directory) }
        let events = try await trace { loop, events in
            try leaveStaleSocketFile(at: path)
            events("stale socket file exists: \(py(access(path, F_OK) == 0))")
            let server = try loop.startUnixServer(path: path) { _, writer in
                try writer.write("hello")
                writer.close()
            }
            let (reader, writer) = try await loop.openUnixConnection(path: path)
            events("server started over it, says \(pyBytes(try await reader.read()))")
            writer.close()
            server.close()
            try await server.waitClosed()
            events("socket file removed on close: \(py(access(path, F_OK) != 0))")
            let file = fopen(path, "w")
            fputs("data", file)
            fclose(file)
            do { _ = try loop.startUnixServer(path: path) { _, _ in } } catch let error as IOError {
                events("regular file in the way: \(error.code)")
            }
            events("regular file kept: \(py(access(path, F_OK) == 0))")
        }
        #expect(events == cpythonTrace("streams_unix_server_replaces_a_stale_socket_file"), "trace streams_unix_server_replaces_a_stale_socket_file differs from CPython's")
    }

    @Test func readAtMostNReadExactlyAndReadUntilAMultiByteSeparator() async throws {
        let events = try await withPayload("abcdefghij--end--tail") { reader, events in
            events("read(3): \(pyBytes(try await reader.read(3)))")
            events("readexactly(2): \(pyBytes(try await reader.readExactly(2)))")
            events("readuntil('--end--'): \(pyBytes(try await reader.readUntil(Array("--end--".utf8))))")
            events("read(): \(pyBytes(try await reader.read())); at_eof: \(py(reader.atEOF))")
        }
        #expect(events == cpythonTrace("streams_read_n_and_readuntil"), "trace streams_read_n_and_readuntil differs from CPython's")
    }
}

/// Bytes as Python prints `bytes.decode()!r`: `'line\n'`.
func pyBytes(_ bytes: [UInt8]) -> String {
    "'" + String(decoding: bytes, as: UTF8.self).replacingNewlines() + "'"
}

extension String {
    fileprivate func replacingNewlines() -> String {
        var out = ""
        for character in self { out += character == "\n" ? "\\n" : String(character) }
        return out
    }
}

/// A fresh directory under /tmp.
private func temporaryDirectory() throws -> String {
    var template = Array("/tmp/asyncio-conformance-XXXXXX".utf8CString)
    guard let made = mkdtemp(&template) else { throw Boom(name: "mkdtemp failed") }
    return String(cString: made)
}

/// Binds a Unix socket at `path` and closes it without unlinking: the file a dead server leaves.
private func leaveStaleSocketFile(at path: String) throws {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw Boom(name: "socket failed") }
    defer { close(fd) }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { buffer in
        for (i, byte) in path.utf8.prefix(buffer.count - 1).enumerated() { buffer[i] = byte }
    }
    let status = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    guard status == 0 else { throw Boom(name: "bind failed") }
}
