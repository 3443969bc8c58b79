import Synchronization

/// A sleep on a loop timer by a task that does not run on the loop: the timer is created and cancelled
/// through the loop's inbox, and the continuation is resumed exactly once under a mutex.
final class RemoteSleep: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Void, any Error>?
        var finished = false
        var cancelled = false
    }
    private let loop: EventLoop
    private let deadline: UInt64
    private let state = Mutex(State())
    /// The timer, created and read on the loop thread only.
    private nonisolated(unsafe) var timer: TimerHandle?

    init(loop: EventLoop, deadline: UInt64) {
        self.loop = loop
        self.deadline = deadline
    }

    func wait() async throws {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let cancelledAlready = state.withLock { s -> Bool in
                    if s.cancelled { return true }
                    s.continuation = continuation
                    return false
                }
                if cancelledAlready { return continuation.resume(throwing: CancelledError()) }
                do {
                    try loop.callSoonThreadsafe { [self] in
                        timer = loop.scheduleTimer(at: Int64(clamping: deadline)) { [self] in finish(nil) }
                    }
                } catch {
                    finish(error)
                }
            }
        } onCancel: {
            finish(CancelledError())
            _ = try? loop.callSoonThreadsafe { [self] in timer?.cancel() }
        }
    }

    private func finish(_ error: (any Error)?) {
        let continuation = state.withLock { s -> CheckedContinuation<Void, any Error>? in
            if error is CancelledError { s.cancelled = true }
            guard !s.finished, let c = s.continuation else { return nil }
            s.finished = true
            s.continuation = nil
            return c
        }
        if let error { continuation?.resume(throwing: error) } else { continuation?.resume() }
    }
}
