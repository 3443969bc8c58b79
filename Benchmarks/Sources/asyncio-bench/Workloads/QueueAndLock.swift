import Asyncio

/// queue_pingpong: two tasks pass a token through two queues of size 1, N round trips.
func queuePingpong(impl: String, n: Int) throws {
    switch impl {
    case "loop":
        let seconds = try run { () async throws -> Double in
            let loop = try EventLoop.running()
            let q1 = Queue<Int>(maxsize: 1), q2 = Queue<Int>(maxsize: 1)
            let start = now()
            let ping = try loop.createTask {
                for i in 0..<n {
                    try await q1.put(i)
                    let got = try await q2.get()
                    precondition(got == i)
                }
            }
            let pong = try loop.createTask { for _ in 0..<n { try await q2.put(try await q1.get()) } }
            _ = try await loop.gather([ping, pong])
            return now() - start
        }
        Report(impl: impl, workload: "queue_pingpong", n: n, seconds: seconds).print()
    case "default":
        // The closest default-executor equivalent: two AsyncStreams as the two queues.
        let done = Waiter()
        nonisolated(unsafe) var seconds = 0.0
        Task.detached {
            let (s1, c1) = AsyncStream.makeStream(of: Int.self, bufferingPolicy: .bufferingOldest(1))
            let (s2, c2) = AsyncStream.makeStream(of: Int.self, bufferingPolicy: .bufferingOldest(1))
            let start = now()
            async let pong: Void = { for await value in s1 { c2.yield(value) }; c2.finish() }()
            var it = s2.makeAsyncIterator()
            for i in 0..<n {
                c1.yield(i)
                let got = await it.next()
                precondition(got == i)
            }
            c1.finish()
            await pong
            seconds = now() - start
            done.signal()
        }
        done.wait()
        Report(impl: impl, workload: "queue_pingpong", n: n, seconds: seconds).print()
    default:
        unavailable(impl, "queue_pingpong", "SwiftNIO has no async queue")
    }
}

/// lock: T tasks each acquire one lock K times, yielding once inside.
func lockWorkload(impl: String, tasks: Int, k: Int) throws {
    switch impl {
    case "loop":
        let seconds = try run { () async throws -> Double in
            let loop = try EventLoop.running()
            let lock = Lock()
            nonisolated(unsafe) var held = 0
            let start = now()
            let workers = try (0..<tasks).map { _ in
                try loop.createTask {
                    for _ in 0..<k {
                        try await lock.withLock {
                            held += 1
                            try await loop.sleep(for: .zero)
                        }
                    }
                }
            }
            _ = try await loop.gather(workers)
            precondition(held == tasks * k)
            return now() - start
        }
        Report(impl: impl, workload: "lock", n: tasks * k, seconds: seconds,
               extra: [("tasks", "\(tasks)"), ("acquires_per_task", "\(k)")]).print()
    default:
        unavailable(impl, "lock", "Swift's standard library has no async lock (an actor is not one: it does not hold across await)")
    }
}
