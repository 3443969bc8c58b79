import CLibUV
import Synchronization

/// The loop's only cross-thread entry: callbacks and jobs sent from other threads wait here, under one
/// mutex, until the loop moves them into its ready FIFO: at each iteration's start and after its poll,
/// and before the loop thread itself appends to the FIFO (so they join the same FIFO as `callSoon`
/// callbacks, in arrival order). The first item of a batch wakes the loop with one `uv_async_send`;
/// later items of the same batch make no syscall.
final class Inbox: Sendable {
    /// What may cross threads: a thread-safe callback or a task job.
    enum Item: Sendable {
        case callback(SharedCancellation, @Sendable () throws -> Void)
        case job(UnownedJob)
        case taskJob(UnownedJob, UnretainedTask)

        var readyItem: ReadyItem {
            switch self {
            case .callback(let flag, let body): return .shared(flag, body: body)
            case .job(let job): return .job(job)
            case .taskJob(let job, let task): return .taskJob(job, task)
            }
        }
    }

    private struct State {
        var items: [Item] = []
        var closed = false
        /// The wake-up of the current batch was already sent.
        var signalled = false
    }

    // A plain pthread mutex (see `Monitor`): Synchronization.Mutex spins under contention, and
    // executor workers finishing together contend here.
    private let state = Monitor(State())
    private let hasItems = Atomic<Bool>(false)
    private nonisolated(unsafe) let wakeup: UnsafeMutablePointer<uv_async_t>

    init(wakeup: UnsafeMutablePointer<uv_async_t>) { self.wakeup = wakeup }

    /// Appends `item`; returns false (and drops nothing: the caller still owns it) if the loop is closed.
    func push(_ item: Item) -> Bool {
        state.withLock { s in
            if s.closed { return false }
            s.items.append(item)
            if !s.signalled {
                s.signalled = true
                hasItems.store(true, ordering: .releasing)
                // Under the lock so that `close` cannot free the async handle between check and send.
                uv_async_send(wakeup)
            }
            return true
        }
    }

    /// Whether anything is waiting, checked by the loop each iteration.
    @inline(__always) var isEmpty: Bool { !hasItems.load(ordering: .acquiring) }

    /// Whether something may be waiting: one relaxed load, for the loop thread's hot paths. Enough to
    /// see every push that happened before the caller's point (the flag is only cleared by the loop's
    /// own drain); the items themselves are read under the lock by ``drain(into:)``.
    @inline(__always) var mayHaveItems: Bool { hasItems.load(ordering: .relaxed) }

    /// Moves every waiting item to `ready`, in arrival order.
    func drain(into ready: inout ReadyQueue) {
        let batch: [Item] = state.withLock { s in
            s.signalled = false
            hasItems.store(false, ordering: .relaxed)
            var taken: [Item] = []
            swap(&taken, &s.items)
            return taken
        }
        for item in batch { ready.append(item.readyItem) }
    }

    /// Refuses all later pushes and returns what was still waiting.
    func close() -> [Item] {
        state.withLock { s in
            s.closed = true
            hasItems.store(false, ordering: .relaxed)
            var taken: [Item] = []
            swap(&taken, &s.items)
            return taken
        }
    }
}
