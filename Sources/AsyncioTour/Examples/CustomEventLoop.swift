import Asyncio

extension Tour {
    /// Custom event loops: in Python, uvloop replaces the default loop through a policy. Here the
    /// libuv loop *is* the loop: a program opts in by running its async entry point with `run { }`
    /// (or `EventLoop().runUntilComplete { }`), and every task it creates runs on that loop's thread.
    /// Code outside (a bare `Task {}`, `Task.sleep`) stays on Swift's default executor.
    static let customEventLoop = Example(name: "custom-event-loop", title: "Custom event loop") { out in
        let loop = try EventLoop.running()
        out("Current event loop: EventLoop (libuv \(EventLoop.libuvVersion), \(loop.isRunning ? "running" : "stopped"))")
    }
}
