/// A counter of permits (asyncio's `Semaphore`): ``acquire()`` takes one, waiting in FIFO order when
/// none is left; ``release()`` gives one back and promises it to the longest waiter, if any.
///
/// As asyncio's: a waiter woken by `release()` keeps its turn until it runs — ``isLocked`` stays true
/// and a newcomer queues behind it even if more permits came back meanwhile — and when it runs it
/// wakes the next waiters while permits are left. A waiter cancelled after it was woken gives its
/// permit back (to the next waiter). Use ``withPermit(_:)`` in place of `async with semaphore:`.
/// Loop-confined: bound to the loop it is first used on (asyncio's `_LoopBoundMixin`), then usable
/// only from that loop's thread; misuse (another thread, another loop) traps naming the call. Hence
/// `@unchecked Sendable`.
public class Semaphore: @unchecked Sendable, CustomStringConvertible {
    /// Permits neither held nor promised to a woken waiter (asyncio's `_value`).
    private(set) var value: Int
    /// Waiters woken by `release()` that have not run yet, each with a permit promised.
    private var wokenWaiters = 0
    /// Written once (the first use in a loop), read by every entry point; never accessed overlappingly.
    @exclusivity(unchecked) final var binding = LoopBinding()
    /// "Semaphore" or "BoundedSemaphore", for confinement messages (built only on the way to a trap).
    final var typeName: String { "\(type(of: self))" }
    private let waiters = WaitList()

    /// Creates a semaphore with `value` permits.
    /// - Precondition: `value >= 0` (asyncio raises `ValueError`).
    public init(_ value: Int = 1) {
        precondition(value >= 0, "Semaphore initial value must be >= 0")
        self.value = value
    }

    /// Whether `acquire()` would wait (asyncio's `locked()`): no permit left, or tasks waiting or woken
    /// and not yet run ahead of the caller.
    public var isLocked: Bool {
        binding.check("\(typeName).isLocked")
        return isBusy
    }

    private var isBusy: Bool { value == 0 || wokenWaiters > 0 || !waiters.isEmpty }

    /// Permits available now (not held, not promised to a woken waiter).
    public var available: Int {
        binding.check("\(typeName).available")
        return value
    }

    /// Takes a permit, waiting (FIFO) while none is available or others are ahead.
    nonisolated(nonsending) public func acquire() async throws {
        let loop = binding.waitingLoop("\(typeName).acquire")
        if !isBusy {
            value -= 1
            return
        }
        do {
            try await waiters.wait(on: loop, "Semaphore.acquire", handOn: { [self] in
                // Woken, then cancelled before it ran: the promised permit goes back.
                wokenWaiters -= 1
                value += 1
            })
        } catch {
            wakeWhilePermitsAreLeft()
            throw error
        }
        wokenWaiters -= 1
        wakeWhilePermitsAreLeft()  // asyncio: waiters that queued behind this one because of FIFO
    }

    /// Gives a permit back and promises it to the longest waiter, if any.
    public func release() throws {
        binding.check("\(typeName).release")
        value += 1
        wakeNext()
    }

    /// Promises a permit to the longest waiter; false if none waits.
    @discardableResult
    private func wakeNext() -> Bool {
        guard waiters.wakeFirst() else { return false }
        value -= 1
        wokenWaiters += 1
        return true
    }

    private func wakeWhilePermitsAreLeft() {
        while value > 0 && wakeNext() {}
    }

    /// Runs `body` holding a permit, released afterwards, also when `body` throws.
    nonisolated(nonsending) public func withPermit<T>(_ body: () async throws -> T) async throws -> T {
        _ = binding.waitingLoop("\(typeName).withPermit")
        return try await holding(body)
    }

    /// A description for logs and debugging.
    public var description: String {
        binding.check("\(typeName).description")
        return "\(typeName)(value: \(value), waiters: \(waiters.count))"
    }
}

/// A ``Semaphore`` that refuses to be released above its initial value (asyncio's `BoundedSemaphore`).
public final class BoundedSemaphore: Semaphore, @unchecked Sendable {
    private let bound: Int

    /// Creates a bounded semaphore with `value` permits, which is also its maximum.
    public override init(_ value: Int = 1) {
        bound = value
        super.init(value)
    }

    /// Gives a permit back.
    /// - Throws: ``SemaphoreReleasedTooManyTimesError`` if every permit is already back.
    public override func release() throws {
        binding.check("BoundedSemaphore.release")
        if value >= bound { throw SemaphoreReleasedTooManyTimesError() }
        try super.release()
    }
}
