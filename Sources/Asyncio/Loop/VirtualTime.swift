import CLibUV

/// What ran, as seen by an observer of the loop (the testing library's trace).
package enum LoopStep: Sendable, Equatable, CustomDebugStringConvertible {
    /// A callback scheduled with `callSoon` (or a future's done callback).
    case callback
    /// A callback scheduled with `callSoonThreadsafe`.
    case threadsafeCallback
    /// A timer callback (`callLater` / `callAt`, or a task's `sleep` ending).
    case timer
    /// A step of a task; the name of the loop task it belongs to, or nil for a child task.
    case taskStep(String?)

    package var debugDescription: String {
        switch self {
        case .callback: return "a callback"
        case .threadsafeCallback: return "a thread-safe callback"
        case .timer: return "a timer callback"
        case .taskStep(let name?): return "a step of task '\(name)'"
        case .taskStep(nil): return "a step of a child task"
        }
    }
}

/// Why a virtual-time loop cannot make progress.
package struct LoopStall: Error, CustomStringConvertible, Sendable {
    /// The explanation.
    package var description: String
}

extension EventLoop {
    /// Whether the loop runs on a virtual clock.
    package var isVirtualTime: Bool { timeSource != .monotonic }

    /// The virtual clock's reading in nanoseconds.
    package var virtualNanoseconds: UInt64 { virtualNow }

    /// Observes every ready item the loop runs, before it runs (nil: no observation, no cost).
    package var stepObserver: ((LoopStep) -> Void)? {
        get { preconditionOnLoopThread("EventLoop.stepObserver"); return stepObserverStorage }
        set { preconditionOnLoopThread("EventLoop.stepObserver"); stepObserverStorage = newValue }
    }

    /// Runs every callback and task step due up to `deadline` (virtual nanoseconds), in deadline order,
    /// then sets the clock to `deadline`. Time moves only when nothing is ready.
    package func advanceVirtualTime(to deadline: UInt64) throws {
        guard isVirtualTime else { throw LoopStall(description: "advance(by:) needs a virtual-time loop") }
        try checkUsable("advance")
        try enterRun()
        defer { exitRun() }
        while hasWorkDue(by: deadline) { runOnce(timeLimit: deadline) }
        virtualNow = max(virtualNow, deadline)
    }

    /// Runs iterations until nothing is ready, without moving time.
    package func runUntilIdle() throws {
        try advanceVirtualTime(to: virtualNow)
    }

    /// Runs the loop until `isFinished` returns true. Throws ``LoopStall`` instead of blocking forever
    /// when nothing can make progress: nothing ready, no timer it may jump to, no libuv activity and no
    /// work pending on other threads.
    package func runVirtual(until isFinished: () -> Bool) throws {
        guard case .virtual(let autoJump) = timeSource else {
            throw LoopStall(description: "runVirtual needs a virtual-time loop")
        }
        try checkUsable("run")
        try enterRun()
        defer { exitRun() }
        while !isFinished() {
            let waitingOnTheWorld = hasUVActivity || externalWaits > 0 || !signalWatchers.isEmpty
            if !hasWorkDue(by: autoJump ? UInt64.max : virtualNow) && !waitingOnTheWorld {
                let pending = allTasks().map(\.description).sorted().joined(separator: ", ")
                let reason = autoJump
                    ? "nothing is ready and no timer is pending, so nothing can wake the waiting tasks"
                    : "nothing is ready and time is manual: call advance(by:) to move it"
                throw LoopStall(description: "The loop stalled at t=\(Double(virtualNow) / 1e9)s: \(reason). Pending tasks: [\(pending)]")
            }
            runOnce()
        }
    }

    /// Whether a callback or task step is ready, or a live timer is due by `deadline`.
    private func hasWorkDue(by deadline: UInt64) -> Bool {
        if hasReadyWork || !yieldedTasks.isEmpty { return true }
        guard let next = nextTimerDeadline() else { return false }
        return next <= Int64(clamping: deadline)
    }
}

extension EventLoop {
    /// Whether libuv has handles or requests at work besides the loop's own (real I/O in flight), or
    /// handles whose close callbacks are still to run.
    var hasUVActivity: Bool {
        uvLoop.pointee.active_handles > 1 || uvLoop.pointee.active_reqs.count > 0 || uvLoop.pointee.closing_handles != nil
    }

    /// What a ready item is, for the step observer (test and debug paths only).
    func step(of item: ReadyItem) -> LoopStep {
        switch item {
        case .callback, .doneCallback: return .callback
        case .shared: return .threadsafeCallback
        case .timer: return .timer
        case .taskJob(let job, let tagged):
            // A step of the task's own Swift task (a task's job *is* its task), else of a child of it.
            let task = tagged.task
            return .taskStep(task.swiftTaskPointer == unsafeBitCast(job, to: UnsafeRawPointer.self) ? task.name : nil)
        case .job:
            return .taskStep(nil)
        }
    }
}
