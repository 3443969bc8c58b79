@testable import Asyncio
import Synchronization
import Testing

/// Issue 14: a loop closed with pending tasks, servers, connections, timers, children and executor
/// jobs frees everything. Objects are watched through weak references, and captured state through
/// canaries whose deinit counts (LeakSanitizer checks the rest of the process in `make asan`).
@Suite("Leaks at close")
struct LeakTests {
    @Test
    func aLoopClosedWithEverythingStillOpenFreesEverything() async throws {
        let canaries = Canaries()
        let jobDone = AsyncGate()
        let watch = try await onLoopThread { loop -> Watch in
            let watch = Watch()
            try loop.runUntilComplete {
                // A task waiting forever, holding a canary.
                let holder = canaries.make()
                watch.task = try loop.createTask(name: "forever") {
                    withExtendedLifetime(holder) {}
                    try await Future<Void>(loop: loop).value
                }
                // A timer far in the future, holding a canary.
                let timerHolder = canaries.make()
                watch.timer = try loop.callLater(.seconds(3600)) { withExtendedLifetime(timerHolder) {} }
                // A server with one connected client whose handler waits forever.
                let handlerHolder = canaries.make()
                let accepted = Event()
                let server = try loop.startServer(port: 0) { reader, _ in
                    withExtendedLifetime(handlerHolder) {}
                    accepted.set()
                    _ = try await reader.read(1)
                }
                watch.server = server
                let (reader, writer) = try await loop.openConnection(host: "127.0.0.1", port: server.address!.port)
                watch.clientReader = reader
                watch.clientWriter = writer
                // A child that would run for an hour, with pipes.
                watch.child = try loop.createSubprocessExec("sleep", ["3600"], stdout: .pipe)
                // An executor job still running at close, holding a canary.
                let jobHolder = canaries.make()
                _ = try loop.runInExecutorFuture(nil) {
                    withExtendedLifetime(jobHolder) {}
                    Task { jobDone.open() }
                }
                try await accepted.wait()
            }
            return watch
        }
        // onLoopThread closed the loop (with everything above still open) and dropped it.
        await jobDone.wait()
        #expect(await canaries.allFreed())
        #expect(watch.task == nil)
        #expect(watch.timer == nil)
        #expect(watch.server == nil)
        #expect(watch.clientReader == nil)
        #expect(watch.clientWriter == nil)
        #expect(watch.child == nil)
    }
}

/// Weak references to what a test wants freed.
final class Watch: @unchecked Sendable {
    weak var task: LoopTask<Void>?
    weak var timer: TimerHandle?
    weak var server: StreamServer?
    weak var clientReader: StreamReader?
    weak var clientWriter: StreamWriter?
    weak var child: Subprocess?
}

/// Objects whose deinit is counted, and a bounded wait until every one made is gone.
final class Canaries: Sendable {
    final class Canary: Sendable {
        let owner: Canaries
        init(owner: Canaries) { self.owner = owner }
        deinit { owner.freed() }
    }

    private let alive = Mutex<(count: Int, unused: Int)>((0, 0))

    func make() -> Canary {
        alive.withLock { $0.count += 1 }
        return Canary(owner: self)
    }

    fileprivate func freed() { alive.withLock { $0.count -= 1 } }

    /// Whether every canary made so far was freed within `timeout` (checked every 10 ms: a leak
    /// fails the test instead of hanging it).
    func allFreed(within timeout: Duration = .seconds(30)) async -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while clock.now < deadline {
            if alive.withLock({ $0.count == 0 }) { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return alive.withLock { $0.count == 0 }
    }
}
