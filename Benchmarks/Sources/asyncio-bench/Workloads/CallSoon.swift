import Asyncio
import NIOCore
import NIOPosix

nonisolated(unsafe) var counter = 0

/// call_soon: N callbacks scheduled from the loop thread (before running), each increments a counter;
/// the last one ends the run. Timed: scheduling + running.
func callSoon(impl: String, n: Int) throws {
    switch impl {
    case "loop":
        let loop = try EventLoop()
        counter = 0
        let start = now()
        for _ in 0..<(n - 1) { try loop.callSoon { counter += 1 } }
        try loop.callSoon { counter += 1; loop.stop() }
        try loop.runForever()
        let seconds = now() - start
        precondition(counter == n)
        try loop.close()
        Report(impl: impl, workload: "call_soon", n: n, seconds: seconds).print()
    case "nio":
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let eventLoop = group.next()
        let seconds = try eventLoop.submit { () -> EventLoopFuture<Double> in
            counter = 0
            let promise = eventLoop.makePromise(of: Double.self)
            let start = now()
            for _ in 0..<(n - 1) { eventLoop.execute { counter += 1 } }
            eventLoop.execute { counter += 1; promise.succeed(now() - start) }
            return promise.futureResult
        }.wait().wait()
        try group.syncShutdownGracefully()
        Report(impl: impl, workload: "call_soon", n: n, seconds: seconds).print()
    default:
        unavailable(impl, "call_soon", "Swift's default executor has no callback queue (a Task per callback is a different workload)")
    }
}

/// call_soon_chain: N callbacks, each scheduling the next.
func callSoonChain(impl: String, n: Int) throws {
    switch impl {
    case "loop":
        let loop = try EventLoop()
        counter = 0
        func step() {
            counter += 1
            if counter == n { loop.stop() } else { try! loop.callSoon(step) }
        }
        let start = now()
        try loop.callSoon(step)
        try loop.runForever()
        let seconds = now() - start
        try loop.close()
        Report(impl: impl, workload: "call_soon_chain", n: n, seconds: seconds).print()
    case "nio":
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let eventLoop = group.next()
        let promise = eventLoop.makePromise(of: Double.self)
        let start = now()
        eventLoop.execute {
            counter = 0
            @Sendable func step() {  // runs only on eventLoop
                counter += 1
                if counter == n { promise.succeed(now() - start) } else { eventLoop.execute(step) }
            }
            step()
        }
        let seconds = try promise.futureResult.wait()
        try group.syncShutdownGracefully()
        Report(impl: impl, workload: "call_soon_chain", n: n, seconds: seconds).print()
    default:
        unavailable(impl, "call_soon_chain", "no callback queue on Swift's default executor")
    }
}

/// call_soon_threadsafe: N callbacks scheduled from one other thread.
func callSoonThreadsafe(impl: String, n: Int) throws {
    switch impl {
    case "loop":
        let loop = try EventLoop()
        counter = 0
        let start = now()
        try loop.callSoon {
            Thread.start {
                for _ in 0..<(n - 1) { try! loop.callSoonThreadsafe { counter += 1 } }
                try! loop.callSoonThreadsafe { counter += 1; loop.stop() }
            }
        }
        try loop.runForever()
        let seconds = now() - start
        precondition(counter == n)
        try loop.close()
        Report(impl: impl, workload: "call_soon_threadsafe", n: n, seconds: seconds).print()
    case "nio":
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let eventLoop = group.next()
        let promise = eventLoop.makePromise(of: Double.self)
        let start = now()
        eventLoop.execute {
            counter = 0
            Thread.start {
                for _ in 0..<(n - 1) { eventLoop.execute { counter += 1 } }
                eventLoop.execute { counter += 1; promise.succeed(now() - start) }
            }
        }
        let seconds = try promise.futureResult.wait()
        try group.syncShutdownGracefully()
        Report(impl: impl, workload: "call_soon_threadsafe", n: n, seconds: seconds).print()
    default:
        unavailable(impl, "call_soon_threadsafe", "no callback queue on Swift's default executor")
    }
}
