@testable import Asyncio
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Runs `body` on a fresh thread that owns a fresh loop (never on a Swift pool thread, which `uv_run`
/// would block), closes the loop afterwards, and returns what `body` returned.
func onLoopThread<T: Sendable>(
    timeSource: EventLoop.TimeSource = .monotonic,
    _ body: @escaping @Sendable (EventLoop) throws -> T
) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        spawnThread(name: "test-loop") {
            continuation.resume(with: Result {
                let loop = try EventLoop(timeSource: timeSource)
                defer { try? loop.cancelAllTasks(); try? loop.close() }
                return try body(loop)
            })
        }
    }
}

/// A loop-confined recorder of events, for ordering assertions (touched only on the loop thread).
final class Trace: @unchecked Sendable {
    private(set) var events: [String] = []
    func callAsFunction(_ event: String) { events.append(event) }
}

/// A thread-safe counter.
final class Counter: Sendable {
    private let value = Atomic<Int>(0)
    func increment() { value.add(1, ordering: .relaxed) }
    var count: Int { value.load(ordering: .relaxed) }
}

func currentThreadID() -> UInt { UInt(pthread_self()) }

struct Boom: Error, Equatable { var code = 1 }

/// A loop-confined mutable value shared by a test's tasks (all on the loop thread).
final class Box<Value>: @unchecked Sendable {
    var value: Value
    init(_ value: Value) { self.value = value }
}
