import Synchronization

/// A scheduled callback returned by ``EventLoop/callSoon(_:)`` and ``EventLoop/callSoonThreadsafe(_:)``:
/// asyncio's `Handle`.
///
/// ``cancel()`` guarantees the callback never runs if it has not started; cancelling twice, or after it
/// ran, does nothing. A handle is a small value: scheduling a callback allocates nothing but the
/// closure's captures.
public struct Handle: Sendable {
    enum Storage: Sendable {
        /// A callback scheduled on the loop thread: its position in the ready FIFO.
        case local(EventLoop, UInt64)
        /// A callback scheduled from another thread.
        case shared(SharedCancellation)
    }

    let storage: Storage

    /// Prevents the callback from running. Safe from any thread; from a thread other than the loop's,
    /// a callback already about to run may still run.
    public func cancel() {
        switch storage {
        case .local(let loop, let sequence):
            if loop.isOnLoopThread {
                loop.cancelReady(sequence: sequence)
            } else {
                _ = try? loop.forwardThreadsafe { loop.cancelReady(sequence: sequence) }
            }
        case .shared(let flag):
            flag.cancel()
        }
    }
}

/// The cancellation flag of a callback scheduled from another thread (set from any thread, read by the loop).
final class SharedCancellation: Sendable {
    private let flag = Atomic<Bool>(false)
    func cancel() { flag.store(true, ordering: .releasing) }
    var isCancelled: Bool { flag.load(ordering: .acquiring) }
}

/// A loop task referred to without retaining it, in a job's ready item.
///
/// Invariant that makes `unowned(unsafe)` safe here: a job tagged with a task exists only while a Swift
/// task whose executor preference is that task is alive and not finished — its own Swift task, a child
/// of it (children end before their parent) or a Swift task created with `Task(executorPreference:
/// task)` — and the runtime holds a strong reference to a task's preferred executor until that Swift
/// task ends (`initialTaskExecutorConsuming`); the loop task's own Swift task also captures it. So the
/// task outlives every job tagged with it, queued or running. Read only by the loop (never handed out).
struct UnretainedTask: @unchecked Sendable {
    unowned(unsafe) let task: any TaskRecord
}

/// One entry of the loop's ready FIFO: callbacks, task jobs and due timers share one queue, so they run
/// in the order they became ready.
enum ReadyItem {
    case callback(sequence: UInt64, body: () throws -> Void)
    /// A future's done callback, given the future: stored as the pair, so that scheduling it allocates
    /// nothing (a closure calling `body(future)` would need a context).
    case doneCallback(AnyObject, body: (AnyObject) -> Void)
    case shared(SharedCancellation, body: () throws -> Void)
    case job(UnownedJob)
    /// A job of a loop task's Swift task or of one of its children, enqueued on the task as executor.
    case taskJob(UnownedJob, UnretainedTask)
    case timer(TimerHandle)
}
