import Asyncio
import NIOCore
import NIOPosix

/// timers: N timers with delays uniform over [0, 50 ms] (fixed seed); every other one cancelled at
/// once; run until the rest fire. overhead_s = seconds - 0.05.
func timers(impl: String, n: Int) throws {
    var random = SplitMix64(state: 1)
    let delays = (0..<n).map { _ in random.uniform(0, 0.05) }
    let remaining = (n + 1) / 2
    let seconds: Double
    switch impl {
    case "loop":
        let loop = try EventLoop()
        var fired = 0
        let start = now()
        for (i, delay) in delays.enumerated() {
            let handle = try loop.callLater(.seconds(delay)) {
                fired += 1
                if fired == remaining { loop.stop() }
            }
            if i & 1 == 1 { handle.cancel() }
        }
        try loop.runForever()
        seconds = now() - start
        try loop.close()
    case "nio":
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let eventLoop = group.next()
        let promise = eventLoop.makePromise(of: Double.self)
        let start = now()
        eventLoop.execute {
            let fired = NIOLoopBoundBox(0, eventLoop: eventLoop)  // only touched on eventLoop
            for (i, delay) in delays.enumerated() {
                let task = eventLoop.scheduleTask(in: .nanoseconds(Int64(delay * 1e9))) {
                    fired.value += 1
                    if fired.value == remaining { promise.succeed(now() - start) }
                }
                if i & 1 == 1 { task.cancel() }
            }
        }
        seconds = try promise.futureResult.wait()
        try group.syncShutdownGracefully()
    default:
        return unavailable(impl, "timers", "no timer callbacks on Swift's default executor")
    }
    Report(impl: impl, workload: "timers", n: n, seconds: seconds,
           extra: [("overhead_s", format(seconds - 0.05, 6))]).print()
}
