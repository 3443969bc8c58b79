@testable import Asyncio
import Testing

@Suite("Run, stop and close")
struct LoopLifecycleTests {
    @Test func stopBeforeRunMakesTheNextRunDoOneIteration() async throws {
        let events = try await onLoopThread { loop in
            let trace = Trace()
            try loop.callSoon {
                trace("iteration 1")
                try loop.callSoon { trace("iteration 2") }
            }
            loop.stop()
            try loop.runForever()
            trace("returned")
            return trace.events
        }
        #expect(events == ["iteration 1", "returned"])
    }

    @Test func runningARunningLoopThrows() async throws {
        let errors = try await onLoopThread { loop -> [EventLoopError] in
            var errors: [EventLoopError] = []
            try loop.callSoon {
                do { try loop.runForever() } catch let e as EventLoopError { errors.append(e) }
                do { _ = try loop.runUntilComplete { 1 } } catch let e as EventLoopError { errors.append(e) }
                do { try loop.close() } catch let e as EventLoopError { errors.append(e) }
                loop.stop()
            }
            try loop.runForever()
            return errors
        }
        #expect(errors == [.alreadyRunning, .alreadyRunning, .alreadyRunning])
    }

    @Test func aClosedLoopRefusesEverything() async throws {
        let errors = try await onLoopThread { loop -> [EventLoopError] in
            try loop.close()
            try loop.close()  // closing twice is harmless
            var errors: [EventLoopError] = []
            func record(_ body: () throws -> Void) {
                do { try body() } catch let e as EventLoopError { errors.append(e) } catch {}
            }
            record { try loop.callSoon {} }
            record { try loop.callSoonThreadsafe {} }
            record { try loop.callLater(.seconds(1.0)) {} }
            record { try loop.runForever() }
            record { _ = try loop.createTask { 1 } }
            record { _ = try loop.runUntilComplete { 1 } }
            #expect(loop.isClosed)
            return errors
        }
        #expect(errors == Array(repeating: .closed, count: 6))
    }

    @Test func runUntilCompleteReturnsTheResultOrRethrows() async throws {
        let (value, error) = try await onLoopThread(timeSource: .virtual(autoJump: true)) { loop -> (Int, Boom?) in
            let value = try loop.runUntilComplete { () async throws -> Int in
                try await loop.sleep(for: .milliseconds(1))
                return 42
            }
            var caught: Boom?
            do { _ = try loop.runUntilComplete { () async throws -> Int in throw Boom(code: 3) } } catch let e as Boom { caught = e }
            return (value, caught)
        }
        #expect(value == 42)
        #expect(error == Boom(code: 3))
    }

    @Test func stopBeforeCompletionThrows() async throws {
        let error = try await onLoopThread(timeSource: .virtual(autoJump: true)) { loop -> EventLoopError? in
            try loop.callLater(.seconds(0.001)) { loop.stop() }
            do { _ = try loop.runUntilComplete { try await loop.sleep(for: .seconds(10)) } } catch let e as EventLoopError { return e }
            return nil
        }
        #expect(error == .stoppedBeforeComplete)
    }

    @Test func topLevelRunCancelsLeftoverTasksAndCloses() async throws {
        let result = try await onLoopThread { _ -> [String] in
            try run { () async throws -> [String] in
                let loop = try EventLoop.running()
                let trace = Trace()
                try loop.createTask {
                    do { try await loop.sleep(for: .seconds(60)) } catch { trace("leftover saw \(error)") }
                }
                try await loop.sleep(for: .zero)
                return trace.events + ["main done"]
            }
        }
        #expect(result == ["main done"])
    }

    @Test func asyncRunUsesAThreadOfItsOwn() async throws {
        let caller = currentThreadID()
        let (loopThread, value) = try await run { () async throws -> (UInt, Int) in
            try await sleep(for: .milliseconds(1))
            return (currentThreadID(), 7)
        }
        #expect(loopThread != caller)
        #expect(value == 7)
    }

    @Test func asyncRunIsCancelledWithItsCaller() async throws {
        let outer = Task {
            try await run { () async throws -> String in
                try await sleep(for: .seconds(60))
                return "not cancelled"
            }
        }
        outer.cancel()
        await #expect(throws: CancelledError.self) { try await outer.value }
    }

    @Test func currentLoopIsSetOnlyWhileRunning() async throws {
        let inside = try await onLoopThread { loop -> Bool in
            #expect(EventLoop.current == nil)
            let seen = try loop.runUntilComplete { EventLoop.current === loop }
            #expect(EventLoop.current == nil)
            #expect(throws: EventLoopError.noRunningLoop) { try EventLoop.running() }
            return seen
        }
        #expect(inside)
    }
}
