import Asyncio

/// tasks: N tasks, each yields once then returns its index; all awaited.
func tasks(impl: String, n: Int) throws {
    switch impl {
    case "loop":
        let seconds = try run { () async throws -> Double in
            let loop = try EventLoop.running()
            let start = now()
            let tasks = try (0..<n).map { i in try loop.createTask { try await loop.sleep(for: .zero); return i } }
            let results = try await loop.gather(tasks)
            precondition(results.count == n && results[n - 1] == n - 1)
            return now() - start
        }
        Report(impl: impl, workload: "tasks", n: n, seconds: seconds).print()
    case "default":
        let done = Waiter()
        nonisolated(unsafe) var seconds = 0.0
        Task.detached {
            let start = now()
            let results = await withTaskGroup(of: Int.self, returning: [Int].self) { group in
                for i in 0..<n { group.addTask { await Task.yield(); return i } }
                var results: [Int] = []
                results.reserveCapacity(n)
                for await value in group { results.append(value) }
                return results
            }
            precondition(results.count == n)
            seconds = now() - start
            done.signal()
        }
        done.wait()
        Report(impl: impl, workload: "tasks", n: n, seconds: seconds).print()
    default:
        unavailable(impl, "tasks", "SwiftNIO has no tasks of its own (it runs Swift's)")
    }
}

/// yield: one task yielding N times.
func yieldWorkload(impl: String, n: Int) throws {
    switch impl {
    case "loop":
        let seconds = try run { () async throws -> Double in
            let loop = try EventLoop.running()
            let start = now()
            for _ in 0..<n { try await loop.sleep(for: .zero) }
            return now() - start
        }
        Report(impl: impl, workload: "yield", n: n, seconds: seconds).print()
    case "default":
        let done = Waiter()
        nonisolated(unsafe) var seconds = 0.0
        Task.detached {
            let start = now()
            for _ in 0..<n { await Task.yield() }
            seconds = now() - start
            done.signal()
        }
        done.wait()
        Report(impl: impl, workload: "yield", n: n, seconds: seconds).print()
    default:
        unavailable(impl, "yield", "SwiftNIO has no task yield")
    }
}
