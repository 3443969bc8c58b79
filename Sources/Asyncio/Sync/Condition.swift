/// A condition variable (asyncio's `Condition`): tasks holding its lock wait to be notified.
///
/// ``wait()`` releases the lock, waits for ``notify(_:)`` / ``notifyAll()``, and re-acquires the lock
/// before returning — also when the waiting task is cancelled: the lock is re-acquired first, then
/// ``CancelledError`` is thrown. Use ``withLock(_:)`` in place of `async with condition:`.
///
/// Loop-confined: bound to the loop it is first used on (asyncio's `_LoopBoundMixin`), then usable
/// only from that loop's thread; misuse (another thread, another loop) traps naming the call. Its lock
/// binds the same way. Hence `@unchecked Sendable`.
public final class Condition: @unchecked Sendable {
    /// The underlying lock (shared if one was given).
    public let lock: Lock
    private let waiters = WaitList()
    /// Written once (the first use in a loop), read by every entry point; never accessed overlappingly.
    @exclusivity(unchecked) private var binding = LoopBinding()

    /// Creates a condition over `lock`, or over a new lock.
    public init(lock: Lock = Lock()) { self.lock = lock }

    /// Whether the underlying lock is held.
    public var isLocked: Bool {
        binding.check("Condition.isLocked")
        return lock.isLocked
    }

    /// Acquires the underlying lock.
    nonisolated(nonsending) public func acquire() async throws {
        _ = binding.waitingLoop("Condition.acquire")
        try await lock.acquire()
    }

    /// Releases the underlying lock.
    public func release() throws {
        binding.check("Condition.release")
        try lock.release()
    }

    /// Runs `body` holding the lock (asyncio's `async with condition:`).
    nonisolated(nonsending) public func withLock<T>(_ body: () async throws -> T) async throws -> T {
        _ = binding.waitingLoop("Condition.withLock")
        return try await lock.withLock(body)
    }

    /// Releases the lock, waits to be notified, and re-acquires the lock.
    /// - Throws: ``LockNotAcquiredError`` if the lock is not held; ``CancelledError`` (with the lock
    ///   held again) if the task is cancelled.
    nonisolated(nonsending) public func wait() async throws {
        let loop = binding.waitingLoop("Condition.wait")
        guard lock.isLocked else { throw LockNotAcquiredError() }
        try lock.release()
        var failure: (any Error)?
        do {
            // A notification consumed by a task cancelled before it ran goes to the next waiter.
            try await waiters.wait(on: loop, "Condition.wait", handOn: { [self] in _ = waiters.wakeFirst() })
        } catch {
            failure = error
        }
        try await lock.acquireIgnoringCancellation()
        if let failure { throw failure }
    }

    /// Waits until `predicate` is true (checked with the lock held), and returns its last value.
    nonisolated(nonsending) public func waitFor(_ predicate: () -> Bool) async throws -> Bool {
        _ = binding.waitingLoop("Condition.waitFor")
        var result = predicate()
        while !result {
            try await wait()
            result = predicate()
        }
        return result
    }

    /// Wakes up to `n` waiting tasks (FIFO).
    /// - Throws: ``LockNotAcquiredError`` if the lock is not held.
    public func notify(_ n: Int = 1) throws {
        binding.check("Condition.notify")
        guard lock.isLocked else { throw LockNotAcquiredError() }
        var woken = 0
        while woken < n, waiters.wakeFirst() { woken += 1 }
    }

    /// Wakes every waiting task.
    /// - Throws: ``LockNotAcquiredError`` if the lock is not held.
    public func notifyAll() throws {
        binding.check("Condition.notifyAll")
        guard lock.isLocked else { throw LockNotAcquiredError() }
        waiters.wakeAll()
    }
}
