import Asyncio
import AsyncioTesting
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// test_events.py / test_base_events.py: callbacks, timers, stop, the exception handler.
@Suite("Conformance: events")
struct EventsConformanceTests {
    @Test func callSoonIsFIFO() async throws {
        let events = try await traceOnLoopThread { test, events in
            let loop = test.loop
            for i in 0..<5 { try loop.callSoon { events("cb\(i)") } }
            try loop.callSoon { loop.stop() }
            try loop.runForever()
        }
        #expect(events == cpythonTrace("events_call_soon_is_fifo"), "trace events_call_soon_is_fifo differs from CPython's")
    }

    @Test func aCallbackScheduledDuringAnIterationRunsInTheNext() async throws {
        let events = try await traceOnLoopThread { test, events in
            let loop = test.loop
            try loop.callSoon {
                events("a")
                try loop.callSoon { events("c (scheduled by a)") }
            }
            try loop.callSoon { events("b"); loop.stop() }
            try loop.runForever()
            events("run_forever returned")
            try loop.callSoon { loop.stop() }
            try loop.runForever()
        }
        #expect(events == cpythonTrace("events_callback_scheduled_during_iteration_runs_in_next"), "trace events_callback_scheduled_during_iteration_runs_in_next differs from CPython's")
    }

    @Test func stopBeforeRunForeverRunsOneIteration() async throws {
        let events = try await traceOnLoopThread { test, events in
            let loop = test.loop
            try loop.callSoon {
                events("a")
                try loop.callSoon { events("b (next iteration)") }
            }
            loop.stop()
            try loop.runForever()
            events("returned after one iteration")
            try loop.callSoon { loop.stop() }
            try loop.runForever()
        }
        #expect(events == cpythonTrace("events_stop_before_run_runs_one_iteration"), "trace events_stop_before_run_runs_one_iteration differs from CPython's")
    }

    /// Issue 18.8: overdue timers keep their deadline order.
    @Test func overdueTimersRunInDeadlineOrderNotSchedulingOrder() async throws {
        let events = try await traceOnLoopThread { test, events in
            let loop = test.loop
            try loop.callSoon { events("ready callback") }
            let a = try loop.callLater(.seconds(-1.0)) { events("a (-1 s)") }
            try loop.callLater(.seconds(-2)) { events("b (-2 s)") }
            try loop.callLater(.zero) { events("c (0 s)") }
            try loop.callAt(loop.time() - 3) { events("d (call_at now - 3 s)") }
            events("a.when() < loop.time(): \(a.when < loop.time() ? "True" : "False")")
            try loop.callLater(.seconds(0.001)) { loop.stop() }
            try loop.runForever()
        }
        #expect(events == cpythonTrace("events_negative_delays_ordered_by_deadline"), "trace events_negative_delays_ordered_by_deadline differs from CPython's")
    }

    @Test func timersFireInDeadlineOrderAndNeverEarly() async throws {
        let events = try await traceOnLoopThread { test, events in
            let loop = test.loop
            let start = loop.time()
            func fire(_ label: String) {
                let due = start + Double(label.dropFirst())! / 1000
                events("\(label) on time: \(loop.time() >= due ? "True" : "False")")
            }
            try loop.callLater(.milliseconds(30)) { fire("t30") }
            try loop.callLater(.seconds(0.010)) { fire("t10") }
            try loop.callAt(start + 0.020) { fire("t20") }
            try loop.callLater(.seconds(0.040)) { loop.stop() }
            try loop.runForever()
        }
        #expect(events == cpythonTrace("events_timers_fire_in_deadline_order"), "trace events_timers_fire_in_deadline_order differs from CPython's")
    }

    @Test func cancelledHandlesNeverRun() async throws {
        let events = try await traceOnLoopThread { test, events in
            let loop = test.loop
            let first = try loop.callSoon { events("first") }
            let second = try loop.callSoon { events("second") }
            let timer = try loop.callLater(.seconds(0.001)) { events("timer") }
            let threadsafe = try loop.callSoonThreadsafe { events("threadsafe") }
            try loop.callSoon { events("third") }
            second.cancel()
            second.cancel()
            timer.cancel()
            threadsafe.cancel()
            try loop.callLater(.seconds(0.005)) { loop.stop() }
            try loop.runForever()
            first.cancel()
            events("timer cancelled: \(timer.isCancelled ? "True" : "False")")
        }
        #expect(events == cpythonTrace("events_cancelled_handles_never_run"), "trace events_cancelled_handles_never_run differs from CPython's")
    }

    /// Issue 18.1: on the loop thread, a thread-safe callback joins the ready FIFO at once.
    @Test func threadsafeCallbackFromTheLoopThreadTakesItsPlaceWhenSubmitted() async throws {
        let events = try await traceOnLoopThread { test, events in
            let loop = test.loop
            try loop.callSoonThreadsafe { events("threadsafe 1") }
            try loop.callSoon { events("local 1") }
            try loop.callSoonThreadsafe { events("threadsafe 2") }
            try loop.callSoon { events("local 2") }
            try loop.callSoon { loop.stop() }
            try loop.runForever()
        }
        #expect(events == cpythonTrace("events_threadsafe_callback_takes_its_place_when_submitted"), "trace events_threadsafe_callback_takes_its_place_when_submitted differs from CPython's")
    }

    /// Issue 18.1: a thread-safe callback submitted on another thread before the loop thread's
    /// `callSoon` (the loop waits for the submission) runs first.
    @Test func threadsafeCallbackFromAnotherThreadPrecedesALaterCallSoon() async throws {
        let events = try await traceOnLoopThread { test, events in
            let loop = test.loop
            try loop.callSoon {
                let submitted = ThreadSignal()
                spawnThread {
                    _ = try? loop.callSoonThreadsafe { events("a (threadsafe, other thread)") }
                    submitted.signal()
                }
                submitted.wait()  // explicit synchronisation: the submission happened before what follows
                try loop.callSoon { events("b (call_soon, loop thread, afterwards)") }
                try loop.callSoon { loop.stop() }
            }
            try loop.runForever()
        }
        #expect(events == cpythonTrace("events_threadsafe_callback_from_another_thread_precedes_later_call_soon"), "trace events_threadsafe_callback_from_another_thread_precedes_later_call_soon differs from CPython's")
    }

    @Test func aCallbackErrorGoesToTheExceptionHandlerAndTheLoopGoesOn() async throws {
        let events = try await traceOnLoopThread { test, events in
            let loop = test.loop
            loop.exceptionHandler = { _, context in
                events("handler: \(context.message): \(context.error.map(errorName) ?? "none")")
            }
            try loop.callSoon { throw Boom(name: "Boom7") }
            try loop.callSoon { events("next callback still runs") }
            try loop.callLater(.zero) { throw Boom(name: "Boom8") }
            try loop.callLater(.seconds(0.001)) { loop.stop() }
            try loop.runForever()
        }
        #expect(events == cpythonTrace("events_callback_error_goes_to_exception_handler"), "trace events_callback_error_goes_to_exception_handler differs from CPython's")
    }

    /// asyncio's `RuntimeError` for a closed loop is ``EventLoopError/closed``.
    @Test func aClosedLoopRefusesNewWork() async throws {
        let events = try await traceOnRealLoop { _, events in
            func attempt(_ label: String, _ action: () throws -> Void) {
                do {
                    try action()
                    events("\(label): ok")
                } catch EventLoopError.closed {
                    events("\(label): raises RuntimeError")
                } catch {
                    events("\(label): raises \(error)")
                }
            }
            let loop = try EventLoop()
            events("before close: is_closed=\(py(loop.isClosed)) is_running=\(py(loop.isRunning))")
            try loop.close()
            events("after close: is_closed=\(py(loop.isClosed))")
            attempt("call_soon") { try loop.callSoon { events("never") } }
            attempt("call_later") { try loop.callLater(.seconds(1.0)) { events("never") } }
            attempt("call_soon_threadsafe") { try loop.callSoonThreadsafe { events("never") } }
            attempt("run_forever") { try loop.runForever() }
            attempt("close again") { try loop.close() }
        }
        #expect(events == cpythonTrace("events_closed_loop_refuses_new_work"), "trace events_closed_loop_refuses_new_work differs from CPython's")
    }

    /// asyncio's `RuntimeError('Event loop stopped before Future completed.')` is
    /// ``EventLoopError/stoppedBeforeComplete``.
    @Test func runUntilCompleteReturnsTheResultOrThrowsAndTheLoopRunsAgain() async throws {
        let events = try await traceOnRealLoop { loop, events in
            events("result: \(try loop.runUntilComplete { () async throws -> Int in try await sleep(for: .zero); return 42 })")
            do {
                try loop.runUntilComplete { () async throws -> Void in
                    try await sleep(for: .zero)
                    throw Boom()
                }
            } catch {
                events("raised \(errorName(error))")
            }
            events("runs again: \(try loop.runUntilComplete { () async throws -> Int in try await sleep(for: .zero); return 42 })")
            let task = try loop.createTask {
                loop.stop()
                try await sleep(for: .seconds(1))
            }
            do { try loop.runUntilComplete(task) } catch EventLoopError.stoppedBeforeComplete {
                events("stopped first: RuntimeError; task done: \(py(task.isDone))")
            }
            task.cancel()
            try loop.runUntilComplete { try await sleep(for: .zero) }
        }
        #expect(events == cpythonTrace("events_run_until_complete_returns_or_raises"), "trace events_run_until_complete_returns_or_raises differs from CPython's")
    }

    @Test func sleepZeroYieldsExactlyOneIteration() async throws {
        let events = try await trace { loop, events in
            @Sendable func worker(_ label: String) async throws {
                events("\(label)1")
                try await sleep(for: .zero)
                events("\(label)2")
                try await sleep(for: .zero)
                events("\(label)3")
            }
            let a = try loop.createTask { try await worker("a") }
            let b = try loop.createTask { try await worker("b") }
            try loop.callSoon { events("callback") }
            try await sleep(for: .zero)
            events("main after one sleep(0)")
            try await a.value
            try await b.value
        }
        #expect(events == cpythonTrace("events_sleep_zero_yields_one_iteration"), "trace events_sleep_zero_yields_one_iteration differs from CPython's")
    }
}

/// A counting semaphore for threads (explicit synchronisation in tests). The `sem_t` lives at a fixed
/// address of its own.
final class ThreadSignal: Sendable {
    private nonisolated(unsafe) let semaphore = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)
    init() { sem_init(semaphore, 0, 0) }
    deinit { sem_destroy(semaphore); semaphore.deallocate() }
    func signal() { sem_post(semaphore) }
    func wait() { while sem_wait(semaphore) != 0 {} }
    /// Waits at most `seconds`; returns whether it was signalled.
    func wait(timeout seconds: Int) -> Bool {
        var deadline = timespec()
        clock_gettime(CLOCK_REALTIME, &deadline)
        deadline.tv_sec += seconds
        while sem_timedwait(semaphore, &deadline) != 0 {
            if errno == ETIMEDOUT { return false }
        }
        return true
    }
}
