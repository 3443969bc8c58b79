import Asyncio
import Benchmark
import Dispatch
import NIOCore
import NIOPosix

nonisolated(unsafe) var sink = 0

/// package-benchmark suites: the same operations on our loop, on Swift's default executor and on
/// SwiftNIO, reporting wall clock, instructions and mallocs (for regression tracking with baselines).
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .instructions, .mallocCountTotal], maxDuration: .seconds(2))

    Benchmark("callSoon (loop)", configuration: .init(scalingFactor: .kilo)) { benchmark in
        let loop = try EventLoop()
        for _ in benchmark.scaledIterations { try loop.callSoon { sink += 1 } }
        try loop.callSoon { loop.stop() }
        try loop.runForever()
        try loop.close()
    }

    Benchmark("execute (NIO)", configuration: .init(scalingFactor: .kilo)) { benchmark in
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let eventLoop = group.next()
        let iterations = benchmark.scaledIterations
        try eventLoop.submit {
            for _ in iterations { eventLoop.execute { sink += 1 } }
        }.wait()
        try eventLoop.submit {}.wait()
        try group.syncShutdownGracefully()
    }

    Benchmark("sleep(0) yield (loop)", configuration: .init(scalingFactor: .kilo)) { benchmark in
        let iterations = benchmark.scaledIterations.count
        try run { () async throws -> Void in
            let loop = try EventLoop.running()
            for _ in 0..<iterations { try await loop.sleep(for: .zero) }
        }
    }

    Benchmark("Task.yield (default executor)", configuration: .init(scalingFactor: .kilo)) { benchmark in
        for _ in benchmark.scaledIterations { await Task.yield() }
    }

    Benchmark("createTask + gather (loop)", configuration: .init(scalingFactor: .kilo)) { benchmark in
        let count = benchmark.scaledIterations.count
        _ = try run { () async throws -> [Int] in
            let loop = try EventLoop.running()
            return try await loop.gather(try (0..<count).map { i in try loop.createTask { i } })
        }
    }

    Benchmark("task group (default executor)", configuration: .init(scalingFactor: .kilo)) { benchmark in
        let count = benchmark.scaledIterations.count
        await withTaskGroup(of: Int.self) { group in
            for i in 0..<count { group.addTask { i } }
            for await value in group { sink &+= value }
        }
    }

    Benchmark("callLater + cancel (loop)", configuration: .init(scalingFactor: .kilo)) { benchmark in
        let loop = try EventLoop()
        for _ in benchmark.scaledIterations { try loop.callLater(.seconds(1)) { sink += 1 }.cancel() }
        try loop.close()
    }

    Benchmark("scheduleTask + cancel (NIO)", configuration: .init(scalingFactor: .kilo)) { benchmark in
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let eventLoop = group.next()
        let iterations = benchmark.scaledIterations
        try eventLoop.submit {
            for _ in iterations { eventLoop.scheduleTask(in: .seconds(1)) { sink += 1 }.cancel() }
        }.wait()
        try group.syncShutdownGracefully()
    }

    Benchmark("runInExecutorFuture + gather (loop)", configuration: .init(scalingFactor: .kilo)) { benchmark in
        let count = benchmark.scaledIterations.count
        _ = try run { () async throws -> [Int] in
            let loop = try EventLoop.running()
            return try await loop.gather(try (0..<count).map { i in try loop.runInExecutorFuture { i } })
        }
    }

    Benchmark("DispatchQueue + continuation (default executor)", configuration: .init(scalingFactor: .kilo)) { benchmark in
        let count = benchmark.scaledIterations.count
        await withTaskGroup(of: Int.self) { group in
            for i in 0..<count {
                group.addTask { await withCheckedContinuation { c in DispatchQueue.global().async { c.resume(returning: i) } } }
            }
            for await value in group { sink &+= value }
        }
    }

    Benchmark("Queue put/get ping-pong (loop)", configuration: .init(scalingFactor: .kilo)) { benchmark in
        let count = benchmark.scaledIterations.count
        try run { () async throws -> Void in
            let loop = try EventLoop.running()
            let requests = Asyncio.Queue<Int>(), replies = Asyncio.Queue<Int>()
            let echo = try loop.createTask { for _ in 0..<count { try await replies.put(try await requests.get()) } }
            for i in 0..<count {
                try await requests.put(i)
                sink &+= try await replies.get()
            }
            try await echo.value
        }
    }

    Benchmark("AsyncStream ping-pong (default executor)", configuration: .init(scalingFactor: .kilo)) { benchmark in
        let count = benchmark.scaledIterations.count
        let (requests, toEcho) = AsyncStream<Int>.makeStream()
        let (replies, toMain) = AsyncStream<Int>.makeStream()
        let echo = Task {
            for await value in requests { toMain.yield(value) }
            toMain.finish()
        }
        var iterator = replies.makeAsyncIterator()
        for i in 0..<count {
            toEcho.yield(i)
            sink &+= await iterator.next() ?? 0
        }
        toEcho.finish()
        await echo.value
    }
}
