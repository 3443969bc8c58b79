@testable import Asyncio
import Dispatch
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Issue 19, "fairness under load": a flood from other threads arrives in bounded batches, in the
/// established asyncio order, timers keep their turn, and a bounded inbox pushes back on producers.
/// Everything here is synchronised explicitly (semaphores, the loop's own state) and counts loop
/// iterations; nothing depends on how long anything takes.
@Suite("Inbox fairness and back-pressure")
struct InboxFairnessTests {
    /// Sends `count` thread-safe callbacks from another thread and returns once all were sent: each
    /// records its number and the loop iteration it ran in.
    private static func flood(_ loop: EventLoop, _ range: Range<Int>, into trace: Ledger) {
        let sent = DispatchSemaphore(value: 0)
        spawnThread(name: "flood") {
            for i in range {
                _ = try? loop.callSoonThreadsafe { trace.record("t\(i)", iteration: loop.iterationCount) }
            }
            sent.signal()
        }
        sent.wait()
    }

    @Test func aFloodArrivesInBoundedBatchesInFIFOOrder() async throws {
        let (events, perIteration) = try await onLoopThread(timeSource: .virtual(autoJump: true)) { loop in
            let ledger = Ledger()
            let total = 5_000
            Self.flood(loop, 0..<total, into: ledger)
            try loop.callSoonThreadsafeOnOtherThread { loop.stop() }
            try loop.runForever()
            return (ledger.events, ledger.countsPerIteration)
        }
        // Nothing lost, nothing duplicated, in submission order...
        #expect(events == (0..<5_000).map { "t\($0)" })
        // ...and at most `inboxAdmissionLimit` arrivals per iteration (the stop callback is the 5001st).
        let limit = EventLoop.defaultInboxAdmissionLimit
        #expect(perIteration == [limit, limit, limit, limit, 5_000 - 4 * limit])
    }

    @Test func aTimerDueDuringAFloodFiresInTheNextIteration() async throws {
        let outcome = try await onLoopThread(timeSource: .virtual(autoJump: true)) { loop in
            let ledger = Ledger()
            Self.flood(loop, 0..<10_000, into: ledger)
            // Due at once, scheduled before the loop runs: fires in the first iteration, after that
            // iteration's batch of arrivals (asyncio: what arrived is ready before timers fall due).
            try loop.callLater(.zero) { ledger.record("timer 1", iteration: loop.iterationCount) }
            // Scheduled by a callback of the flood: due at the next iteration, which must come after one
            // more bounded batch, not after the 8,000 callbacks still queued.
            try loop.callSoonThreadsafeOnOtherThread {
                try loop.callLater(.zero) { ledger.record("timer 2", iteration: loop.iterationCount) }
                ledger.record("timer 2 scheduled", iteration: loop.iterationCount)
            }
            Self.flood(loop, 10_000..<20_000, into: ledger)
            try loop.callSoonThreadsafeOnOtherThread { loop.stop() }
            try loop.runForever()
            return ledger
        }
        let limit = EventLoop.defaultInboxAdmissionLimit
        let timer1 = try #require(outcome.entry("timer 1"))
        let timer2 = try #require(outcome.entry("timer 2"))
        let scheduled = try #require(outcome.entry("timer 2 scheduled"))
        // Timer 1: in the first iteration, right after its batch.
        #expect(timer1.iteration == 1)
        #expect(outcome.events(inIteration: 1) == (0..<limit).map { "t\($0)" } + ["timer 1"])
        // Timer 2: in the iteration after the one that scheduled it, after at most one batch.
        #expect(timer2.iteration == scheduled.iteration + 1)
        let timer2Iteration = outcome.events(inIteration: timer2.iteration)
        #expect(timer2Iteration.last == "timer 2")
        #expect(timer2Iteration.count <= limit + 1)
        #expect(outcome.events.count == 20_000 + 3)  // and the whole flood arrived
        #expect(outcome.events.filter(isFloodEvent) == (0..<20_000).map { "t\($0)" })
    }

    @Test func whatTheLoopSchedulesDuringAFloodQueuesBehindWhatArrivedBeforeIt() async throws {
        let outcome = try await onLoopThread(timeSource: .virtual(autoJump: true)) { loop in
            let ledger = Ledger()
            // Every submission below happens before the next one (the flood threads are waited for), so
            // asyncio's FIFO is this exact order, however many iterations it takes to drain.
            Self.flood(loop, 0..<2_000, into: ledger)
            try loop.callSoon {
                ledger.record("local 1", iteration: loop.iterationCount)
            }
            Self.flood(loop, 2_000..<3_000, into: ledger)
            try loop.callSoonThreadsafe { ledger.record("threadsafe on the loop thread", iteration: loop.iterationCount) }
            _ = try loop.createTask { ledger.record("task's first step", iteration: loop.iterationCount) }
            Self.flood(loop, 3_000..<4_000, into: ledger)
            try loop.callSoon {
                ledger.record("local 2", iteration: loop.iterationCount)
                loop.stop()
            }
            try loop.runForever()
            return ledger
        }
        let expected = (0..<2_000).map { "t\($0)" } + ["local 1"] + (2_000..<3_000).map { "t\($0)" }
            + ["threadsafe on the loop thread", "task's first step"] + (3_000..<4_000).map { "t\($0)" } + ["local 2"]
        #expect(outcome.events == expected)
        #expect(outcome.countsPerIteration.allSatisfy { $0 <= EventLoop.defaultInboxAdmissionLimit })
    }

    @Test func callbacksScheduledDuringAnIterationOfAFloodRunInALaterOne() async throws {
        let outcome = try await onLoopThread(timeSource: .virtual(autoJump: true)) { loop in
            let ledger = Ledger()
            let sent = DispatchSemaphore(value: 0)
            spawnThread(name: "flood") {
                for i in 0..<3_000 {
                    _ = try? loop.callSoonThreadsafe {
                        ledger.record("t\(i)", iteration: loop.iterationCount)
                        if i % 500 == 0 {
                            try loop.callSoon { ledger.record("after t\(i)", iteration: loop.iterationCount) }
                        }
                        if i == 2_999 { try loop.callSoon { loop.stop() } }  // behind the callbacks above
                    }
                }
                sent.signal()
            }
            sent.wait()
            try loop.runForever()
            return ledger
        }
        for i in stride(from: 0, to: 3_000, by: 500) {
            let parent = try #require(outcome.entry("t\(i)"))
            let child = try #require(outcome.entry("after t\(i)"))
            #expect(child.iteration > parent.iteration)
            // Queued behind everything already submitted: the whole flood.
            #expect(child.position > outcome.entry("t2999")!.position)
        }
        #expect(outcome.events.filter(isFloodEvent) == (0..<3_000).map { "t\($0)" })
    }

    /// A loop created on one thread and run on another: the creating thread stays its owner until the
    /// other one runs it, but must still submit through the inbox, or an append racing with the runner's
    /// first poll is never seen (`EventLoopGroup.submit` right after `init` hung that way).
    @Test(.timeLimit(.minutes(1)))
    func aSubmissionRacingWithTheLoopsFirstRunOnAnotherThreadIsNeverLost() async throws {
        try await onLoopThread { _ in
            for _ in 0..<200 {
                let loop = try EventLoop()
                let finished = DispatchSemaphore(value: 0)
                spawnThread(name: "runner") {
                    try? loop.runForever()
                    finished.signal()
                }
                try loop.callSoonThreadsafe { loop.stop() }  // from the creating thread, while it starts
                finished.wait()
                try loop.close()
            }
        }
    }

    // MARK: - Back-pressure

    @Test func aFullInboxBlocksAProducerThreadAndReleasesItAsTheLoopDrains() async throws {
        let (events, accepted) = try await onLoopThread(timeSource: .virtual(autoJump: true), inboxCapacity: 4) { loop in
            let ledger = Ledger()
            let accepted = Atomic<Int>(0)
            let finished = DispatchSemaphore(value: 0)
            spawnThread(name: "producer") {
                for i in 0..<10 {
                    do {
                        try loop.callSoonThreadsafeWaitingForRoom {
                            ledger.record("cb\(i)", iteration: loop.iterationCount)
                            #expect(loop.inbox.pendingArrivals <= 4)
                        }
                        accepted.add(1, ordering: .relaxed)
                    } catch {
                        Issue.record("unexpected \(error)")
                    }
                }
                finished.signal()
            }
            // The loop is not running: four callbacks fill the inbox and the fifth call blocks.
            try waitUntil { loop.inbox.parkedProducers == 1 }
            let acceptedWhileFull = accepted.load(ordering: .relaxed)
            try loop.callSoon {}  // the loop thread never waits, even when the inbox is full
            // Run until the tenth callback: each iteration makes room, the producer goes on.
            try loop.runUntilComplete {
                while ledger.events.count < 10 { try await loop.sleep(for: .zero) }
            }
            finished.wait()
            return (ledger.events, acceptedWhileFull)
        }
        #expect(accepted == 4)
        #expect(events == (0..<10).map { "cb\($0)" })
    }

    @Test func aFullInboxMakesCallSoonThreadsafeThrowInboxFull() async throws {
        let results = try await onLoopThread(inboxCapacity: 2) { loop in
            let ledger = Ledger()
            let results = OutcomeList()
            let done = DispatchSemaphore(value: 0)
            spawnThread(name: "producer") {
                for i in 0..<3 {
                    results.append(Result { try loop.callSoonThreadsafe { ledger.record("cb\(i)", iteration: 0) } }.map { _ in "ok" })
                }
                done.signal()
            }
            done.wait()
            // The loop's own thread is never refused, even before it runs the loop.
            try loop.callSoonThreadsafe { ledger.record("from the loop's thread", iteration: 0) }
            try loop.callSoon { loop.stop() }
            try loop.runForever()
            // Room again: the two that were accepted arrived.
            spawnThread(name: "producer") {
                results.append(Result { try loop.callSoonThreadsafe { loop.stop() } }.map { _ in "ok" })
                done.signal()
            }
            done.wait()
            try loop.runForever()
            #expect(ledger.events == ["cb0", "cb1", "from the loop's thread"])
            return results.descriptions
        }
        #expect(results == ["ok", "ok", "error: The event loop's inbox is full", "ok"])
    }

    @Test func aFullInboxSuspendsAnAsyncProducerAndResumesItAsTheLoopDrains() async throws {
        let loopReady = AsyncSignal<EventLoop>()
        let proceed = DispatchSemaphore(value: 0)
        let ran = Ledger()
        let loopRun = Task {
            try await onLoopThread(timeSource: .virtual(autoJump: true), inboxCapacity: 3) { loop in
                loopReady.send(loop)
                proceed.wait()  // the producer is suspended: now run the loop
                try loop.runUntilComplete {
                    while ran.events.count < 8 { try await loop.sleep(for: .zero) }
                }
            }
        }
        let loop = await loopReady.value
        let producer = Task {
            var accepted: [Int] = []
            for i in 0..<8 {
                try await loop.callSoonThreadsafeWaitingForRoom { ran.record("cb\(i)", iteration: 0) }
                accepted.append(i)
            }
            return accepted
        }
        try await waitUntil { loop.inbox.parkedProducers == 1 }
        proceed.signal()
        try await loopRun.value
        #expect(try await producer.value == Array(0..<8))
        #expect(ran.events == (0..<8).map { "cb\($0)" })
    }

    @Test func aCancelledAsyncProducerWithdrawsItsCallbackAndTheNextOneGoesOn() async throws {
        let loopReady = AsyncSignal<EventLoop>()
        let proceed = DispatchSemaphore(value: 0)
        let ran = Ledger()
        let loopRun = Task {
            try await onLoopThread(timeSource: .virtual(autoJump: true), inboxCapacity: 1) { loop in
                loopReady.send(loop)
                proceed.wait()
                try loop.runUntilComplete {
                    while ran.events.count < 2 { try await loop.sleep(for: .zero) }
                }
            }
        }
        let loop = await loopReady.value
        try await loop.callSoonThreadsafeWaitingForRoom { ran.record("first", iteration: 0) }  // fills it
        let cancelled = Task { try await loop.callSoonThreadsafeWaitingForRoom { ran.record("cancelled", iteration: 0) } }
        try await waitUntil { loop.inbox.parkedProducers == 1 }
        let next = Task { try await loop.callSoonThreadsafeWaitingForRoom { ran.record("next", iteration: 0) } }
        try await waitUntil { loop.inbox.parkedProducers == 2 }
        cancelled.cancel()
        await #expect(throws: CancelledError.self) { try await cancelled.value }
        #expect(loop.inbox.parkedProducers == 1)
        proceed.signal()
        try await loopRun.value
        _ = try await next.value
        #expect(ran.events == ["first", "next"])
    }

    @Test func closingTheLoopReleasesBlockedProducersWithClosed() async throws {
        let outcome = try await onLoopThread(inboxCapacity: 1) { loop in
            let results = OutcomeList()
            let ran = Ledger()
            let done = DispatchSemaphore(value: 0)
            try loop.callSoonThreadsafeOnOtherThread { ran.record("fills the inbox", iteration: 0) }
            spawnThread(name: "blocked producer") {
                results.append(Result { try loop.callSoonThreadsafeWaitingForRoom { ran.record("never", iteration: 0) } }.map { _ in "ok" })
                done.signal()
            }
            let asyncProducer = Task {
                do {
                    try await loop.callSoonThreadsafeWaitingForRoom { ran.record("never either", iteration: 0) }
                    return "ok"
                } catch {
                    return "error: \(error)"
                }
            }
            try waitUntil { loop.inbox.parkedProducers == 2 }
            try loop.close()
            done.wait()
            let asyncResult = DispatchSemaphore(value: 0)
            let asyncOutcome = OutcomeList()
            Task { asyncOutcome.append(.success(await asyncProducer.value)); asyncResult.signal() }
            asyncResult.wait()
            // After close, waiting producers fail at once too.
            results.append(Result { try loop.callSoonThreadsafeWaitingForRoom {} }.map { _ in "ok" })
            return (results.descriptions, asyncOutcome.descriptions, ran.events)
        }
        #expect(outcome.0 == ["error: Event loop is closed", "error: Event loop is closed"])
        #expect(outcome.1 == ["error: Event loop is closed"])
        #expect(outcome.2.isEmpty)
    }

    @Test func manyProducersThroughASmallBoundLoseAndDuplicateNothing() async throws {
        let perThread = try await onLoopThread(inboxCapacity: 64) { loop in
            loop.inboxAdmissionLimit = 16  // many partial batches
            let threads = 8, each = 5_000
            let seen = Box([[Int]](repeating: [], count: threads))
            let remaining = Box(threads * each)
            try loop.callSoon {
                for t in 0..<threads {
                    spawnThread(name: "producer \(t)") {
                        for i in 0..<each {
                            try! loop.callSoonThreadsafeWaitingForRoom {
                                seen.value[t].append(i)
                                remaining.value -= 1
                                #expect(loop.inbox.pendingArrivals <= 64)
                                if remaining.value == 0 { loop.stop() }
                            }
                        }
                    }
                }
            }
            try loop.runForever()
            return seen.value
        }
        // Per producer: every callback exactly once, in the order it was sent.
        for sequence in perThread { #expect(sequence == Array(0..<5_000)) }
    }

    @Test func theLoopsOwnTrafficIsNeverRefusedByAFullInbox() async throws {
        let value = try await onLoopThread(inboxCapacity: 1) { loop in
            let done = DispatchSemaphore(value: 0)
            try loop.callSoonThreadsafeOnOtherThread {}  // full
            // A stop() and an executor's result from other threads still get in.
            spawnThread(name: "stopper") {
                #expect((try? loop.callSoonThreadsafe {}) == nil)  // refused: full
                loop.stop()
                done.signal()
            }
            done.wait()
            try loop.runForever()  // returns: the stop arrived
            return try loop.runUntilComplete {
                try await loop.runInExecutor {
                    // Fill the inbox from the worker before the result comes back through it.
                    _ = try? loop.callSoonThreadsafe {}
                    return 42
                }
            }
        }
        #expect(value == 42)
    }
}

/// Whether `event` is one of the flood's callbacks ("t123").
private func isFloodEvent(_ event: String) -> Bool { event.first == "t" && Int(event.dropFirst()) != nil }

/// What ran, in order, with the loop iteration of each (loop thread only).
private final class Ledger: @unchecked Sendable {
    private(set) var events: [String] = []
    private var iterations: [UInt64] = []

    func record(_ event: String, iteration: UInt64) {
        events.append(event)
        iterations.append(iteration)
    }

    /// How many recorded events ran in each iteration that ran any, in order.
    var countsPerIteration: [Int] {
        var counts: [Int] = []
        var last: UInt64?
        for iteration in iterations {
            if iteration == last { counts[counts.count - 1] += 1 } else { counts.append(1); last = iteration }
        }
        return counts
    }

    func events(inIteration iteration: UInt64) -> [String] {
        zip(events, iterations).filter { $0.1 == iteration }.map(\.0)
    }

    func entry(_ event: String) -> (position: Int, iteration: UInt64)? {
        events.firstIndex(of: event).map { ($0, iterations[$0]) }
    }
}

/// Outcomes collected from several threads.
private final class OutcomeList: Sendable {
    private let items = Mutex<[Result<String, any Error>]>([])
    func append(_ result: Result<String, any Error>) { items.withLock { $0.append(result) } }
    var descriptions: [String] {
        items.withLock { list in
            list.map { result in
                switch result {
                case .success(let value): return value
                case .failure(let error): return "error: \(error)"
                }
            }
        }
    }
}

/// Hands one value from a loop thread to the test's async code.
private final class AsyncSignal<Value: Sendable>: Sendable {
    private let state = Mutex<(value: Value?, waiter: CheckedContinuation<Value, Never>?)>((nil, nil))
    func send(_ value: Value) {
        let waiter = state.withLock { s -> CheckedContinuation<Value, Never>? in
            s.value = value
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume(returning: value)
    }
    var value: Value {
        get async {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { s -> Value? in
                    if let value = s.value { return value }
                    s.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        }
    }
}

/// `waitUntil` for async code: yields to other tasks instead of holding a pool thread.
private func waitUntil(_ condition: () -> Bool, sourceLocation: SourceLocation = #_sourceLocation) async throws {
    let start = ContinuousClock.now
    while !condition() {
        if ContinuousClock.now - start > .seconds(60) {
            Issue.record("the awaited state never came", sourceLocation: sourceLocation)
            throw Boom(code: 60)
        }
        await Task.yield()
    }
}

/// Waits, on a thread of its own (never a pool thread), for a state another thread reaches (a
/// producer parking): explicit synchronisation on the loop's own state, yielding the CPU meanwhile.
/// Fails after 60 s instead of hanging the suite.
private func waitUntil(_ condition: () -> Bool, sourceLocation: SourceLocation = #_sourceLocation) throws {
    var start = timespec()
    clock_gettime(CLOCK_MONOTONIC, &start)
    while !condition() {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        if now.tv_sec - start.tv_sec > 60 {
            Issue.record("the awaited state never came", sourceLocation: sourceLocation)
            throw Boom(code: 60)
        }
        sched_yield()
    }
}

extension EventLoop {
    /// `callSoonThreadsafe` from a thread other than the loop's, returning once it was sent (from the
    /// loop's thread it would join the ready FIFO directly, not through the inbox).
    fileprivate func callSoonThreadsafeOnOtherThread(_ callback: @escaping @Sendable () throws -> Void) throws {
        let sent = DispatchSemaphore(value: 0)
        let failure = Mutex<(any Error)?>(nil)
        spawnThread(name: "submitter") {
            do { try self.callSoonThreadsafe(callback) } catch { failure.withLock { $0 = error } }
            sent.signal()
        }
        sent.wait()
        if let error = failure.withLock({ $0 }) { throw error }
    }
}
