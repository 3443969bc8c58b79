/// A mutual-exclusion lock for tasks on one loop (asyncio's `Lock`).
///
/// FIFO-fair, as asyncio's: `release()` unlocks and wakes the longest waiter, and until that waiter
/// runs and takes the lock, ``isLocked`` is false but a newcomer's `acquire()` still queues behind it
/// (no barging). A waiter cancelled while waiting leaves the queue; one cancelled after it was woken,
/// before it ran, wakes the next waiter instead and throws ``CancelledError``. Use ``withLock(_:)`` in
/// place of `async with lock:`.
///
/// Loop-confined: bound to the loop it is first used on (asyncio's `_LoopBoundMixin`), then usable
/// only from that loop's thread; misuse (another thread, another loop) traps naming the call. Hence
/// `@unchecked Sendable`.
public final class Lock: @unchecked Sendable, CustomStringConvertible {
    private var locked = false
    /// A waiter was woken by `release()` and has not run yet: the lock is promised to it (asyncio's
    /// done future at the head of `_waiters`).
    private var wokenWaiterPending = false
    /// Written once (the first use in a loop), read by every entry point; never accessed overlappingly.
    @exclusivity(unchecked) private var binding = LoopBinding()
    private let waiters = WaitList()

    /// Creates an unlocked lock.
    public init() {}

    /// Whether the lock is held (asyncio's `locked()`): false from `release()` until the woken waiter
    /// runs and takes it.
    public var isLocked: Bool {
        binding.check("Lock.isLocked")
        return locked
    }

    /// Whether a caller of `acquire()` may take the lock without queueing: unlocked, nobody queued
    /// (cancelled waiters do not count) and nobody woken and about to take it.
    private var isFree: Bool { !locked && !wokenWaiterPending && waiters.isEmpty }

    /// Acquires the lock, waiting in FIFO order if it is held or promised to a woken waiter. Throws
    /// ``CancelledError`` if the task is cancelled while waiting (the lock is then not held).
    nonisolated(nonsending) public func acquire() async throws {
        let loop = binding.waitingLoop("Lock.acquire")
        if isFree {
            locked = true
            return
        }
        try await waiters.wait(on: loop, "Lock.acquire", handOn: { [self] in
            // Woken, then cancelled before it ran: the promise goes to the next waiter.
            wokenWaiterPending = false
            if !locked { wakeFirst() }
        })
        wokenWaiterPending = false
        locked = true
    }

    /// Acquires the lock even if the calling task is cancelled (used by ``Condition`` to re-acquire
    /// before it reports a cancellation).
    nonisolated(nonsending) func acquireIgnoringCancellation() async throws {
        let loop = binding.waitingLoop("Lock.acquire")
        if isFree {
            locked = true
            return
        }
        try await loop.suspendIgnoringCancellation("Lock.acquire") { waiter in
            waiters.appendUncancellable(waiter)
        }
        wokenWaiterPending = false
        locked = true
    }

    /// Releases the lock and wakes the longest waiter, if any (asyncio's `release()`).
    /// - Throws: ``LockNotAcquiredError`` if the lock is not held.
    public func release() throws {
        binding.check("Lock.release")
        guard locked else { throw LockNotAcquiredError() }
        locked = false
        if !wokenWaiterPending { wakeFirst() }
    }

    private func wakeFirst() {
        wokenWaiterPending = waiters.wakeFirst()
    }

    /// Runs `body` holding the lock, and releases it afterwards, also when `body` throws
    /// (asyncio's `async with lock:`).
    nonisolated(nonsending) public func withLock<T>(_ body: () async throws -> T) async throws -> T {
        _ = binding.waitingLoop("Lock.withLock")
        return try await holding(body)
    }

    /// A description for logs and debugging.
    public var description: String {
        binding.check("Lock.description")
        return "Lock(\(locked ? "locked" : "unlocked"), waiters: \(waiters.count))"
    }
}
