@testable import Asyncio
import Dispatch
import AsyncioTesting
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Issue 17: threads are started in one place, `startThread(name:_:)` (the loop's `run` from async
/// code, EventLoopGroup loops, executor workers and AsyncioTesting's `withTestLoop` all use it).
@Suite("Starting a thread")
struct ThreadSpawnTests {
    @Test func startThreadRunsTheBodyOnANewThread() throws {
        let caller = UInt(pthread_self())
        let seen = Box<UInt>(0)
        let done = DispatchSemaphore(value: 0)
        try startThread(name: "test") {
            seen.value = UInt(pthread_self())
            done.signal()
        }
        done.wait()
        #expect(seen.value != caller && seen.value != 0)
    }

    @Test func withTestLoopRunsItsLoopOnAThreadOfItsOwn() async throws {
        let (loopThread, onLoop) = try await withTestLoop { test in (UInt(pthread_self()), test.loop.isOnLoopThread) }
        #expect(loopThread != 0 && onLoop)
    }
}
