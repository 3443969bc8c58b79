import Asyncio
#if canImport(Glibc)
import Glibc
#endif

extension Tour {
    /// Signal handling: graceful shutdown on SIGINT/SIGTERM. To run unattended, the example sends
    /// itself SIGTERM after 5 seconds (press Ctrl+C instead when you run it by hand: `asyncio-tour
    /// signal-handling --wait-for-signal` is not needed, the handler is the same).
    static let signalHandling = Example(name: "signal-handling", title: "Asynchronous signal handling") { out in
        let loop = try EventLoop.running()

        @Sendable func worker(_ name: String) async throws {
            do {
                while true {
                    out("\(name) working...")
                    try await sleep(for: .seconds(2))
                }
            } catch let error as CancelledError {
                out("\(name) received cancellation signal, cleaning up...")
                // A cancelled Swift task stays cancelled: cleanup that awaits runs uncancellable.
                try await uncancellable { try await sleep(for: .seconds(1)) }
                out("\(name) cleanup complete")
                throw error
            }
        }

        let tasks = try ["Worker 1", "Worker 2"].map { name in try loop.createTask { try await worker(name) } }
        let stopEvent = Event()
        for signal in [SIGINT, SIGTERM] {
            try loop.addSignalHandler(signal) {
                out("Received stop signal, starting graceful shutdown...")
                stopEvent.set()
            }
        }
        // What Ctrl+C or `kill` would do; raise() signals this thread, so delivery is immediate.
        try loop.callLater(.seconds(5.0)) { raise(SIGTERM) }

        try await stopEvent.wait()  // wait for the stop signal
        for task in tasks { task.cancel() }
        _ = try await loop.gatherResults(tasks)  // wait for all tasks to clean up
        for signal in [SIGINT, SIGTERM] { loop.removeSignalHandler(signal) }
        out("Application closed")
    }
}
