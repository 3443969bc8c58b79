import CLibUV
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Runs `main` on a new event loop on the calling thread, then cancels whatever tasks are left, waits
/// for them, and closes the loop (asyncio's `asyncio.run`). Returns `main`'s result or rethrows its
/// error.
///
/// This blocks the calling thread: call it from synchronous code (`main`, a command-line tool). From
/// async code use the `async` overload, which runs the loop on a thread of its own. A loop blocking the
/// main thread starves `MainActor`: a `MainActor` hop from loop code never completes.
///
/// On the main thread it handles `SIGINT` as asyncio's runner does: the first Ctrl+C cancels `main`
/// (so it can shut down gracefully, and `run` throws ``CancelledError``), a second one ends the process
/// at once.
/// - Parameters:
///   - debug: turns on the loop's debug mode (see ``EventLoop/debug``); `nil` reads the
///     `ASYNCIO_DEBUG` environment variable.
///   - main: the body of the main task (asyncio's `main()` coroutine); it runs on the loop's thread,
///     which is the calling thread.
public func run<T>(debug: Bool? = nil, _ main: sending @escaping () async throws -> T) throws -> T {
    let loop = try EventLoop()
    if let debug { loop.debug = debug }
    defer {
        try? loop.cancelAllTasks()
        try? loop.close()
    }
    let task = try loop.createTask(main)
    if isMainThread() {
        var interrupted = false
        try loop.addSignalHandler(SIGINT) {
            if interrupted {
                signal(SIGINT, SIG_DFL)
                raise(SIGINT)
            }
            interrupted = true
            task.cancel(message: "SIGINT")
        }
    }
    return try loop.runUntilComplete(task)
}

/// Whether the calling thread is the process's main thread.
func isMainThread() -> Bool {
    Int(getpid()) == asyncio_gettid()
}

/// Runs `main` on a new event loop on a new thread of its own, and awaits its result: the form of
/// `asyncio.run` for async callers (tests, `@main` async programs, code on `MainActor`). It never blocks
/// a Swift concurrency pool thread. Cancelling the awaiting task cancels `main`.
/// - Parameters:
///   - debug: turns on the loop's debug mode (see ``EventLoop/debug``); `nil` reads the
///     `ASYNCIO_DEBUG` environment variable.
///   - main: the body of the main task; it runs on the new loop's thread.
public func run<T: Sendable>(debug: Bool? = nil, _ main: @escaping @Sendable () async throws -> T) async throws -> T {
    let link = LoopLink()
    let fence = HandoffFence()
    let result = try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            spawnThread(name: "asyncio-loop") {
                let result = Result {
                    let loop = try EventLoop()
                    if let debug { loop.debug = debug }
                    defer {
                        link.detach()
                        try? loop.cancelAllTasks()
                        try? loop.close()
                    }
                    let task = try loop.createTask(name: "main", main)
                    link.attach(loop: loop, task: task)
                    return try loop.runUntilComplete(task)
                }
                fence.publish()
                continuation.resume(with: result)
            }
        }
    } onCancel: {
        link.cancel()
    }
    fence.receive()
    return result
}

/// Connects an awaiting caller to the main task of a loop running on another thread, so that the
/// caller's cancellation reaches it (thread-safe: all state is under one mutex).
private final class LoopLink: Sendable {
    private struct State {
        var loop: EventLoop?
        var cancelMain: (@Sendable () -> Void)?
        var cancelled = false
    }
    private let state = Mutex(State())

    func attach<T>(loop: EventLoop, task: LoopTask<T>) {
        let cancelMain: @Sendable () -> Void = { task.cancel() }
        let cancelNow = state.withLock { s in
            s.loop = loop
            s.cancelMain = cancelMain
            return s.cancelled
        }
        if cancelNow { cancelMain() }
    }

    func detach() { state.withLock { $0 = State(cancelled: true) } }

    func cancel() {
        let target = state.withLock { s -> (EventLoop, @Sendable () -> Void)? in
            s.cancelled = true
            guard let loop = s.loop, let cancelMain = s.cancelMain else { return nil }
            return (loop, cancelMain)
        }
        if let (loop, cancelMain) = target { _ = try? loop.callSoonThreadsafe(cancelMain) }
    }
}
