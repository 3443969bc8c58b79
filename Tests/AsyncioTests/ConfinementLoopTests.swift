@testable import Asyncio
import Logging
#if canImport(Glibc)
import Glibc
#endif
import Testing

/// Every loop-confined entry point of `EventLoop`, `Future`, `LoopTask` and `TimerHandle` called from
/// a thread that is not its loop's: a precondition failure naming the call (the one misuse rule,
/// see Loop/Confinement.swift). Each case runs in a child process (an exit test).
@Suite("Confinement: loop, futures, tasks, timers")
struct ConfinementLoopTests {
    enum Misuse: String, CaseIterable, Sendable, Codable {
        case callSoon, callLater, callLaterSeconds, callAt, callAtInstant, createTask, allTasks, dump
        case exceptionHandlerGet, exceptionHandlerSet, loggerGet, loggerSet, debugGet, debugSet
        case slowCallbackDurationGet, slowCallbackDurationSet, callExceptionHandler, defaultExceptionHandler
        case runInExecutorFuture, addSignalHandler
        case futureIsDone, futureIsCancelled, futureResult, futureError, futureOutcome, futureSetResult
        case futureSetError, futureCancel, futureAddDoneCallback, futureRemoveDoneCallback, futureValue, futureWaitDone
        case taskIsDone, taskIsCancelled, taskCancel, taskCancelMessage, taskWaitingOn, taskResult, taskError
        case taskAddDoneCallback, taskRemoveDoneCallback, taskValue, taskWaitDone
        case timerIsCancelled

        /// The name the failure message must contain.
        var call: String {
            switch self {
            case .callSoon: "callSoon"
            case .callLater, .callLaterSeconds: "callLater"
            case .callAt, .callAtInstant: "callAt"
            case .createTask: "createTask"
            case .allTasks: "EventLoop.allTasks"
            case .dump: "EventLoop.dump"
            case .exceptionHandlerGet, .exceptionHandlerSet: "EventLoop.exceptionHandler"
            case .loggerGet, .loggerSet: "EventLoop.logger"
            case .debugGet, .debugSet: "EventLoop.debug"
            case .slowCallbackDurationGet, .slowCallbackDurationSet: "EventLoop.slowCallbackDuration"
            case .callExceptionHandler: "EventLoop.callExceptionHandler"
            case .defaultExceptionHandler: "EventLoop.defaultExceptionHandler"
            case .runInExecutorFuture: "runInExecutor"
            case .addSignalHandler: "addSignalHandler"
            case .futureIsDone: "Future.isDone"
            case .futureIsCancelled: "Future.isCancelled"
            case .futureResult: "Future.result"
            case .futureError: "Future.error"
            case .futureOutcome: "Future.outcome"
            case .futureSetResult: "Future.setResult"
            case .futureSetError: "Future.setError"
            case .futureCancel: "Future.cancel"
            case .futureAddDoneCallback: "Future.addDoneCallback"
            case .futureRemoveDoneCallback: "Future.removeDoneCallback"
            case .futureValue: "Future.value"
            case .futureWaitDone: "Future.waitDone"
            case .taskIsDone: "LoopTask.isDone"
            case .taskIsCancelled: "LoopTask.isCancelled"
            case .taskCancel: "LoopTask.cancel"
            case .taskCancelMessage: "LoopTask.cancelMessage"
            case .taskWaitingOn: "LoopTask.waitingOn"
            case .taskResult: "LoopTask.result"
            case .taskError: "LoopTask.error"
            case .taskAddDoneCallback: "LoopTask.addDoneCallback"
            case .taskRemoveDoneCallback: "LoopTask.removeDoneCallback"
            case .taskValue: "LoopTask.value"
            case .taskWaitDone: "LoopTask.waitDone"
            case .timerIsCancelled: "TimerHandle.isCancelled"
            }
        }
    }

    @Test(arguments: Misuse.allCases)
    func aLoopConfinedCallFromAnotherThreadTrapsNamingTheCall(_ misuse: Misuse) async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) { [misuse] in
            // The loop and its objects belong to a thread of their own; this task (on a Swift pool
            // thread) misuses them.
            let objects = try await onParkedThread { () throws -> LoopObjects in
                let loop = try EventLoop()
                return LoopObjects(
                    loop: loop, future: Future<Int>(loop: loop), task: try loop.createTask(name: "victim") { 1 },
                    timer: try loop.callLater(.seconds(10)) {})
            }
            try await misuse.perform(objects.loop, objects.future, objects.task, objects.timer)
        }
        let stderr = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(stderr.contains(misuse.call), "stderr: \(stderr.suffix(600))")
        #expect(stderr.contains("event loop"), "stderr: \(stderr.suffix(600))")
    }

    @Test func threadSafeEntryPointsWorkFromAnyThread() async throws {
        let loop = try EventLoop()
        let trace = Counter()
        // From a thread that is not the loop's: the documented thread-safe calls.
        let handle = try loop.callSoonThreadsafe { trace.increment() }
        _ = try loop.callSoonThreadsafe { trace.increment() }
        handle.cancel()
        _ = loop.isRunning
        _ = loop.isClosed
        _ = loop.description
        _ = loop.time()
        _ = loop.clock.now
        loop.stop()
        // A loop that is not running may be run (and closed) from another thread: it moves there.
        try await onLoopThreadRunning(loop) {
            try loop.runForever()
            try loop.close()
        }
        #expect(trace.count == 1)
        #expect(loop.isClosed)
    }
}

/// Runs `body` on a fresh thread (never a Swift pool thread, which `uv_run` would block).
private func onLoopThreadRunning(_ loop: EventLoop, _ body: @escaping @Sendable () throws -> Void) async throws {
    try await onDedicatedThread(body)
}

/// Runs `body` on a fresh thread of its own and returns its result.
func onDedicatedThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    let fence = HandoffFence()  // for ThreadSanitizer (see HandoffFence)
    let result = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
        spawnThread(name: "owner") {
            let result = Result { try body() }
            fence.publish()
            continuation.resume(with: result)
        }
    }
    fence.receive()
    return result
}

/// Runs `body` on a fresh thread that then stays parked for good (for exit tests, whose child process
/// ends with the test): a thread that ended may hand its pthread id on to a thread started later,
/// which would then pass for the loop's.
func onParkedThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    let fence = HandoffFence()  // for ThreadSanitizer (see HandoffFence)
    let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<T, any Error>, Never>) in
        spawnThread(name: "parked-owner") {
            let result = Result { try body() }
            fence.publish()
            continuation.resume(returning: result)
            while true { sleep(3600) }
        }
    }
    fence.receive()
    return try result.get()
}

/// A loop and objects confined to it, created on the loop's thread.
struct LoopObjects: Sendable {
    let loop: EventLoop
    let future: Future<Int>
    let task: LoopTask<Int>
    let timer: TimerHandle
}

extension ConfinementLoopTests.Misuse {
    /// Performs the misuse (from a thread that is not the loop's).
    func perform(_ loop: EventLoop, _ future: Future<Int>, _ task: LoopTask<Int>, _ timer: TimerHandle) async throws {
        switch self {
        case .callSoon: try loop.callSoon {}
        case .callLater: try loop.callLater(.seconds(1)) {}
        case .callLaterSeconds: try loop.callLater(.seconds(1.0)) {}
        case .callAt: try loop.callAt(1.0) {}
        case .callAtInstant: try loop.callAt(LoopClock.Instant(nanoseconds: 1)) {}
        case .createTask: try loop.createTask { 0 }
        case .allTasks: _ = loop.allTasks()
        case .dump: _ = loop.dump()
        case .exceptionHandlerGet: _ = loop.exceptionHandler
        case .exceptionHandlerSet: loop.exceptionHandler = { _, _ in }
        case .loggerGet: _ = loop.logger
        case .loggerSet: loop.logger = Logger(label: "x")
        case .debugGet: _ = loop.debug
        case .debugSet: loop.debug = true
        case .slowCallbackDurationGet: _ = loop.slowCallbackDuration
        case .slowCallbackDurationSet: loop.slowCallbackDuration = .seconds(1)
        case .callExceptionHandler: loop.callExceptionHandler(ExceptionContext(message: "x"))
        case .defaultExceptionHandler: loop.defaultExceptionHandler(ExceptionContext(message: "x"))
        case .runInExecutorFuture: _ = try loop.runInExecutorFuture(nil) { 1 }
        case .addSignalHandler: try loop.addSignalHandler(SIGUSR2) {}
        case .futureIsDone: _ = future.isDone
        case .futureIsCancelled: _ = future.isCancelled
        case .futureResult: _ = try? future.result()
        case .futureError: _ = try? future.error()
        case .futureOutcome: _ = future.outcome
        case .futureSetResult: try future.setResult(1)
        case .futureSetError: try future.setError(Boom())
        case .futureCancel: future.cancel()
        case .futureAddDoneCallback: future.addDoneCallback { _ in }
        case .futureRemoveDoneCallback: future.removeDoneCallback(1)
        case .futureValue: _ = try await future.value
        case .futureWaitDone: try await future.waitDone()
        case .taskIsDone: _ = task.isDone
        case .taskIsCancelled: _ = task.isCancelled
        case .taskCancel: task.cancel()
        case .taskCancelMessage: _ = task.cancelMessage
        case .taskWaitingOn: _ = task.waitingOn
        case .taskResult: _ = try? task.result()
        case .taskError: _ = try? task.error()
        case .taskAddDoneCallback: task.addDoneCallback { _ in }
        case .taskRemoveDoneCallback: task.removeDoneCallback(1)
        case .taskValue: _ = try await task.value
        case .taskWaitDone: try await task.waitDone()
        case .timerIsCancelled: _ = timer.isCancelled
        }
    }
}
