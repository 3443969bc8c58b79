/// A flag tasks can wait for (asyncio's `Event`): ``wait()`` returns once ``set()`` was called;
/// ``clear()`` resets it.
///
/// Loop-confined: bound to the loop it is first used on (asyncio's `_LoopBoundMixin`), then usable
/// only from that loop's thread; misuse (another thread, another loop) traps naming the call. It may
/// be set or cleared before any loop runs. Hence `@unchecked Sendable`.
public final class Event: @unchecked Sendable, CustomStringConvertible {
    private var flag = false
    private let waiters = WaitList()
    /// Written once (the first use in a loop), read by every entry point; never accessed overlappingly.
    @exclusivity(unchecked) private var binding = LoopBinding()

    /// Creates an event that is not set.
    public init() {}

    /// Whether the event is set (asyncio's `is_set()`).
    public var isSet: Bool {
        binding.check("Event.isSet")
        return flag
    }

    /// Sets the event and wakes every waiting task, in the order they started waiting.
    public func set() {
        binding.check("Event.set")
        setFlag()
    }

    /// Clears the event: later ``wait()`` calls block until ``set()``.
    public func clear() {
        binding.check("Event.clear")
        flag = false
    }

    /// Waits until the event is set (returns at once if it is). Throws ``CancelledError`` on cancellation.
    nonisolated(nonsending) public func wait() async throws {
        let loop = binding.waitingLoop("Event.wait")
        try await wait(on: loop, "Event.wait")
    }

    /// A description for logs and debugging.
    public var description: String {
        binding.check("Event.description")
        return "Event(\(flag ? "set" : "unset"), waiters: \(waiters.count))"
    }

    // For an owner that checks confinement itself (Queue's `join`): the event stays unbound.

    func setFlag() {
        guard !flag else { return }
        flag = true
        waiters.wakeAll()
    }

    func clearFlag() { flag = false }

    nonisolated(nonsending) func wait(on loop: EventLoop, _ what: String) async throws {
        if flag { return }
        try await waiters.wait(on: loop, what)
    }
}
