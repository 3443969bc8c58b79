import Asyncio
import AsyncioTesting
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

// The conformance suite: behaviours taken from CPython's Lib/test/test_asyncio, written as Swift tests.
//
// A test about ordering or cancellation records an event trace and compares it with
// traces/<name>.txt; py/<name>.py, its Python twin, prints the same trace under CPython, and
// `make conformance-check` diffs the two. The expectation lives in that one file, so it cannot drift
// from CPython. Where Swift deliberately differs, traces/<name>.swift.txt holds the Swift trace the
// test asserts, and the README's mapping table gives the reason.

/// The directory of this file: traces are read relative to the sources (`#filePath`), not the
/// working directory.
private let conformanceDirectory: String = {
    let path = #filePath
    return String(path[..<path.lastIndex(of: "/")!])
}()

/// The lines of traces/`file`, or nil if it cannot be read.
private func readTrace(_ file: String) -> [String]? {
    guard let handle = fopen("\(conformanceDirectory)/traces/\(file)", "r") else { return nil }
    defer { fclose(handle) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = fread(&chunk, 1, chunk.count, handle)
        if count <= 0 { break }
        bytes.append(contentsOf: chunk[0..<count])
    }
    var lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    if lines.last == "" { lines.removeLast() }
    return lines
}

/// CPython's trace of behaviour `name` (traces/`name`.txt, which the Python twin py/`name`.py prints under
/// CPython), or nil if the file is missing (so a test comparing with it fails).
func cpythonTrace(_ name: String) -> [String]? {
    readTrace("\(name).txt")
}

/// Expects `events` to be the documented Swift trace of behaviour `name` (traces/`name`.swift.txt),
/// where Swift deliberately differs from CPython's traces/`name`.txt for `reason` (also in the
/// README's mapping table).
func expectSwiftTrace(
    _ events: [String], _ name: String, differsBecause reason: String, sourceLocation: SourceLocation = #_sourceLocation
) {
    guard let expected = readTrace("\(name).swift.txt"), readTrace("\(name).txt") != nil else {
        Issue.record("traces/\(name).swift.txt and traces/\(name).txt are both needed", sourceLocation: sourceLocation)
        return
    }
    #expect(events == expected, "trace \(name) differs from its documented Swift form (\(reason))", sourceLocation: sourceLocation)
}

/// Records a test's events, in order. Written on the loop thread, or from other threads (a mutex).
final class Events: Sendable {
    private let storage = Mutex<[String]>([])
    func callAsFunction(_ event: String) { storage.withLock { $0.append(event) } }
    var lines: [String] { storage.withLock { $0 } }
}

/// Runs `body` as the main task of a fresh virtual-time test loop (auto-jump: every wait on a timer
/// ends at once, at its exact virtual time) and returns the events it recorded.
func trace(
    autoJump: Bool = true, _ body: @escaping @Sendable (EventLoop, Events) async throws -> Void
) async throws -> [String] {
    try await withTestLoop(autoJump: autoJump) { test in
        let events = Events()
        try test.run { try await body(test.loop, events) }
        return events.lines
    }
}

/// Runs `body` on a fresh virtual-time loop's thread, outside any task (to schedule callbacks
/// before the loop runs), and returns the events recorded.
func traceOnLoopThread(_ body: @escaping @Sendable (TestLoop, Events) throws -> Void) async throws -> [String] {
    try await withTestLoop { test in
        let events = Events()
        try body(test, events)
        return events.lines
    }
}

/// Runs `body` on a thread of its own with a fresh real-time loop (for tests where other threads wait
/// on the loop, so virtual time must not jump), closes the loop, and returns the events recorded.
func traceOnRealLoop(_ body: @escaping @Sendable (EventLoop, Events) throws -> Void) async throws -> [String] {
    try await withCheckedThrowingContinuation { continuation in
        spawnThread {
            continuation.resume(with: Result {
                let loop = try EventLoop()
                defer { try? loop.close() }
                let events = Events()
                try body(loop, events)
                return events.lines
            })
        }
    }
}

/// A loop-confined mutable value shared by a test's tasks and callbacks (all on the loop thread).
final class Box<Value>: @unchecked Sendable {
    var value: Value
    init(_ value: Value) { self.value = value }
}

/// The error the tests throw (Python twins raise `class Boom(Exception)` or `ValueError`).
struct Boom: Error, CustomStringConvertible {
    var name = "Boom"
    var description: String { name }
}

/// The name of an error as the traces spell it, which is also the Python class name.
func errorName(_ error: any Error) -> String {
    switch error {
    case let boom as Boom: return boom.name
    case let cancelled as CancelledError: return cancelled.message.map { "CancelledError(\($0))" } ?? "CancelledError"
    case is CancellationError: return "CancelledError"
    case is TimeoutError: return "TimeoutError"
    case is InvalidStateError: return "InvalidStateError"
    case is QueueEmpty: return "QueueEmpty"
    case is QueueFull: return "QueueFull"
    case is QueueShutDown: return "QueueShutDown"
    case let group as ExceptionGroup: return "ExceptionGroup[\(group.errors.map(errorName).joined(separator: ", "))]"
    default: return "\(type(of: error))"
    }
}

/// Starts a thread running `body` (for callbacks submitted from other threads).
func spawnThread(_ body: @escaping @Sendable () -> Void) {
    final class Body: Sendable {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }
    let box = Unmanaged.passRetained(Body(body)).toOpaque()
    var thread = pthread_t()
    let status = pthread_create(&thread, nil, { raw in
        Unmanaged<Body>.fromOpaque(raw!).takeRetainedValue().run()
        return nil
    }, box)
    precondition(status == 0, "pthread_create failed")
    pthread_detach(thread)
}

/// A flag set on one thread and read on another.
final class Flag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
}
