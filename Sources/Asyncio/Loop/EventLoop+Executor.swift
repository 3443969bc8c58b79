/// The loop as Swift's executor: a job enqueued here runs on the loop thread, in the same FIFO as
/// callbacks. On the thread running the loop `enqueue` is one append (no lock, no syscall); from other
/// threads (and before the loop runs) it goes through the inbox with one coalesced wake-up.
extension EventLoop: SerialExecutor, TaskExecutor {
    /// Runs `job` on the loop thread, after everything already ready. Safe from any thread: this is how
    /// Swift concurrency hands the loop a task's next step.
    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        if isRunningHere {
            appendReady(.job(job))
        } else if !inbox.push(.job(job)) {
            log.error("A task step was enqueued on a closed event loop; that task never resumes")
        }
    }

    /// ``enqueue(_:)`` for a job of `task` (see ``LoopTask/enqueue(_:)``): tagged with the task, which
    /// the loop makes ``runningTask`` while the job runs.
    func enqueue(_ job: UnownedJob, of task: any TaskRecord) {
        if isRunningHere {
            appendReady(.taskJob(job, UnretainedTask(task: task)))
        } else if !inbox.push(.taskJob(job, UnretainedTask(task: task))) {
            log.error("A task step was enqueued on a closed event loop; that task never resumes")
        }
    }

    /// The loop as a serial executor (`SerialExecutor`): jobs run on the loop thread, in the ready FIFO.
    public func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    /// The loop as a task executor: a task created with `Task(executorPreference: loop)` runs every job,
    /// and its children's, on the loop thread.
    public func asUnownedTaskExecutor() -> UnownedTaskExecutor {
        UnownedTaskExecutor(ordinary: self)
    }

    /// Whether `other` is this loop: two loops never share a thread (`SerialExecutor`).
    public func isSameExclusiveExecutionContext(other: EventLoop) -> Bool { self === other }

    /// Traps unless called on the loop's thread (`SerialExecutor`: what `assumeIsolated` checks).
    public func checkIsolated() {
        precondition(isOnLoopThread, "Expected to run on the event loop's thread")
    }
}
