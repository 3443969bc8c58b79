/// A mutual-exclusion lock for tasks on one loop (asyncio's `Lock`).
///
/// FIFO-fair: `release()` hands the lock straight to the longest waiter, so a newcomer never barges
/// ahead. A waiter cancelled while waiting leaves the queue; one cancelled just after being handed the
/// lock passes it on and throws ``CancelledError``. Use ``withLock(_:)`` in place of `async with lock:`.
///
/// Loop-confined: bound to the loop it is first used on (asyncio's `_LoopBoundMixin`), then usable
/// only from that loop's thread; misuse (another thread, another loop) traps naming the call. Hence
/// `@unchecked Sendable`.
public final class Lock: @unchecked Sendable, CustomStringConvertible {
    private var locked = false
    private let waiters = WaitList()
    /// Written once (the first use in a loop), read by every entry point; never accessed overlappingly.
    @exclusivity(unchecked) private var binding = LoopBinding()

    /// Creates an unlocked lock.
    public init() {}

    /// Whether the lock is held (asyncio's `locked()`).
    public var isLocked: Bool {
        binding.check("Lock.isLocked")
        return locked
    }

    /// Acquires the lock, waiting in FIFO order if it is held. Throws ``CancelledError`` if the task is
    /// cancelled while waiting (the lock is then not held).
    nonisolated(nonsending) public func acquire() async throws {
        let loop = binding.waitingLoop("Lock.acquire")
        if !locked {
            locked = true
            return
        }
        try await waiters.wait(on: loop, "Lock.acquire", handOn: { [self] in try? release() })
    }

    /// Acquires the lock even if the calling task is cancelled (used by ``Condition`` to re-acquire
    /// before it reports a cancellation).
    nonisolated(nonsending) func acquireIgnoringCancellation() async throws {
        let loop = binding.waitingLoop("Lock.acquire")
        if !locked {
            locked = true
            return
        }
        try await loop.suspendIgnoringCancellation("Lock.acquire") { waiter in
            waiters.appendUncancellable(waiter)
        }
    }

    /// Releases the lock, handing it to the longest waiter if there is one.
    /// - Throws: ``LockNotAcquiredError`` if the lock is not held.
    public func release() throws {
        binding.check("Lock.release")
        guard locked else { throw LockNotAcquiredError() }
        if !waiters.wakeFirst() { locked = false }  // else ownership passes to the woken waiter
    }

    /// Runs `body` holding the lock, and releases it afterwards, also when `body` throws
    /// (asyncio's `async with lock:`).
    nonisolated(nonsending) public func withLock<T>(_ body: () async throws -> T) async throws -> T {
        _ = binding.waitingLoop("Lock.withLock")
        return try await holding(body)
    }

    public var description: String {
        binding.check("Lock.description")
        return "Lock(\(locked ? "locked" : "unlocked"), waiters: \(waiters.count))"
    }
}
