import Asyncio
import AsyncioServiceLifecycle
import Logging
import ServiceLifecycle
import Synchronization
import Testing

@Suite("EventLoopGroupService")
struct EventLoopGroupServiceTests {
    @Test func aServiceGroupsGracefulShutdownShutsTheLoopsDownAfterTheirTasksCleanUp() async throws {
        let group = try EventLoopGroup(loops: 2)
        let cleanedUp = CleanUps()
        for loop in group.loops {
            // A task per loop that runs until cancelled, and cleans up then.
            let started = try loop.runCoroutineThreadsafe { () async throws -> Void in
                try loop.createTask {
                    do { try await Future<Void>(loop: loop).value } catch is CancelledError {
                        cleanedUp.count()
                    }
                }
            }
            try await started.value
        }
        let services = ServiceGroup(
            services: [EventLoopGroupService(group, gracePeriod: .seconds(1))],
            gracefulShutdownSignals: [], logger: Logger(label: "test"))
        let running = Task { try await services.run() }
        await services.triggerGracefulShutdown()
        try await running.value
        #expect(group.isShuttingDown)
        #expect(group.loops.allSatisfy { $0.isClosed })
        #expect(cleanedUp.total == 2)
    }

    @Test func cancellingTheServiceShutsTheGroupDown() async throws {
        let group = try EventLoopGroup(loops: 1)
        let service = EventLoopGroupService(group)
        let running = Task { try await service.run() }
        running.cancel()
        try await running.value
        #expect(group.loops.allSatisfy { $0.isClosed })
    }
}

final class CleanUps: Sendable {
    private let value = Atomic<Int>(0)
    func count() { value.add(1, ordering: .relaxed) }
    var total: Int { value.load(ordering: .relaxed) }
}
