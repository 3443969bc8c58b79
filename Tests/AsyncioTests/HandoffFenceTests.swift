@testable import Asyncio
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `HandoffFence`: what a thread builds and hands to a task through a continuation is visible to
/// ThreadSanitizer as ordered, also when the resume comes before the task reaches its `await`.
/// (Meaningful under `make tsan`, where a missing edge is a data race report that fails the run.)
@Suite("Thread handoff")
struct HandoffFenceTests {
    @Test func aValueBuiltOnAThreadAndResumedBeforeTheAwaitIsSeenInOrder() async throws {
        for _ in 0..<20 {
            let fence = HandoffFence()
            let resumed = Flag()
            let value = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Box<Int>, any Error>) in
                spawnThread(name: "producer") {
                    let built = Box(41)
                    built.value += 1
                    fence.publish()
                    continuation.resume(returning: built)
                    resumed.set()
                }
                // The continuation's fast path, every time: the thread resumes before this task
                // awaits. (A relaxed flag: ThreadSanitizer draws no ordering from it.)
                while !resumed.isSet { sched_yield() }
            }
            fence.receive()
            #expect(value.value == 42)
        }
    }
}

/// A flag set and read with relaxed atomics (no happens-before edge for ThreadSanitizer).
private final class Flag: Sendable {
    private let raised = Atomic<Bool>(false)
    func set() { raised.store(true, ordering: .relaxed) }
    var isSet: Bool { raised.load(ordering: .relaxed) }
}
