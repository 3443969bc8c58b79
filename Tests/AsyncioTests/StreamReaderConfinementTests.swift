@testable import Asyncio
import Testing

/// Every public entry point of `StreamReader` is loop-confined: called from another thread it is a
/// precondition failure naming the call (`EventLoop.preconditionOnLoopThread`), before it touches
/// anything. Each case runs in a child process (an exit test) that makes a connected reader on a loop
/// running on its own thread, then calls one entry point from the test's thread.
@Suite("StreamReader confinement")
struct StreamReaderConfinementTests {
    static let entryPoints = [
        "read", "readExactly", "readUntil", "readLine", "atEOF", "limit", "makeAsyncIterator", "AsyncIterator.next",
    ]

    @Test(arguments: entryPoints)
    func callingOffTheLoopThreadIsAPreconditionFailureNamingTheCall(_ entryPoint: String) async throws {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) { [entryPoint] in
            let (reader, lines) = try await connectedReaderOnALoopThread()
            switch entryPoint {
            case "read": _ = try await reader.read(1)
            case "readExactly": _ = try await reader.readExactly(1)
            case "readUntil": _ = try await reader.readUntil([10])
            case "readLine": _ = try await reader.readLine()
            case "atEOF": _ = reader.atEOF
            case "limit": _ = reader.limit
            case "makeAsyncIterator": _ = reader.makeAsyncIterator()
            case "AsyncIterator.next": _ = try await lines.value.next()
            default: Issue.record("no such entry point: \(entryPoint)")
            }
        }
        let standardError = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(standardError.contains("StreamReader.\(entryPoint) was called on thread"), "\(standardError)")
    }
}

/// A reader (and its line iterator) of a connection on a loop that runs on a thread of its own, for
/// as long as the process lives.
private func connectedReaderOnALoopThread() async throws -> (StreamReader, Box<StreamReader.AsyncIterator>) {
    let host = try await ReaderHost.start()
    return try await host.run { loop, accepted in
        let (reader, writer) = try await loop.openConnection(host: "127.0.0.1", port: host.port)
        _ = try await accepted.get()
        withExtendedLifetime(writer) {}
        return (reader, Box(reader.makeAsyncIterator()))
    }
}
