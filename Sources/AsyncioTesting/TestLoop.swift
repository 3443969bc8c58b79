import Asyncio

/// An event loop on a virtual clock, for unit tests of timing-dependent async code: asyncio's test
/// loop, Trio's `MockClock(autojump_threshold=0)`, SwiftNIO's `NIOAsyncTestingEventLoop`.
///
/// ``loop`` is an ordinary ``/Asyncio/EventLoop`` (the same class, the same scheduling code) whose clock is
/// virtual: it starts at zero and moves only when
/// - **auto-jump** (the default): nothing is ready and a timer is pending — time jumps to that timer at
///   once, so "times out after 30 s" takes microseconds and is exact; or
/// - **manual**: you call ``advance(by:)`` / ``advance(to:)``, which run every callback and task step due
///   up to that moment, in deadline order, then return.
///
/// Everything runs on the thread that owns the test loop, in a deterministic order: the same test
/// gives the same ``trace`` every run. A loop that can make no progress throws a ``TestLoopFailure``
/// instead of hanging. Errors the loop reports (callback errors, unretrieved task failures) are
/// collected in ``reportedErrors`` instead of being logged.
///
/// Real I/O is allowed but not virtualised: while a socket or a thread-pool call is in flight the loop
/// really waits for it, and an auto-jumping loop may jump over a timeout meanwhile. Prefer manual time
/// for tests that mix real I/O and timeouts.
///
/// Confined to the thread that created it (use ``withTestLoop(autoJump:_:)`` from async tests); the
/// tasks it runs capture it, and they run on that same thread. Every member used from another thread
/// traps naming the call, except ``loop``, ``now`` and ``clock`` (the virtual clock is readable from
/// any thread); that check is why the type is `@unchecked Sendable`.
public final class TestLoop: @unchecked Sendable {
    /// The loop under test.
    public let loop: EventLoop
    /// Every callback, timer and task step that ran, with its virtual time.
    public var trace: [TraceEntry] {
        loop.preconditionOnLoopThread("TestLoop.trace")
        return steps
    }
    private var steps: [TraceEntry] = []
    /// What reached the loop's exception handler.
    public var reportedErrors: [ExceptionContext] {
        loop.preconditionOnLoopThread("TestLoop.reportedErrors")
        return errorLog.contexts
    }
    private let errorLog = ErrorLog()

    /// Creates a test loop at virtual time zero.
    /// - Parameters:
    ///   - autoJump: jump time to the next timer whenever nothing is ready (default), or move time only
    ///     through ``advance(by:)``.
    ///   - recordsTrace: record every step in ``trace`` (default true).
    public init(autoJump: Bool = true, recordsTrace: Bool = true) throws {
        loop = try EventLoop(timeSource: .virtual(autoJump: autoJump))
        let log = errorLog
        loop.exceptionHandler = { _, context in log.append(context) }
        if recordsTrace {
            loop.stepObserver = { [unowned self] step in
                steps.append(TraceEntry(time: now, step: step))
            }
        }
    }

    deinit {
        if !loop.isClosed { shutDown() }
    }

    /// Closes the test loop: cancels the tasks still pending, lets them finish and closes its
    /// ``loop`` (`EventLoop.close()`). Call it when a `TestLoop` you created yourself is done (on the
    /// thread that created it); ``withTestLoop(autoJump:_:)`` calls it for you. Closing twice does
    /// nothing. A `TestLoop` dropped unclosed is closed by its `deinit`.
    public func close() {
        loop.preconditionOnLoopThread("TestLoop.close")
        if !loop.isClosed { shutDown() }
    }

    /// Cancels the tasks still pending, lets them finish and closes the loop (on the loop's thread).
    ///
    /// ``withTestLoop(autoJump:_:)`` calls it when its body returns: a task left pending that captured
    /// the test loop (`test.run { try await test.loop.sleep(...) }`) keeps it alive through the loop's
    /// task list, so `deinit` alone would never run and the loop, its tasks and its libuv loop would
    /// leak. Closing the loop ends those tasks, which releases the test loop.
    func shutDown() {
        loop.stepObserver = nil
        try? loop.cancelAllTasks()
        try? loop.close()
    }

    /// Virtual time elapsed since the loop was created.
    public var now: Duration { .nanoseconds(Int64(loop.virtualNanoseconds)) }

    /// The loop's clock (virtual): pass it to code that takes a `Clock`.
    public var clock: LoopClock { loop.clock }

    /// Moves virtual time forward by `duration`, running everything due on the way, in deadline order.
    public func advance(by duration: Duration) throws {
        loop.preconditionOnLoopThread("TestLoop.advance")
        let target = loop.virtualNanoseconds &+ duration.clampedNanoseconds  // rounded up, as every wait
        try loop.advanceVirtualTime(to: target)
    }

    /// Moves virtual time to `instant` (if it is ahead), running everything due on the way.
    public func advance(to instant: LoopClock.Instant) throws {
        loop.preconditionOnLoopThread("TestLoop.advance")
        try loop.advanceVirtualTime(to: instant.nanoseconds)
    }

    /// Runs callbacks and task steps until nothing is ready, without moving time.
    public func runUntilIdle() throws {
        loop.preconditionOnLoopThread("TestLoop.runUntilIdle")
        try loop.runUntilIdle()
    }

    /// Runs `body` as a task until it finishes and returns its result (or rethrows its error). With
    /// auto-jump, time jumps through every wait; with manual time, it throws a ``TestLoopFailure`` if
    /// the body waits on a timer (advance time from a callback or use ``advance(by:)`` instead).
    /// - Parameters:
    ///   - name: the task's name (default "Task-N", as ``/Asyncio/EventLoop/createTask(name:eager:_:)``).
    ///   - body: the task's body; it runs on the test loop's thread, in virtual time.
    public func run<T>(name: String? = nil, _ body: sending @escaping () async throws -> T) throws -> T {
        loop.preconditionOnLoopThread("TestLoop.run")
        let task = try loop.createTask(name: name, body)
        do {
            try loop.runVirtual { task.isDone }
        } catch let stall as LoopStall {
            throw TestLoopFailure(stall.description, trace: traceDescription)
        }
        return try task.result()
    }

    /// Throws unless every task of the loop has finished, listing those still pending.
    public func assertNoPendingTasks() throws {
        loop.preconditionOnLoopThread("TestLoop.assertNoPendingTasks")
        let pending = loop.allTasks()
        guard pending.isEmpty else {
            throw TestLoopFailure("\(pending.count) task(s) still pending: \(pending.map(\.description).sorted().joined(separator: ", "))",
                                  trace: traceDescription)
        }
    }

    /// Throws unless nothing reached the exception handler (no callback errors, no unretrieved failures).
    public func assertNoReportedErrors() throws {
        loop.preconditionOnLoopThread("TestLoop.assertNoReportedErrors")
        let errors = reportedErrors
        guard errors.isEmpty else {
            throw TestLoopFailure("\(errors.count) error(s) reported: \(errors.map(\.description).joined(separator: "; "))",
                                  trace: traceDescription)
        }
    }

    /// The trace as text, one step per line (`[    1.500000s] timer`), to print when a test fails.
    public var traceDescription: String {
        loop.preconditionOnLoopThread("TestLoop.traceDescription")
        return steps.map(\.description).joined(separator: "\n")
    }
}

/// One step of a ``TestLoop/trace``.
public struct TraceEntry: Sendable, Equatable, CustomStringConvertible {
    /// Virtual time when the step ran.
    public var time: Duration
    /// What ran: "callback", "threadsafe callback", "timer", "task 'name'" or "child task".
    public var what: String

    init(time: Duration, step: LoopStep) {
        self.time = time
        switch step {
        case .callback: what = "callback"
        case .threadsafeCallback: what = "threadsafe callback"
        case .timer: what = "timer"
        case .taskStep(let name?): what = "task '\(name)'"
        case .taskStep(nil): what = "child task"
        }
    }

    /// A description for logs and debugging.
    public var description: String {
        let micros = time.components.seconds * 1_000_000 + time.components.attoseconds / 1_000_000_000_000
        let fraction = String(micros % 1_000_000)
        let stamp = "\(micros / 1_000_000).\(String(repeating: "0", count: 6 - fraction.count))\(fraction)"
        return "[\(String(repeating: " ", count: max(0, 12 - stamp.count)))\(stamp)s] \(what)"
    }
}

/// A test loop assertion failed or the loop stalled; the message carries the trace.
public struct TestLoopFailure: Error, CustomStringConvertible {
    /// What failed.
    public var message: String
    /// The loop's trace when it failed.
    public var trace: String

    init(_ message: String, trace: String) {
        self.message = message
        self.trace = trace
    }

    /// A description for logs and debugging.
    public var description: String {
        trace.isEmpty ? message : "\(message)\nTrace:\n\(trace)"
    }
}

/// Collects exception-handler reports; touched only on the loop thread (hence `@unchecked Sendable`).
private final class ErrorLog: @unchecked Sendable {
    private(set) var contexts: [ExceptionContext] = []
    func append(_ context: ExceptionContext) { contexts.append(context) }
}
