import Asyncio
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// executor: N trivial blocking calls run in the default executor and awaited (gathered). The
/// default pool's thread start-up is inside the timed region, as in the anchors.
func executorWorkload(impl: String, n: Int) throws {
    switch impl {
    case "loop":
        let seconds = try run { () async throws -> Double in
            let loop = try EventLoop.running()
            let start = now()
            // As asyncio's `gather(*[loop.run_in_executor(None, f, i) ...])`: futures, no task per call.
            let calls = try (0..<n).map { i in try loop.runInExecutorFuture { i } }
            let results = try await loop.gather(calls)
            precondition(results.count == n && results[n - 1] == n - 1)
            return now() - start
        }
        Report(impl: impl, workload: "executor", n: n, seconds: seconds).print()
    case "default":
        // DispatchQueue.global + a continuation per call, awaited in a task group.
        let done = Waiter()
        nonisolated(unsafe) var seconds = 0.0
        Task.detached {
            let start = now()
            let count = await withTaskGroup(of: Int.self, returning: Int.self) { group in
                for i in 0..<n {
                    group.addTask {
                        await withCheckedContinuation { continuation in
                            DispatchQueue.global().async { continuation.resume(returning: i) }
                        }
                    }
                }
                var count = 0
                for await _ in group { count += 1 }
                return count
            }
            precondition(count == n)
            seconds = now() - start
            done.signal()
        }
        done.wait()
        Report(impl: impl, workload: "executor", n: n, seconds: seconds).print()
    default:
        unavailable(impl, "executor", "SwiftNIO's NIOThreadPool is not wired into this harness")
    }
}

/// memory: N tasks suspended on one event, then released; RSS growth per task.
func memoryWorkload(impl: String, n: Int) throws {
    switch impl {
    case "loop":
        let (seconds, growth) = try run { () async throws -> (Double, Int) in
            let loop = try EventLoop.running()
            let event = Event()
            try await loop.sleep(for: .zero)
            let before = rssKiB()
            let start = now()
            let tasks = try (0..<n).map { i in try loop.createTask { try await event.wait(); return i } }
            try await loop.sleep(for: .zero)
            try await loop.sleep(for: .zero)
            let after = rssKiB()
            event.set()
            _ = try await loop.gather(tasks)
            return (now() - start, after - before)
        }
        Report(impl: impl, workload: "memory", n: n, seconds: seconds,
               extra: [("rss_growth_kib", "\(growth)"), ("kib_per_task", format(Double(growth) / Double(n), 3))]).print()
    case "default":
        let done = Waiter()
        nonisolated(unsafe) var result = (0.0, 0)
        Task.detached {
            let gate = ContinuationGate()
            let before = rssKiB()
            let start = now()
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<n { group.addTask { await gate.wait() } }
                while gate.waiting < n { await Task.yield() }
                let after = rssKiB()
                gate.open()
                await group.waitForAll()
                result = (now() - start, after - before)
            }
            done.signal()
        }
        done.wait()
        Report(impl: impl, workload: "memory", n: n, seconds: result.0,
               extra: [("rss_growth_kib", "\(result.1)"), ("kib_per_task", format(Double(result.1) / Double(n), 3))]).print()
    default:
        unavailable(impl, "memory", "SwiftNIO has no tasks of its own")
    }
}

/// The default-executor analogue of an asyncio.Event: continuations parked under a lock.
final class ContinuationGate: @unchecked Sendable {
    private let lock = NSLockLike()
    private var parked: [CheckedContinuation<Void, Never>] = []
    private var isOpen = false
    var waiting: Int { lock.withLock { parked.count } }

    func wait() async {
        await withCheckedContinuation { continuation in
            let resumeNow = lock.withLock { () -> Bool in
                if isOpen { return true }
                parked.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    func open() {
        let all = lock.withLock { () -> [CheckedContinuation<Void, Never>] in
            isOpen = true
            defer { parked.removeAll() }
            return parked
        }
        for continuation in all { continuation.resume() }
    }
}

/// A pthread mutex.
final class NSLockLike: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    init() { pthread_mutex_init(&mutex, nil) }
    func withLock<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return body()
    }
}
