import Asyncio
import Logging
#if canImport(Glibc)
import Glibc
#endif

extension Tour {
    /// Debug mode: `asyncio.run(main(), debug=True)` is `run(debug: true) { }`, or `loop.debug = true`,
    /// or the `ASYNCIO_DEBUG=1` environment variable. It reports slow callbacks and task steps; errors
    /// nobody retrieved are reported in any mode.
    static let debugMode = Example(name: "debug-mode", title: "Enable asyncio debug mode") { out in
        let loop = try EventLoop.running()
        loop.logger = Logger(label: "asyncio") { _ in TourLogHandler(out: out) }
        loop.exceptionHandler = { _, context in out("   [exception handler] \(context)") }
        loop.debug = true
        loop.slowCallbackDuration = .milliseconds(50)

        out("A callback that blocks for 100 ms:")
        try loop.callSoon { blockingSleep(microseconds: 100_000) }
        try await sleep(for: .zero)

        out("A task that fails and is never awaited:")
        do {
            _ = try loop.createTask(name: "forgotten") { () async throws -> Void in
                throw DebugExampleError()
            }
        }
        try await sleep(for: .seconds(0.1))
        loop.debug = false
    }
}

private struct DebugExampleError: Error, CustomStringConvertible {
    var description: String { "something went wrong" }
}
