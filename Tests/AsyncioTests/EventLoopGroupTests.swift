@testable import Asyncio
import Synchronization
import Testing

@Suite("EventLoopGroup")
struct EventLoopGroupTests {
    @Test func nextHandsOutEveryLoopRoundRobinAndEachRunsOnAThreadOfItsOwn() async throws {
        let group = try EventLoopGroup(loops: 3)
        let picked = (0..<6).map { _ in ObjectIdentifier(group.next()) }
        #expect(picked[0..<3] == picked[3..<6])
        #expect(Set(picked).count == 3)
        var threads: Set<UInt> = []
        for _ in 0..<3 {
            let future = try group.submit { () async throws -> UInt in
                let loop = try EventLoop.running()
                #expect(loop.isOnLoopThread)
                try await loop.sleep(for: .zero)
                return currentThreadID()
            }
            threads.insert(try await future.value)
        }
        #expect(threads.count == 3)
        await group.shutdown(gracePeriod: .seconds(1))
        #expect(group.loops.allSatisfy { $0.isClosed })
    }

    @Test func shutdownRunsEachLoopsGracefulWorkThenCancelsWhatIsLeftAndJoins() async throws {
        let group = try EventLoopGroup(loops: 2)
        let events = Events()
        final class Participant: GracefulShutdown, @unchecked Sendable {
            let name: String
            let events: @Sendable (String) -> Void
            init(name: String, events: @escaping @Sendable (String) -> Void) { self.name = name; self.events = events }
            func shutdown(gracePeriod: Duration) async { events("\(name) shut down within \(gracePeriod)") }
        }
        for (index, loop) in group.loops.enumerated() {
            let registered = try loop.runCoroutineThreadsafe { () async throws -> Void in
                loop.registerForGracefulShutdown(Participant(name: "loop \(index)") { e in events.append(e) })
                // A task that would run forever: cancelled at shutdown, its clean-up runs.
                try loop.createTask {
                    do { try await Future<Void>(loop: loop).value } catch is CancelledError {
                        events.append("task on loop \(index) cancelled")
                    }
                }
            }
            try await registered.value
        }
        await group.shutdown(gracePeriod: .seconds(2))
        let seen = events.all.sorted()
        #expect(seen == [
            "loop 0 shut down within 2.0 seconds", "loop 1 shut down within 2.0 seconds",
            "task on loop 0 cancelled", "task on loop 1 cancelled",
        ])
        #expect(throws: EventLoopError.closed) { try group.submit { 1 } }
    }

    @Test func aShutdownRequestedFromInsideALoopEndsTheGroup() async throws {
        let group = try EventLoopGroup(loops: 2)
        try group.submit { group.requestShutdown(gracePeriod: .zero) }
        await group.waitUntilShutDown()
        #expect(group.isShuttingDown)
        #expect(group.loops.allSatisfy { $0.isClosed })
    }
}

/// A thread-safe list of events.
final class Events: Sendable {
    private let list = Mutex<[String]>([])
    func append(_ event: String) { list.withLock { $0.append(event) } }
    var all: [String] { list.withLock { $0 } }
}
