import CLibUV
import DequeModule
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The loop's only cross-thread entry: callbacks and jobs sent from other threads wait here, under one
/// mutex, until they *arrive*: the loop takes them into its ready FIFO, in arrival order.
///
/// Fairness: each iteration admits at most ``EventLoop/inboxAdmissionLimit`` arrivals (after its poll,
/// before due timers), so a flood from other threads cannot starve timers and I/O: what does not fit
/// waits in the loop-side *backlog* and arrives over the next iterations, still in order. Ordering with
/// the loop's own scheduling is kept: before the loop thread appends anything (``EventLoop/callSoon(_:)``,
/// a job, a future's callback), it takes what was pushed so far into the backlog and, while the backlog
/// is not empty, queues its own item behind it. So an item pushed before (in the happens-before sense)
/// a `callSoon` on the loop still runs before that callback, as asyncio's `call_soon_threadsafe`
/// appends to the ready queue at once.
///
/// Back-pressure: with a capacity, producers see the inbox as full while `capacity` pushed items have
/// not yet arrived (waiting here or in the backlog). A refusable push (``EventLoop/callSoonThreadsafe(_:)``)
/// then fails; a waiting push parks its item with the producer (a blocked thread or a suspended task)
/// and the loop hands the item over — FIFO among producers, no barging — as arrivals make room. The
/// loop's own traffic (task steps, cancellations, results coming back) is counted but never refused.
///
/// Wake-ups: the first item after the loop emptied everything wakes it with one `uv_async_send`; later
/// items make no syscall, nor does anything pushed while a backlog keeps the loop from blocking.
///
/// The mutex: producers hold it for an append. The loop never sleeps on it: an iteration's admission
/// only tries it (when a producer holds it, the new arrivals wait one iteration), and the loop's own
/// appends, which must take the arrivals first, retry in the gaps between producers (see
/// `lockFromLoop`). Sleeping in `pthread_mutex_lock` under 16 producers kept the loop away for up to
/// 234 ms.
final class Inbox: @unchecked Sendable {
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

    /// A run of the loop-side backlog: a batch of items that arrived from other threads together (the
    /// batch the producers filled: moving it copies nothing), or the next `count` items of
    /// `localBacklog`, which the loop scheduled itself while arrivals were queued ahead of them.
    /// (Kept apart from `ReadyItem`s so that this deque's code differs from the ready FIFO's: merged
    /// into one function, both appends went through a thunk.)
    private enum Segment {
        case arrivals(InboxBatch)
        case local(count: Int)
    }

    /// How a parked producer learns that its item was taken (or that the loop closed).
    private enum Waker {
        case thread(ParkedThread)
        case task(UnsafeContinuation<Void, any Error>)
    }

    /// A producer waiting for room, with the item it wants to push.
    private struct Parked {
        let id: UInt64
        let item: Item
        let waker: Waker
    }

    /// A blocked producer thread: its outcome, written under the mutex, and a condition of its own, so
    /// that handing an item over wakes that producer only.
    private final class ParkedThread {
        var outcome: Outcome?
        let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
        init() { pthread_cond_init(condition, nil) }
        deinit {
            pthread_cond_destroy(condition)
            condition.deallocate()
        }
    }

    enum Outcome { case accepted, closed }

    /// What a refusable push did.
    enum PushResult { case accepted, full, closed }

    private struct State {
        var items = InboxBatch()
        var closed = false
        /// A wake-up is not needed: one was sent for the current batch, or the loop has a backlog and
        /// will not block.
        var signalled = false
        /// Items in the loop's backlog that arrived from other threads, as the loop last published.
        var backlogArrivals = 0
        /// Producers waiting for room, in the order they came.
        var parked = Deque<Parked>()
        var nextParkID: UInt64 = 0
    }

    // A plain pthread mutex (see `Monitor`): Synchronization.Mutex spins under contention, and
    // executor workers finishing together contend here.
    private let monitor = Monitor(State())
    /// Set when anything may wait for the loop: pushed items, or the loop's backlog.
    private let hasItems = Atomic<Bool>(false)
    private nonisolated(unsafe) let wakeup: UnsafeMutablePointer<uv_async_t>
    /// The bound of pushed items not yet arrived, or `Int.max` (unbounded).
    let capacity: Int

    // Loop-confined (the loop's thread, or the thread closing it). `@exclusivity(unchecked)`: never
    // accessed overlappingly, and the dynamic checks would cost more than the work (see `EventLoop`).
    @exclusivity(unchecked)
    private nonisolated(unsafe) var backlog = Deque<Segment>()
    @exclusivity(unchecked)
    private nonisolated(unsafe) var localBacklog = Deque<ReadyItem>()
    /// How many items of `backlog` arrived from other threads and wait to be admitted.
    @exclusivity(unchecked)
    private nonisolated(unsafe) var backlogArrivals = 0
    /// An emptied batch, handed back to the producers with its capacity (so that a steady stream does
    /// not allocate under the lock).
    @exclusivity(unchecked)
    private nonisolated(unsafe) var spare: InboxBatch? = InboxBatch()

    init(wakeup: UnsafeMutablePointer<uv_async_t>, capacity: Int?) {
        self.wakeup = wakeup
        self.capacity = capacity ?? .max
    }

    // MARK: - Producers (any thread)

    /// Appends `item` whatever the capacity (the loop's own traffic); returns false (and drops nothing:
    /// the caller still owns it) if the loop is closed.
    func push(_ item: Item) -> Bool {
        monitor.lock()
        defer { monitor.unlock() }
        if monitor.state.closed { return false }
        append(item, to: &monitor.state)
        return true
    }

    /// Appends `item` unless the inbox is full (or producers are already waiting for room).
    func offer(_ item: Item) -> PushResult {
        monitor.lock()
        defer { monitor.unlock() }
        if monitor.state.closed { return .closed }
        if capacity != .max && isFull { return .full }
        append(item, to: &monitor.state)
        return .accepted
    }

    /// Appends `item`, blocking the calling thread while the inbox is full. Returns false if the loop is
    /// closed (before or while waiting: then the item was not taken).
    func pushBlocking(_ item: Item) -> Bool {
        monitor.lock()
        defer { monitor.unlock() }
        if monitor.state.closed { return false }
        if capacity == .max || !isFull {
            append(item, to: &monitor.state)
            return true
        }
        let parking = ParkedThread()
        monitor.state.nextParkID &+= 1
        monitor.state.parked.append(Parked(id: monitor.state.nextParkID, item: item, waker: .thread(parking)))
        while parking.outcome == nil { monitor.wait(on: parking.condition) }
        return parking.outcome == .accepted
    }

    /// Appends `item`, suspending the calling task while the inbox is full.
    /// - Throws: ``EventLoopError/closed`` if the loop is or gets closed first (the item was not
    ///   taken); `CancelledError` if the task is cancelled while it waits (the item is withdrawn).
    func pushWaiting(_ item: Item) async throws {
        switch offerOrPark(item, waker: nil) {
        case .accepted: return
        case .closed: throw EventLoopError.closed
        case .full: break
        }
        let id = monitor.withLock { s -> UInt64 in s.nextParkID &+= 1; return s.nextParkID }
        try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<Void, any Error>) in
                switch offerOrPark(item, waker: .task(continuation), id: id, cancelled: Task.isCancelled) {
                case .accepted: continuation.resume()
                case .closed: continuation.resume(throwing: EventLoopError.closed)
                case .full: break  // parked, or refused because the task is cancelled (resumed below)
                }
            }
        } onCancel: {
            let withdrawn = monitor.withLock { s -> Parked? in
                guard let index = s.parked.firstIndex(where: { $0.id == id }) else { return nil }
                return s.parked.remove(at: index)
            }
            if let withdrawn, case .task(let continuation) = withdrawn.waker {
                continuation.resume(throwing: CancelledError())
            }
        }
    }

    /// The locked part of ``pushWaiting(_:)``: pushes when there is room and nobody waits; else, with
    /// a waker, parks (or, if `cancelled`, resumes it with `CancelledError` at once and reports `.full`).
    private func offerOrPark(_ item: Item, waker: Waker?, id: UInt64 = 0, cancelled: Bool = false) -> PushResult {
        monitor.lock()
        if monitor.state.closed { monitor.unlock(); return .closed }
        if capacity == .max || !isFull {
            append(item, to: &monitor.state)
            monitor.unlock()
            return .accepted
        }
        guard let waker else { monitor.unlock(); return .full }
        if cancelled {
            monitor.unlock()
            if case .task(let continuation) = waker { continuation.resume(throwing: CancelledError()) }
            return .full
        }
        monitor.state.parked.append(Parked(id: id, item: item, waker: waker))
        monitor.unlock()
        return .full
    }

    /// Lock held.
    private var isFull: Bool {
        !monitor.state.parked.isEmpty || monitor.state.items.count + monitor.state.backlogArrivals >= capacity
    }

    /// Lock held.
    @inline(__always)
    private func append(_ item: Item, to s: inout State) {
        s.items.append(item)
        if !s.signalled {
            s.signalled = true
            hasItems.store(true, ordering: .releasing)
            // Under the lock so that `close` cannot free the async handle between check and send.
            uv_async_send(wakeup)
        }
    }

    // MARK: - The loop

    /// Whether nothing waits (no pushed item, no backlog), checked by the loop each iteration.
    @inline(__always) var isEmpty: Bool { !hasItems.load(ordering: .acquiring) }

    /// Whether something may be waiting: one relaxed load, for the loop thread's hot paths. Enough to
    /// see every push that happened before the caller's point (the flag is only cleared by the loop
    /// itself); the items are read under the lock.
    @inline(__always) var mayHaveItems: Bool { hasItems.load(ordering: .relaxed) }

    /// How many producers wait for room (tests synchronise on it). Any thread.
    var parkedProducers: Int { monitor.withLock { $0.parked.count } }

    /// How many items pushed from other threads have not yet arrived (what the capacity bounds).
    /// Loop thread.
    var pendingArrivals: Int { monitor.withLock { $0.items.count } + backlogArrivals }

    /// How many items wait for the loop: pushed, or in the backlog. Loop thread.
    var waitingCount: Int {
        monitor.withLock { $0.items.count } + backlogArrivals + localBacklog.count
    }

    /// The loop thread's slow path of appending to the ready FIFO when ``mayHaveItems``: what other
    /// threads pushed so far joins the backlog, and `item` goes behind the backlog (or into `ready` when
    /// there is none), so that it runs after everything that was pushed before it.
    @inline(never)
    func appendBehindArrivals(_ item: ReadyItem, to ready: inout ReadyQueue) {
        var wakers: [Waker] = []
        lockFromLoop()
        let (arrivals, more) = takeArrivals(budget: 0, backlogIsEmpty: backlog.isEmpty, wakers: &wakers)
        if !arrivals.isEmpty {
            backlog.append(.arrivals(arrivals))
            backlogArrivals += arrivals.count
        } else {
            recycle(arrivals)
        }
        if more {
            localBacklog.append(item)
            if case .local(let count) = backlog.last {
                backlog[backlog.count - 1] = .local(count: count + 1)
            } else {
                backlog.append(.local(count: 1))
            }
        } else {
            ready.append(item)
        }
        wake(wakers)
    }

    /// An iteration's admission: moves at most `limit` items, oldest first, from the backlog and then
    /// from what other threads pushed, to the back of `ready`; the rest stays in the backlog. Room made
    /// this way goes to parked producers, whose items join the arrivals in the order they parked.
    func admit(into ready: inout ReadyQueue, limit: Int) {
        var budget = limit
        while budget > 0, let segment = backlog.first {
            switch segment {
            case .local(let count):
                let taken = min(count, budget)
                for _ in 0..<taken { ready.append(localBacklog.removeFirst()) }
                budget -= taken
                if taken < count {
                    backlog[0] = .local(count: count - taken)
                } else {
                    backlog.removeFirst()
                }
            case .arrivals(let batch):
                let taken = min(batch.count, budget)
                for _ in 0..<taken { ready.append(batch.removeFirst().readyItem) }
                budget -= taken
                backlogArrivals -= taken
                if batch.isEmpty {
                    backlog.removeFirst()
                    recycle(batch)
                }
            }
        }
        // Producers hold the mutex only for an append; if one holds it now, what they pushed waits for
        // the next iteration (the flag stays set, so the loop does not block) rather than the loop
        // waiting for them: timers and I/O come first.
        guard monitor.tryLock() else { return }
        var wakers: [Waker] = []
        let arrivals = takeArrivals(budget: budget, backlogIsEmpty: backlog.isEmpty, wakers: &wakers).arrivals
        // With budget left the backlog was used up: admit from the front of the new batch.
        let direct = min(arrivals.count, budget)
        for _ in 0..<direct { ready.append(arrivals.removeFirst().readyItem) }
        if arrivals.isEmpty {
            recycle(arrivals)
        } else {
            backlogArrivals += arrivals.count
            backlog.append(.arrivals(arrivals))
        }
        wake(wakers)
    }

    /// Keeps an emptied batch of moderate capacity as the producers' next one.
    private func recycle(_ batch: InboxBatch) {
        guard batch.capacity <= 4096, batch.capacity > spare?.capacity ?? 0 else { return }
        spare = batch
    }

    /// Takes what was pushed, plus parked producers' items while there is room, and publishes the
    /// backlog's size and whether anything is left waiting (`more`, which keeps ``mayHaveItems`` set
    /// and the loop from blocking). `budget` of the taken items will be admitted at once by the caller,
    /// the rest join the backlog (behind `backlogArrivals` items). The caller holds the mutex; it is
    /// released here.
    private func takeArrivals(budget: Int, backlogIsEmpty: Bool, wakers: inout [Waker]) -> (arrivals: InboxBatch, more: Bool) {
        let fresh = spare ?? InboxBatch()
        spare = nil
        defer { monitor.unlock() }
        let taken = monitor.state.items
        monitor.state.items = fresh
        while let first = monitor.state.parked.first,
              backlogArrivals + max(0, taken.count + 1 - budget) <= capacity {
            monitor.state.parked.removeFirst()
            taken.append(first.item)
            switch first.waker {
            case .thread(let parking):
                parking.outcome = .accepted
                pthread_cond_signal(parking.condition)
            case .task:
                wakers.append(first.waker)
            }
        }
        let leftInBacklog = backlogArrivals + max(0, taken.count - budget)
        monitor.state.backlogArrivals = leftInBacklog
        let more = leftInBacklog > 0 || !backlogIsEmpty
        monitor.state.signalled = more
        hasItems.store(more, ordering: .relaxed)
        return (taken, more)
    }

    /// Takes the mutex for the loop thread without queueing behind producers: a thread that sleeps in
    /// `pthread_mutex_lock` under contention is woken only to find the mutex taken again by a running
    /// producer, and goes back to the end of the queue (a flood kept the loop waiting 234 ms that way).
    /// The loop instead retries in the gaps between producers' short critical sections, yielding its
    /// CPU now and then.
    private func lockFromLoop() {
        var attempts = 0
        while !monitor.tryLock() {
            attempts &+= 1
            if attempts & 63 == 0 { sched_yield() }
        }
    }

    private func wake(_ wakers: [Waker]) {
        for waker in wakers {
            if case .task(let continuation) = waker { continuation.resume() }
        }
    }

    /// Refuses all later pushes, releases the producers waiting for room (``EventLoopError/closed``)
    /// and returns what was still waiting: the backlog, then what was pushed.
    func close() -> [ReadyItem] {
        var dropped: [ReadyItem] = []
        for segment in backlog {
            if case .arrivals(let batch) = segment {
                while !batch.isEmpty { dropped.append(batch.removeFirst().readyItem) }
            }
        }
        dropped.append(contentsOf: localBacklog)
        backlog.removeAll()
        localBacklog.removeAll()
        backlogArrivals = 0
        let (taken, parked): (InboxBatch, Deque<Parked>) = monitor.withLock { s in
            s.closed = true
            hasItems.store(false, ordering: .relaxed)
            let taken = s.items
            s.items = InboxBatch(capacity: 1)
            let parked = s.parked
            s.parked.removeAll()
            for entry in parked {
                if case .thread(let parking) = entry.waker {
                    parking.outcome = .closed
                    pthread_cond_signal(parking.condition)
                }
            }
            return (taken, parked)
        }
        while !taken.isEmpty { dropped.append(taken.removeFirst().readyItem) }
        for entry in parked {
            if case .task(let continuation) = entry.waker { continuation.resume(throwing: EventLoopError.closed) }
        }
        return dropped
    }
}
