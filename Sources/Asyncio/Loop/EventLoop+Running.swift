import CLibUV
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension EventLoop {
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
    func claim() throws {
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
}

/// The pthread key under which a thread records the loop it is running.
let currentLoopKey: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key, nil)
    return key
}()
