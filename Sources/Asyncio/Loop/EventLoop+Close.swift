import CLibUV
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension EventLoop {
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
