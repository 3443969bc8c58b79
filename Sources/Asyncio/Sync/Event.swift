/// A flag tasks can wait for (asyncio's `Event`): ``wait()`` returns once ``set()`` was called;
/// ``clear()`` resets it. Loop-confined, hence `@unchecked Sendable`.
public final class Event: @unchecked Sendable, CustomStringConvertible {
    private var flag = false
    private let waiters = WaitList()

    /// Creates an event that is not set.
    public init() {}

    /// Whether the event is set (asyncio's `is_set()`).
    public var isSet: Bool { flag }

    /// Sets the event and wakes every waiting task, in the order they started waiting.
    public func set() {
        guard !flag else { return }
        flag = true
        waiters.wakeAll()
    }

    /// Clears the event: later ``wait()`` calls block until ``set()``.
    public func clear() { flag = false }

    /// Waits until the event is set (returns at once if it is). Throws ``CancelledError`` on cancellation.
    nonisolated(nonsending) public func wait() async throws {
        if flag { return }
        try await waiters.wait(on: runningLoop("Event.wait"), "Event.wait")
    }

    public var description: String { "Event(\(flag ? "set" : "unset"), waiters: \(waiters.count))" }
}
