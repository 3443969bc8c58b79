import Asyncio
#if canImport(Glibc)
import Glibc
#endif

/// Runs `body` with a fresh ``TestLoop`` on a thread of its own and returns its result: the way to
/// use a test loop from an async test (Swift Testing's `@Test func ... async`), without blocking a
/// Swift concurrency pool thread. The loop is closed afterwards; each call gets its own loop.
///
/// ```swift
/// @Test func timesOutAfterThirtySeconds() async throws {
///     try await withTestLoop { test in
///         let elapsed = try test.run {
///             let start = test.now
///             await #expect(throws: TimeoutError.self) { try await waitFor(timeout: .seconds(30)) { try await neverAnswers() } }
///             return test.now - start
///         }
///         #expect(elapsed == .seconds(30))
///     }
/// }
/// ```
public func withTestLoop<T: Sendable>(
    autoJump: Bool = true, _ body: @escaping @Sendable (TestLoop) throws -> T
) async throws -> T {
    let fence = HandoffFence()  // for ThreadSanitizer (see HandoffFence)
    let result = try await withCheckedThrowingContinuation { continuation in
        do {
            try startThread(name: "asyncio-test-loop") {
                let result = Result {
                    let test = try TestLoop(autoJump: autoJump)
                    // Closed here, not left to `deinit`: a pending task holding `test` would keep it alive.
                    defer { test.shutDown() }
                    return try body(test)
                }
                fence.publish()
                continuation.resume(with: result)
            }
        } catch {
            continuation.resume(throwing: TestLoopFailure("\(error)", trace: ""))
        }
    }
    fence.receive()
    return result
}
