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
    var cancelledTimers = 0
    @exclusivity(unchecked)
    var nextSequence: UInt64 = 0
    @exclusivity(unchecked)
    var lastRunSequence: UInt64 = 0
    @exclusivity(unchecked)
    var cancelledSequences = Set<UInt64>()
    @exclusivity(unchecked)
    var nextTimerSequence: UInt64 = 0
    /// Tasks that yielded (`sleep(0)`) during the current item; resumed as soon as it returns, when
    /// they have really suspended, so that their next step joins the back of the ready FIFO.
    @exclusivity(unchecked)
    var yieldedTasks: [UnsafeContinuation<Void, Never>] = []
    /// The batch being resumed: swapped with ``yieldedTasks`` so that neither buffer is ever copied (a
    /// copy of the array, then `removeAll(keepingCapacity:)` on the original, allocated once per yield).
    @exclusivity(unchecked)
    var resumingTasks: [UnsafeContinuation<Void, Never>] = []
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
    var flushingTransports: [StreamTransport] = []
    /// Empty byte arrays with capacity, for the batches of the transports writing in an iteration:
    /// a transport takes one when it starts a batch and gives it back once flushed, so batches are
    /// not reallocated every iteration and idle connections hold none.
    @exclusivity(unchecked)
    var outputBufferPool: [[UInt8]] = []

    // MARK: state
    let owner = Atomic<UInt>(UInt(pthread_self()))
    /// The thread running the loop now, 0 when none (see ``isRunningHere``). Relaxed is enough: a
    /// thread reads its own id here only if it stored it itself.
    let runningThread = Atomic<UInt>(0)
    @exclusivity(unchecked)
    var stopping = false
    @exclusivity(unchecked)
    var skippedPolls: UInt = 0
    /// Held by the thread that runs or closes the loop: taking it (a compare-and-swap) is how a loop
    /// that is not running moves to another thread, and why two threads can never run it at once.
    let claimed = Atomic<Bool>(false)
    let closedFlag = Atomic<Bool>(false)
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

    /// Where a loop's time comes from. Package-only: users get virtual time through `AsyncioTesting`'s
    /// `TestLoop` and `withTestLoop`.
    package enum TimeSource: Sendable, Equatable {
        /// `CLOCK_MONOTONIC`: real time.
        case monotonic
        /// A virtual clock that starts at zero and moves only when the loop jumps it (`autoJump`
        /// true: whenever nothing is ready and a timer is pending, time jumps to that timer) or when a
        /// test advances it (`AsyncioTesting`).
        case virtual(autoJump: Bool)
    }

    /// The most callbacks other threads may have waiting for this loop, or `nil` (the default) for no
    /// bound. See ``init(inboxCapacity:)``. Safe from any thread.
    public let inboxCapacity: Int?

    /// Creates a loop on real time (`CLOCK_MONOTONIC`). It runs on the thread that later calls
    /// ``runForever()``. (A loop on a virtual clock, for tests, is `AsyncioTesting`'s `TestLoop`.)
    /// - Parameters:
    ///   - inboxCapacity: a bound with back-pressure for producers on other threads: while this many
    ///     items sent from other threads have not yet arrived in the loop's ready FIFO,
    ///     ``callSoonThreadsafe(_:)`` throws ``EventLoopError/inboxFull`` and
    ///     `callSoonThreadsafeWaitingForRoom(_:)` waits for room (a thread blocks, a task
    ///     suspends). The loop's own cross-thread traffic — task steps enqueued from other executors,
    ///     ``runCoroutineThreadsafe(_:)``, ``stop()``, cancellations and executor results coming back —
    ///     counts toward the bound but is never refused. `nil` (the default): unbounded, and no call
    ///     ever waits.
    /// - Precondition: `inboxCapacity` is nil or at least 1.
    public convenience init(inboxCapacity: Int? = nil) throws {
        try self.init(timeSource: .monotonic, inboxCapacity: inboxCapacity)
    }

    /// Creates a loop on `timeSource` (the package's own tests and `AsyncioTesting` use virtual time).
    package init(timeSource: TimeSource, inboxCapacity: Int? = nil) throws {
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
            throw IOError("uv_loop_init", "", status: status)
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
            throw IOError("uv_async_init/uv_timer_init", "", status: handleStatus)
        }
        uvLoop.pointee.data = Unmanaged.passUnretained(self).toOpaque()
        EventLoop.ignoreBrokenPipeSignal
    }

    /// A loop must be closed with ``close()`` before its last reference goes: an unclosed loop at
    /// `deinit` is a programmer error, reported at error level on ``logger`` (as SwiftNIO reports an
    /// event-loop group that was not shut down), with how to fix it. Its resources are then freed as
    /// `close()` would, on whatever thread dropped the last reference — which is why it is an error:
    /// pending tasks' clean-up then runs on that thread.
    deinit {
        if !isClosed {
            log.error("EventLoop deinitialized without close(): its pending callbacks, timers, tasks and libuv handles are being freed on whatever thread dropped the last reference. Fix: call `try loop.close()` (on the loop's thread, once it has stopped) before dropping the loop.")
            try? close()
        }
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
}
