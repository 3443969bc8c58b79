import Asyncio

extension Tour {
    /// Event: one task signals, all waiters go.
    static let event = Example(name: "event", title: "Asynchronous event") { out in
        let event = Event()

        @Sendable func waiter(_ name: String) async throws {
            out("\(name) waiting for event...")
            try await event.wait()
            out("\(name) received event, starting execution")
        }

        _ = try await gather(
            { try await waiter("Task 1") },
            { try await waiter("Task 2") },
            { try await waiter("Task 3") },
            {
                try await sleep(for: .seconds(2))
                out("Triggering event")
                event.set()
            })
    }
}
