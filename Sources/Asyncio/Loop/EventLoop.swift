import CLibUV
import DequeModule
import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A single-threaded event loop on libuv: asyncio's event loop.
///
/// The loop owns a `uv_loop_t` and runs on the thread that calls ``runForever()`` (or
/// ``runUntilComplete(_:)-(()->T)``, or the top-level ``run(debug:_:)-5ipmx``). Callbacks, timers and the jobs of
/// every task created with ``createTask(name:eager:_:)`` run on that thread, in one FIFO.
///
/// Thread safety: the loop is *loop-confined*. From other threads only ``callSoonThreadsafe(_:)``,
/// ``stop()``, ``runCoroutineThreadsafe(_:)``, the executor's `enqueue` and the read-only state
/// (``isRunning``, ``isClosed``, ``time()``, ``clock``, ``description``) may be used; a loop that is
/// not running may also be run or closed from any thread, which moves it there. Any other call from
/// the wrong thread is a programmer error: a precondition failure naming the call. That confinement,
/// checked at every entry point, is why the class is `@unchecked Sendable`.
///
/// The loop is also a Swift `SerialExecutor` and `TaskExecutor`: a task created with
/// `Task(executorPreference: loop)` runs every job on the loop thread, as ``createTask(name:eager:_:)``
/// does. A bare `Task {}` created inside such a task does **not** inherit the loop (Swift's rule):
/// use ``createTask(name:eager:_:)`` or `Task(executorPreference: loop)` to stay on the loop.
///
/// A loop that blocks the main thread starves `MainActor`: a `MainActor` hop from loop code never
/// completes. Run such a loop on a thread of its own with the `async` ``run(debug:_:)-9usos``.
public final class EventLoop: @unchecked Sendable, CustomStringConvertible {
    // MARK: libuv
    let uvLoop: UnsafeMutablePointer<uv_loop_t>
    let wakeupHandle: UnsafeMutablePointer<uv_async_t>
    let pollTimer: UnsafeMutablePointer<uv_timer_t>
    let inbox: Inbox

    // MARK: ready FIFO and timers (loop-confined)
    // Hot state is `@exclusivity(unchecked)`: it is touched only on the loop thread, never through
    // overlapping accesses, and the runtime's dynamic exclusivity checks cost ~300 instructions per
    // callSoon (swift_beginAccess + TLS), over three times the work itself.
    @exclusivity(unchecked)
    var ready = ReadyQueue()
    @exclusivity(unchecked)
    var timers = TimerHeap()
    @exclusivity(unchecked)
    private var cancelledTimers = 0
    @exclusivity(unchecked)
    private var nextSequence: UInt64 = 0
    @exclusivity(unchecked)
    private var lastRunSequence: UInt64 = 0
    @exclusivity(unchecked)
    private var cancelledSequences = Set<UInt64>()
    @exclusivity(unchecked)
    private var nextTimerSequence: UInt64 = 0
    /// Tasks that yielded (`sleep(0)`) during the current item; resumed as soon as it returns, when
    /// they have really suspended, so that their next step joins the back of the ready FIFO.
    @exclusivity(unchecked)
    var yieldedTasks: [UnsafeContinuation<Void, Never>] = []
    /// The batch being resumed: swapped with ``yieldedTasks`` so that neither buffer is ever copied (a
    /// copy of the array, then `removeAll(keepingCapacity:)` on the original, allocated once per yield).
    @exclusivity(unchecked)
    private var resumingTasks: [UnsafeContinuation<Void, Never>] = []
    /// The loop task whose job (a step of its body or of one of its children) is running now, if any:
    /// ``currentTask()``, the task a wait belongs to, the context variables' context.
    ///
    /// `unowned(unsafe)`: it is set only while a job tagged with the task runs, during which the run
    /// holds the task (see ``UnretainedTask`` for why the task is alive then anyway). Never handed out as
    /// is: ``currentTask()`` returns a strong reference made from it while the job runs.
    @exclusivity(unchecked) unowned(unsafe)
    var runningTask: (any TaskRecord)?
    /// The context-variable values of the callback running now when it captured none (made on first
    /// use, dropped after the callback): see `ExecutionContext.withCurrent`.
    @exclusivity(unchecked)
    var ambientContextStorage: ExecutionContext?
    /// Sees every item before it runs (testing trace); nil on the fast path.
    @exclusivity(unchecked)
    var stepObserverStorage: ((LoopStep) -> Void)?
    /// How many items that arrived from other threads one iteration admits to the ready FIFO at most
    /// (see ``Inbox``): a flood waits in the backlog instead of delaying timers and I/O.
    @exclusivity(unchecked)
    var inboxAdmissionLimit = EventLoop.defaultInboxAdmissionLimit
    static let defaultInboxAdmissionLimit = 1024
    /// Iterations run so far (tests count them).
    @exclusivity(unchecked)
    var iterationCount: UInt64 = 0
    /// Waits on work running on other threads (executor calls, thread-safe submissions) that will
    /// come back through the inbox: a virtual-time loop blocks for them instead of reporting a stall.
    @exclusivity(unchecked)
    var externalWaits = 0
    /// The default pool of ``runInExecutor(_:_:)``, created on first use.
    var defaultExecutorStorage: ThreadPoolExecutor?
    /// Installed signal handlers, by signal number.
    var signalWatchers: [Int32: SignalWatcher] = [:]
    /// The read buffer every stream read of this loop uses in turn (see ``SharedReadBuffer``).
    let sharedReadBuffer = SharedReadBuffer()
    /// Transports with writes batched in this iteration (``StreamTransport/enqueue(_:)``): flushed
    /// before the loop polls again and at the end of every iteration.
    @exclusivity(unchecked)
    var transportsToFlush: [StreamTransport] = []
    /// The list being flushed, swapped with ``transportsToFlush`` so that neither is reallocated.
    @exclusivity(unchecked)
    private var flushingTransports: [StreamTransport] = []
    /// Empty byte arrays with capacity, for the batches of the transports writing in an iteration:
    /// a transport takes one when it starts a batch and gives it back once flushed, so batches are
    /// not reallocated every iteration and idle connections hold none.
    @exclusivity(unchecked)
    private var outputBufferPool: [[UInt8]] = []

    // MARK: state
    let owner = Atomic<UInt>(UInt(pthread_self()))
    /// The thread running the loop now, 0 when none (see ``isRunningHere``). Relaxed is enough: a
    /// thread reads its own id here only if it stored it itself.
    private let runningThread = Atomic<UInt>(0)
    @exclusivity(unchecked)
    var stopping = false
    @exclusivity(unchecked)
    private var skippedPolls: UInt = 0
    /// Held by the thread that runs or closes the loop: taking it (a compare-and-swap) is how a loop
    /// that is not running moves to another thread, and why two threads can never run it at once.
    let claimed = Atomic<Bool>(false)
    private let closedFlag = Atomic<Bool>(false)
    /// Whether the loop is running (or being closed) on some thread. Safe from any thread.
    public var isRunning: Bool { claimed.load(ordering: .relaxed) }
    /// Whether ``close()`` was called. Safe from any thread.
    public internal(set) var isClosed: Bool {
        get { closedFlag.load(ordering: .relaxed) }
        set { closedFlag.store(newValue, ordering: .relaxed) }
    }
    /// The pending tasks, held strongly, in no particular order: each task knows its index
    /// (``TaskRecord/pendingSlot``), so joining and leaving take no hashing and no search (see
    /// ``registerPending(_:)``).
    @exclusivity(unchecked) var pendingTasks: [any TaskRecord] = []
    /// Owners of libuv handles, closed first by `close()` (see ``LoopResource``).
    var resources: [ObjectIdentifier: any LoopResource] = [:]
    /// Work shut down gracefully when the loop's group shuts down (see ``EventLoopGroup``).
    var gracefulShutdownParticipants: [ObjectIdentifier: any GracefulShutdown] = [:]
    var taskCounter = 0
    var debugEnabled = EventLoop.debugFromEnvironment
    /// In debug mode, callbacks and task steps that take at least this long are logged (asyncio's
    /// `loop.slow_callback_duration`, default 100 ms). Measured as the time the step held the loop
    /// thread: wall time less the time the OS kept the thread waiting for a CPU (from
    /// `/proc/thread-self/schedstat`), so blocking and computing count, preemption does not.
    public var slowCallbackDuration: Duration {
        get { preconditionOnLoopThread("EventLoop.slowCallbackDuration"); return slowCallbackThreshold }
        set { preconditionOnLoopThread("EventLoop.slowCallbackDuration"); slowCallbackThreshold = newValue }
    }
    var slowCallbackThreshold: Duration = .milliseconds(100)
    /// How debug mode times a step (replaced by tests to script preemptions and slow steps).
    var stepClock = StepClock()
    /// Called after the poll timer is armed and before a poll that may block, with its timeout in
    /// milliseconds (tests hold the thread up there).
    var beforeBlockingPoll: ((Int64) -> Void)?

    // MARK: time
    let timeSource: TimeSource
    /// The virtual clock's reading, in nanoseconds (virtual time only).
    /// Written only on the loop thread; atomic because ``LoopClock/now`` may be read from any thread
    /// (clock-taking libraries such as swift-async-algorithms read it from their own tasks). Relaxed:
    /// a reader off the loop gets a reading, ordered with nothing else (on x86-64 a plain load).
    let virtualClock = Atomic<UInt64>(0)
    var virtualNow: UInt64 {
        get { virtualClock.load(ordering: .relaxed) }
        set { virtualClock.store(newValue, ordering: .relaxed) }
    }

    // MARK: errors
    /// Receives errors escaping callbacks and failures nobody retrieved (asyncio's exception handler).
    /// `nil` means ``defaultExceptionHandler(_:)``, which logs through ``logger``. Loop-confined.
    public var exceptionHandler: (@Sendable (EventLoop, ExceptionContext) -> Void)? {
        get { preconditionOnLoopThread("EventLoop.exceptionHandler"); return exceptionHandlerStorage }
        set { preconditionOnLoopThread("EventLoop.exceptionHandler"); exceptionHandlerStorage = newValue }
    }
    var exceptionHandlerStorage: (@Sendable (EventLoop, ExceptionContext) -> Void)?
    /// Where the loop logs: the default exception handler and debug mode write here (swift-log).
    /// Loop-confined.
    public var logger: Logger {
        get { preconditionOnLoopThread("EventLoop.logger"); return log }
        set { preconditionOnLoopThread("EventLoop.logger"); log = newValue }
    }
    var log = Logger(label: "asyncio.loop")

    /// Where a loop's time comes from.
    public enum TimeSource: Sendable, Equatable {
        /// `CLOCK_MONOTONIC`: real time.
        case monotonic
        /// A virtual clock that starts at zero and moves only when the loop jumps it (`autoJump`
        /// true: whenever nothing is ready and a timer is pending, time jumps to that timer) or when a
        /// test advances it (`AsyncioTesting`).
        case virtual(autoJump: Bool)
    }

    /// The most callbacks other threads may have waiting for this loop, or `nil` (the default) for no
    /// bound. See ``init(timeSource:inboxCapacity:)``. Safe from any thread.
    public let inboxCapacity: Int?

    /// Creates a loop. It runs on the thread that later calls ``runForever()``.
    /// - Parameters:
    ///   - timeSource: real time (the default) or a virtual clock for tests.
    ///   - inboxCapacity: a bound with back-pressure for producers on other threads: while this many
    ///     items sent from other threads have not yet arrived in the loop's ready FIFO,
    ///     ``callSoonThreadsafe(_:)`` throws ``EventLoopError/inboxFull`` and
    ///     `callSoonThreadsafeWaitingForRoom(_:)` waits for room (a thread blocks, a task
    ///     suspends). The loop's own cross-thread traffic — task steps enqueued from other executors,
    ///     ``runCoroutineThreadsafe(_:)``, ``stop()``, cancellations and executor results coming back —
    ///     counts toward the bound but is never refused. `nil` (the default): unbounded, and no call
    ///     ever waits.
    /// - Precondition: `inboxCapacity` is nil or at least 1.
    public init(timeSource: TimeSource = .monotonic, inboxCapacity: Int? = nil) throws {
        precondition(inboxCapacity.map { $0 >= 1 } ?? true, "inboxCapacity must be at least 1")
        self.timeSource = timeSource
        self.inboxCapacity = inboxCapacity
        uvLoop = .allocate(capacity: 1)
        wakeupHandle = .allocate(capacity: 1)
        pollTimer = .allocate(capacity: 1)
        inbox = Inbox(wakeup: wakeupHandle, capacity: inboxCapacity)
        let status = uv_loop_init(uvLoop)
        guard status == 0 else {
            uvLoop.deallocate(); wakeupHandle.deallocate(); pollTimer.deallocate()
            isClosed = true
            throw EventLoopError.uv(status, "uv_loop_init")
        }
        // The loop's own two handles: on failure nothing was initialised that needs closing but the
        // loop itself (a handle whose init failed is never closed).
        var handleStatus = uv_async_init(uvLoop, wakeupHandle) { _ in /* wakes the poll; the loop drains its inbox itself */ }
        if handleStatus == 0 {
            handleStatus = uv_timer_init(uvLoop, pollTimer)
            if handleStatus != 0 {
                uv_close(UnsafeMutableRawPointer(wakeupHandle).assumingMemoryBound(to: uv_handle_t.self), nil)
                uv_run(uvLoop, UV_RUN_DEFAULT)
            }
        }
        guard handleStatus == 0 else {
            uv_loop_close(uvLoop)
            uvLoop.deallocate(); wakeupHandle.deallocate(); pollTimer.deallocate()
            isClosed = true
            throw EventLoopError.uv(handleStatus, "uv_async_init/uv_timer_init")
        }
        uvLoop.pointee.data = Unmanaged.passUnretained(self).toOpaque()
        EventLoop.ignoreBrokenPipeSignal
    }

    deinit {
        if !isClosed { try? close() }
    }

    /// SIGPIPE would end the process when a write meets a connection the peer closed (libuv writes
    /// with `write(2)`). As CPython does at start-up, the first loop sets it to ignored, so such a
    /// write fails with `EPIPE` instead — unless the program installed a handler of its own, which is
    /// kept. Evaluated once per process.
    static let ignoreBrokenPipeSignal: Void = {
        var current = sigaction()
        if sigaction(SIGPIPE, nil, &current) == 0, current.__sigaction_handler.sa_handler == nil {
            signal(SIGPIPE, SIG_IGN)
        }
    }()

    /// Safe from any thread: the queue sizes are shown only on the loop's thread.
    public var description: String {
        guard isOnLoopThread else { return "EventLoop(running: \(isRunning), closed: \(isClosed))" }
        return "EventLoop(running: \(isRunning), closed: \(isClosed), ready: \(ready.count), timers: \(timers.count - cancelledTimers))"
    }

    // MARK: - Threads

    /// Whether the calling thread is the loop's thread (the thread running it, or before it first runs,
    /// the thread that created it).
    @inline(__always)
    public var isOnLoopThread: Bool {
        // The comparison pthread_equal makes (`owner` stores pthread_t as an integer, as `init` does),
        // without its out-of-line call: this check guards every loop entry point.
        UInt(pthread_self()) == owner.load(ordering: .relaxed)
    }

    /// Whether this loop is running on the calling thread. What the thread-safe entry points ask before
    /// they append to the ready FIFO directly: a thread that merely created a loop (its owner until
    /// another thread runs it) must go through the inbox, or an append racing with that thread's first
    /// poll would never wake it.
    @inline(__always)
    var isRunningHere: Bool {
        runningThread.load(ordering: .relaxed) == UInt(pthread_self())
    }

    /// The loop running on the calling thread, if any (asyncio's `_get_running_loop()`).
    public static var current: EventLoop? {
        guard let raw = pthread_getspecific(currentLoopKey) else { return nil }
        return Unmanaged<EventLoop>.fromOpaque(raw).takeUnretainedValue()
    }

    /// The loop running on the calling thread (asyncio's `get_running_loop()`).
    /// - Throws: ``EventLoopError/noRunningLoop`` outside a running loop.
    public static func running() throws -> EventLoop {
        guard let loop = current else { throw EventLoopError.noRunningLoop }
        return loop
    }

    // MARK: - Time

    /// The loop's current time in seconds: monotonic, with nanosecond resolution (asyncio's `loop.time()`).
    public func time() -> Double { Double(nowNanoseconds) / 1e9 }

    /// The loop's current time in nanoseconds.
    @inline(__always)
    var nowNanoseconds: UInt64 {
        timeSource == .monotonic ? monotonicNanoseconds() : virtualNow
    }

    /// The loop's time as a Swift `Clock`, for `Task.sleep(for:clock:)` and clock-taking libraries.
    public var clock: LoopClock { LoopClock(loop: self) }

    // MARK: - Scheduling

    /// Schedules `callback` to run on a later iteration of the loop, after every callback already
    /// scheduled (FIFO). An error it throws goes to the ``exceptionHandler``.
    /// - Throws: ``EventLoopError/closed``. Off the loop thread it traps (use ``callSoonThreadsafe(_:)``
    ///   there).
    @discardableResult
    public func callSoon(_ callback: @escaping () throws -> Void) throws -> Handle {
        try checkUsable("callSoon")
        return Handle(storage: .local(self, enqueueCallback(ExecutionContext.bind(callback))))
    }

    /// Loop-thread fast path behind `callSoon`, future callbacks and wake-ups: no checks.
    @inline(__always)
    @discardableResult
    func enqueueCallback(_ callback: consuming @escaping () throws -> Void) -> UInt64 {
        nextSequence &+= 1
        appendReady(.callback(sequence: nextSequence, body: callback))
        return nextSequence
    }

    /// Loop-thread fast path for a future's done callbacks: `body(future)` joins the FIFO, no checks.
    @inline(__always)
    func enqueueDoneCallback(_ body: @escaping (AnyObject) -> Void, for future: AnyObject) {
        appendReady(.doneCallback(future, body: body))
    }

    /// Appends to the ready FIFO from the loop thread, behind everything other threads submitted before
    /// (in the happens-before sense): those items are taken from the inbox first, and while some of them
    /// wait in the backlog (a flood larger than one iteration admits), `item` queues behind them. So a
    /// thread-safe callback takes its place when it arrives, as asyncio's `call_soon_threadsafe` appends
    /// to the ready queue at once. The common case costs one relaxed load.
    @inline(__always)
    func appendReady(_ item: consuming ReadyItem) {
        if _slowPath(inbox.mayHaveItems) {
            inbox.appendBehindArrivals(item, to: &ready)
        } else {
            ready.append(item)
        }
    }

    /// Schedules `callback` from any thread (asyncio's `call_soon_threadsafe`): it takes its place in the
    /// ready FIFO when it is submitted — at once on the loop thread; from another thread, when it
    /// arrives, ahead of anything the loop schedules afterwards — and wakes a loop blocked in its poll.
    ///
    /// Never waits. Under a flood each loop iteration admits a bounded batch of arrivals (see the
    /// README's "Threads, executors and the rules that matter"), so timers and I/O keep their latency;
    /// the rest arrive, in order, over the next iterations. With an ``inboxCapacity`` that many
    /// callbacks waiting makes the inbox full: use `callSoonThreadsafeWaitingForRoom(_:)`
    /// to wait for room instead of failing.
    /// - Throws: ``EventLoopError/closed`` once the loop is closed; ``EventLoopError/inboxFull`` when
    ///   the loop has an ``inboxCapacity`` and that many items (or producers waiting for room) are ahead.
    @discardableResult
    public func callSoonThreadsafe(_ callback: @escaping @Sendable () throws -> Void) throws -> Handle {
        let flag = SharedCancellation()
        if isRunningHere {
            appendReady(.shared(flag, body: ExecutionContext.bindSendable(callback)))
        } else {
            let item = Inbox.Item.callback(flag, ExecutionContext.bindSendable(callback))
            switch inbox.offer(item) {
            case .accepted: break
            case .closed: throw EventLoopError.closed
            case .full:
                // The loop's own thread, before it runs the loop, is never refused.
                guard isOnLoopThread else { throw EventLoopError.inboxFull }
                guard inbox.push(item) else { throw EventLoopError.closed }
            }
        }
        return Handle(storage: .shared(flag))
    }

    /// ``callSoonThreadsafe(_:)`` that waits for room in a bounded inbox: the calling thread **blocks**
    /// while ``inboxCapacity`` items sent from other threads have not yet arrived, and is released, in
    /// the order producers started waiting, as the loop takes them in. Without a capacity, and on the
    /// loop's own thread (which never waits for itself), it is ``callSoonThreadsafe(_:)``.
    ///
    /// For producer threads of your own. From async code the `async` overload is chosen, which suspends
    /// instead: never block a Swift concurrency pool thread, nor another loop's thread.
    /// - Throws: ``EventLoopError/closed`` if the loop is closed, before or while waiting (then the
    ///   callback never runs).
    @discardableResult
    public func callSoonThreadsafeWaitingForRoom(_ callback: @escaping @Sendable () throws -> Void) throws -> Handle {
        if isOnLoopThread || isRunningHere { return try forwardThreadsafe(callback) }
        let flag = SharedCancellation()
        guard inbox.pushBlocking(.callback(flag, ExecutionContext.bindSendable(callback))) else {
            throw EventLoopError.closed
        }
        return Handle(storage: .shared(flag))
    }

    /// ``callSoonThreadsafe(_:)`` that waits for room in a bounded inbox: the calling task **suspends**
    /// while ``inboxCapacity`` items sent from other threads have not yet arrived, and resumes, in the
    /// order producers started waiting, as the loop takes them in. Without a capacity, and on the loop's
    /// own thread, it does not suspend.
    /// - Throws: ``EventLoopError/closed`` if the loop is closed, before or while waiting;
    ///   ``CancelledError`` if the task is cancelled while it waits. Either way the callback never runs.
    @discardableResult
    public func callSoonThreadsafeWaitingForRoom(_ callback: @escaping @Sendable () throws -> Void) async throws -> Handle {
        if isOnLoopThread || isRunningHere { return try forwardThreadsafe(callback) }
        let flag = SharedCancellation()
        try await inbox.pushWaiting(.callback(flag, ExecutionContext.bindSendable(callback)))
        return Handle(storage: .shared(flag))
    }

    /// The loop's own cross-thread traffic (cancellations, results coming back, `stop()`): like
    /// ``callSoonThreadsafe(_:)``, but counted without being refused by an ``inboxCapacity``.
    /// - Throws: ``EventLoopError/closed`` once the loop is closed.
    @discardableResult
    func forwardThreadsafe(_ callback: @escaping @Sendable () throws -> Void) throws -> Handle {
        let flag = SharedCancellation()
        if isRunningHere {
            appendReady(.shared(flag, body: ExecutionContext.bindSendable(callback)))
        } else {
            guard inbox.push(.callback(flag, ExecutionContext.bindSendable(callback))) else { throw EventLoopError.closed }
        }
        return Handle(storage: .shared(flag))
    }

    /// Schedules `callback` to run once `delay` has passed on the loop's clock (asyncio's `call_later`).
    /// Timers never fire early against ``time()``; equal deadlines fire in scheduling order. A negative
    /// delay is a deadline in the past: the timer is due at once, and overdue timers still fire in
    /// deadline order (`callLater(-1, a)` then `callLater(-2, b)` runs `b` first, as asyncio).
    @discardableResult
    public func callLater(_ delay: Duration, _ callback: @escaping () throws -> Void) throws -> TimerHandle {
        try checkUsable("callLater")
        return scheduleTimer(at: deadline(after: delay.signedNanoseconds), ExecutionContext.bind(callback))
    }

    /// Schedules `callback` to run once `seconds` have passed (asyncio's `call_later(delay, cb)`).
    @discardableResult
    public func callLater(_ seconds: Double, _ callback: @escaping () throws -> Void) throws -> TimerHandle {
        try checkUsable("callLater")
        return scheduleTimer(at: deadline(after: signedNanoseconds(fromSeconds: seconds)), ExecutionContext.bind(callback))
    }

    /// Schedules `callback` at `when`, in seconds of ``time()`` (asyncio's `call_at`); a moment in the
    /// past is due at once, ordered by `when` with other overdue timers.
    @discardableResult
    public func callAt(_ when: Double, _ callback: @escaping () throws -> Void) throws -> TimerHandle {
        try checkUsable("callAt")
        return scheduleTimer(at: signedNanoseconds(fromSeconds: when), ExecutionContext.bind(callback))
    }

    /// Schedules `callback` at `instant` of the loop's ``clock``.
    @discardableResult
    public func callAt(_ instant: LoopClock.Instant, _ callback: @escaping () throws -> Void) throws -> TimerHandle {
        try checkUsable("callAt")
        return scheduleTimer(at: Int64(clamping: instant.nanoseconds), ExecutionContext.bind(callback))
    }

    /// Loop-thread fast path for timers: no checks. `deadline` is in signed nanoseconds of the clock.
    func scheduleTimer(at deadline: Int64, _ callback: @escaping () throws -> Void) -> TimerHandle {
        nextTimerSequence &+= 1
        let handle = TimerHandle(loop: self, deadline: deadline, sequence: nextTimerSequence, body: callback)
        timers.insert(TimerEntry(deadline: deadline, sequence: nextTimerSequence, handle: handle))
        return handle
    }

    func cancelReady(sequence: UInt64) {
        if sequence > lastRunSequence { cancelledSequences.insert(sequence) }
    }

    /// Counts a cancelled timer still in the heap; compacts the heap when they are the majority, so
    /// cancelling is O(1) amortized and never scans.
    func timerWasCancelled() {
        cancelledTimers += 1
        if timers.count > 256 && cancelledTimers * 2 > timers.count {
            timers.removeAll { $0.handle.cancelled }
            cancelledTimers = 0
        }
    }

    /// The deadline of the earliest live timer, dropping cancelled ones from the top.
    func nextTimerDeadline() -> Int64? {
        while let deadline = timers.minDeadline {
            if !timers.minIsCancelled { return deadline }
            _ = timers.removeMin()
            cancelledTimers -= 1
        }
        return nil
    }

    // MARK: - Running

    /// Runs the loop until ``stop()`` is called (asyncio's `run_forever`). `stop()` called before this
    /// makes it run one iteration and return.
    /// - Throws: ``EventLoopError/closed``, ``EventLoopError/alreadyRunning`` (re-entered), or
    ///   ``EventLoopError/anotherLoopRunning``.
    public func runForever() throws {
        try enterRun()
        defer { exitRun() }
        while true {
            runOnce()
            if stopping { break }
        }
    }

    func enterRun() throws {
        if isClosed { throw EventLoopError.closed }
        if let other = EventLoop.current, other !== self { throw EventLoopError.anotherLoopRunning }
        try claim()
        pthread_setspecific(currentLoopKey, Unmanaged.passUnretained(self).toOpaque())
        runningThread.store(UInt(pthread_self()), ordering: .relaxed)
    }

    func exitRun() {
        stopping = false
        runningThread.store(0, ordering: .relaxed)
        pthread_setspecific(currentLoopKey, nil)
        claimed.store(false, ordering: .releasing)
    }

    /// Takes the loop for the calling thread (see ``claimed``): it becomes the loop's thread.
    /// - Throws: ``EventLoopError/alreadyRunning`` if a thread (this one included) runs or closes it.
    private func claim() throws {
        guard claimed.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            throw EventLoopError.alreadyRunning
        }
        owner.store(UInt(pthread_self()), ordering: .relaxed)
    }

    /// Moves a loop that is not running to the calling thread, which may then schedule on it and run
    /// it (``runUntilComplete(_:)-(()->T)`` creates its task before it runs the loop).
    /// - Throws: ``EventLoopError/alreadyRunning`` if it is running.
    func adopt() throws {
        try claim()
        claimed.store(false, ordering: .releasing)
    }

    /// Makes ``runForever()`` return after the current iteration. Safe from any thread (unless the loop
    /// runs on the calling thread, it is forwarded through the inbox: a loop that is not running yet
    /// stops after its first iteration).
    public func stop() {
        if isRunningHere { stopping = true } else { _ = try? forwardThreadsafe { [self] in stopping = true } }
    }

    /// Whether a timer, a ready callback or an inbox item exists (used by virtual time and tests).
    var hasReadyWork: Bool { !ready.isEmpty || !inbox.isEmpty }

    /// One iteration, as asyncio's `_run_once`: poll for I/O (without blocking when work is ready), admit
    /// what arrived from other threads (at most ``inboxAdmissionLimit`` items: the rest wait for the next
    /// iterations), move due timers to the ready FIFO, then run exactly the items that were ready at that
    /// point.
    func runOnce(timeLimit: UInt64? = nil) {
        iterationCount &+= 1
        if !yieldedTasks.isEmpty { resumeYieldedTasks() }
        if !transportsToFlush.isEmpty { flushPendingWrites() }  // written since the last iteration
        var timeout: Int64 = -1
        if !ready.isEmpty || stopping || !inbox.isEmpty {
            timeout = 0
        } else if let deadline = nextTimerDeadline() {
            switch timeSource {
            case .monotonic:
                let now = Int64(clamping: monotonicNanoseconds())
                // Round up to whole milliseconds: the poll never wakes before the deadline, and a timer
                // due in under a millisecond waits one poll instead of spinning.
                timeout = deadline <= now ? 0 : (deadline - now + 999_999) / 1_000_000
            case .virtual(let autoJump):
                // Time jumps only when nothing is ready, counting I/O that already arrived: poll it
                // first, so a delivered signal or read is never overtaken by a later timer.
                if hasUVActivity || !signalWatchers.isEmpty {
                    uv_run(uvLoop, UV_RUN_NOWAIT)
                    if !ready.isEmpty || !yieldedTasks.isEmpty || !inbox.isEmpty { timeout = 0; break }
                }
                let due = UInt64(max(0, deadline))
                if let limit = timeLimit {
                    virtualNow = max(virtualNow, min(due, limit))
                    timeout = 0
                } else if autoJump {
                    virtualNow = max(virtualNow, due)
                    timeout = 0
                }
            }
        } else if timeLimit != nil {
            timeout = 0
        }
        poll(timeoutMilliseconds: timeout)
        if ambientContextStorage != nil { ambientContextStorage = nil }  // I/O callbacks' context
        // What arrived from other threads is ready before the timers that fell due (asyncio's
        // call_soon_threadsafe appends to the ready queue when it is called) — up to a bound, so that a
        // flood cannot keep those timers (and the next poll) waiting: the rest arrives next iteration.
        if !inbox.isEmpty { inbox.admit(into: &ready, limit: inboxAdmissionLimit) }

        if !timers.isEmpty {
            let now = nowDeadline
            while let deadline = timers.minDeadline, deadline <= now {
                let top = timers.removeMin()
                if top.handle.cancelled {
                    cancelledTimers -= 1
                } else {
                    top.handle.inHeap = false
                    ready.append(.timer(top.handle))
                }
            }
        }

        var count = ready.count
        if stepObserverStorage != nil || debugEnabled {
            runInstrumented(count)
        } else {
            while count > 0 {
                count -= 1
                run(ready.removeFirst())
            }
        }
        // What this iteration's streams wrote goes out now, in one write per transport: before the
        // next poll, and before a run that ends here returns.
        if !transportsToFlush.isEmpty { flushPendingWrites() }
    }

    /// An empty array with capacity for a transport's batch (see ``outputBufferPool``).
    @inline(__always)
    func takeOutputBuffer() -> [UInt8] {
        outputBufferPool.popLast() ?? []
    }

    /// Takes back a flushed batch's array (emptied); the pool keeps at most 64 arrays of at most
    /// 64 KiB.
    @inline(__always)
    func returnOutputBuffer(_ buffer: [UInt8]) {
        if outputBufferPool.count < 64 && buffer.capacity <= 64 * 1024 && buffer.capacity > 0 {
            outputBufferPool.append(buffer)
        }
    }

    /// Hands every transport's batched writes to its socket (see ``StreamTransport/enqueue(_:)``).
    func flushPendingWrites() {
        swap(&transportsToFlush, &flushingTransports)
        for transport in flushingTransports {
            transport.flushScheduled = false
            transport.flushPendingOutput()
        }
        flushingTransports.removeAll(keepingCapacity: true)
    }

    /// Polls libuv. A zero timeout skips the syscall entirely when no libuv handle or request other than
    /// the loop's own is active (the inbox is checked without it).
    private func poll(timeoutMilliseconds timeout: Int64) {
        if timeout == 0 {
            skippedPolls &+= 1
            // Unreferenced handles (signal watchers) and a thread-safe wake-up are noticed without a
            // syscall per iteration, but never starve: every 128th busy iteration polls anyway.
            if hasUVActivity || skippedPolls & 127 == 0 {
                uv_run(uvLoop, UV_RUN_NOWAIT)
            }
            return
        }
        if timeout > 0 {
            uv_update_time(uvLoop)
            // The timer stops the run, not only wakes the poll: libuv up to 1.44 runs due timers
            // *before* it polls and then polls with no timeout when no timer is left, so a timer that
            // fell due in between (this thread held up for `timeout` ms after arming it, as on a busy
            // machine) made UV_RUN_ONCE block for good. uv_stop makes that poll non-blocking; when the
            // timer fires after the poll, as usual, it only ends a run that is ending anyway.
            uv_timer_start(pollTimer, { timer in uv_stop(timer!.pointee.loop) }, UInt64(timeout), 0)
            if let beforeBlockingPoll { beforeBlockingPoll(timeout) }
        }
        uv_run(uvLoop, UV_RUN_ONCE)
        if timeout > 0 { uv_timer_stop(pollTimer) }
    }

    /// The ready items of one iteration, observed (testing trace) and timed (debug mode).
    private func runInstrumented(_ count: Int) {
        for _ in 0..<count {
            let item = ready.removeFirst()
            let step = step(of: item)
            stepObserverStorage?(step)
            guard debugEnabled else { run(item); continue }
            // The time the step held the loop thread (see `StepClock`): preemption is not the step's
            // fault, and debug mode is for finding the code that blocks or computes.
            let start = stepClock.read()
            run(item)
            let elapsed = StepClock.heldNanoseconds(from: start, to: stepClock.read())
            if elapsed >= slowCallbackThreshold.clampedNanoseconds {
                log.warning("Executing \(step.debugDescription) took \(Double(elapsed) / 1e9) seconds")
            }
        }
    }

    @inline(__always)
    func run(_ item: consuming ReadyItem) {
        switch consume item {
        case .job(let job):
            job.runSynchronously(on: asUnownedTaskExecutor())
        case .taskJob(let job, let tagged):
            let task = tagged.task
            runningTask = task
            job.runSynchronously(on: task.unownedExecutor)
            runningTask = nil
        case .callback(let sequence, let body):
            lastRunSequence = sequence
            if !cancelledSequences.isEmpty, cancelledSequences.remove(sequence) != nil { return }
            do { try body() } catch { reportCallbackError(error) }
        case .doneCallback(let future, let body):
            body(future)
        case .timer(let handle):
            guard let body = handle.body else { return }
            handle.body = nil
            do { try body() } catch { reportCallbackError(error) }
        case .shared(let flag, let body):
            if flag.isCancelled { return }
            do { try body() } catch { reportCallbackError(error) }
        }
        if !yieldedTasks.isEmpty { resumeYieldedTasks() }
        if ambientContextStorage != nil { ambientContextStorage = nil }
    }

    /// See ``ambientContextStorage``.
    var ambientContext: ExecutionContext {
        if let context = ambientContextStorage { return context }
        let fresh = ExecutionContext()
        ambientContextStorage = fresh
        return fresh
    }

    private func resumeYieldedTasks() {
        swap(&yieldedTasks, &resumingTasks)
        for continuation in resumingTasks { continuation.resume() }  // enqueues their jobs; runs nothing
        resumingTasks.removeAll(keepingCapacity: true)
    }

    private func reportCallbackError(_ error: any Error) {
        report(ExceptionContext(message: "Exception in callback", error: error))
    }

    // MARK: - Closing

    /// Closes the loop: drops pending callbacks and timers and frees every libuv handle (asyncio's
    /// `close`). Closing twice does nothing; afterwards every scheduling call throws
    /// ``EventLoopError/closed``.
    ///
    /// Tasks still pending are reported ("Task was destroyed but it is pending", as asyncio does), then
    /// cancelled and given the chance to finish their clean-up — asyncio's garbage collector closes
    /// such a coroutine, running its `finally` blocks; a Swift task suspended forever would instead
    /// keep its memory (and everything it holds) for good. A task whose clean-up waits on something
    /// that can no longer happen is reported and left.
    /// - Throws: ``EventLoopError/alreadyRunning`` if the loop is running.
    public func close() throws {
        try claim()  // a loop that is not running may be closed from any thread
        defer { claimed.store(false, ordering: .releasing) }
        if isClosed { return }
        finishAbandonedTasks()
        isClosed = true
        var dropped = inbox.close()
        dropped.append(contentsOf: ready.removeAllItems())
        let strandedJobs = dropped.reduce(0) { n, item in
            switch item {
            case .job, .taskJob: return n + 1
            default: return n
            }
        }
        if strandedJobs > 0 {
            log.warning("Event loop closed with \(strandedJobs) task step(s) pending: those tasks never resume")
        }
        for entry in timers.unordered { entry.handle.body = nil }
        timers = TimerHeap()
        cancelledTimers = 0
        cancelledSequences.removeAll()
        transportsToFlush.removeAll()
        let owners = resources.values
        resources.removeAll()
        signalWatchers.removeAll()
        gracefulShutdownParticipants.removeAll()
        for owner in owners { owner.closeForLoopShutdown() }
        defaultExecutorStorage?.shutdown(wait: false)
        defaultExecutorStorage = nil
        uv_walk(uvLoop, { handle, _ in
            if let handle, uv_is_closing(handle) == 0 { uv_close(handle, nil) }
        }, nil)
        uv_run(uvLoop, UV_RUN_DEFAULT)
        let status = uv_loop_close(uvLoop)
        if status != 0 { log.error("uv_loop_close: \(String(cString: uv_err_name(status))); a libuv handle is still open") }
        uvLoop.deallocate()
        wakeupHandle.deallocate()
        pollTimer.deallocate()
    }
}

extension EventLoop {
    /// `close()`'s first step: reports the pending tasks, cancels them and runs the loop (without
    /// waiting for timers or I/O) until they have finished, or until nothing is left to run.
    private func finishAbandonedTasks() {
        let abandoned = takeAllPendingTasks()
        guard !abandoned.isEmpty else { return }
        for task in abandoned {
            log.error("Task was destroyed but it is pending: \(task.description)")
            task.cancel(message: "the event loop was closed")
        }
        // Run as `runForever` would, the claim already held by `close()`.
        let previous = pthread_getspecific(currentLoopKey)
        pthread_setspecific(currentLoopKey, Unmanaged.passUnretained(self).toOpaque())
        runningThread.store(UInt(pthread_self()), ordering: .relaxed)
        defer {
            stopping = false
            runningThread.store(0, ordering: .relaxed)
            pthread_setspecific(currentLoopKey, previous)
        }
        stopping = true  // every poll below is non-blocking
        var idleIterations = 0
        while abandoned.contains(where: { $0.isPending }) && idleIterations < 3 {
            let hadWork = hasReadyWork || !yieldedTasks.isEmpty
            runOnce()
            stopping = true
            idleIterations = hadWork ? 0 : idleIterations + 1
        }
        for task in abandoned where task.isPending {
            log.error("Task did not finish after cancellation at close and is leaked: \(task.description)")
        }
    }
}

/// The pthread key under which a thread records the loop it is running.
let currentLoopKey: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key, nil)
    return key
}()
