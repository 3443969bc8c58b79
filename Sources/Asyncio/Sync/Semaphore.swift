/// A counter of permits (asyncio's `Semaphore`): ``acquire()`` takes one, waiting in FIFO order when
/// none is left; ``release()`` gives one back, straight to the longest waiter if there is one.
/// A waiter cancelled just after being handed a permit passes it on. Use ``withPermit(_:)`` in place of
/// `async with semaphore:`.
///
/// Loop-confined: bound to the loop it is first used on (asyncio's `_LoopBoundMixin`), then usable
/// only from that loop's thread; misuse (another thread, another loop) traps naming the call. Hence
/// `@unchecked Sendable`.
public class Semaphore: @unchecked Sendable, CustomStringConvertible {
    private(set) var value: Int
    private let waiters = WaitList()
    /// Written once (the first use in a loop), read by every entry point; never accessed overlappingly.
    @exclusivity(unchecked) final var binding = LoopBinding()
    /// "Semaphore" or "BoundedSemaphore", for confinement messages (built only on the way to a trap).
    final var typeName: String { "\(type(of: self))" }

    /// Creates a semaphore with `value` permits.
    /// - Precondition: `value >= 0` (asyncio raises `ValueError`).
    public init(_ value: Int = 1) {
        precondition(value >= 0, "Semaphore initial value must be >= 0")
        self.value = value
    }

    /// Whether no permit is available (asyncio's `locked()`).
    public var isLocked: Bool {
        binding.check("\(typeName).isLocked")
        return value == 0
    }

    /// Permits available now.
    public var available: Int {
        binding.check("\(typeName).available")
        return value
    }

    /// Takes a permit, waiting (FIFO) while none is available.
    nonisolated(nonsending) public func acquire() async throws {
        let loop = binding.waitingLoop("\(typeName).acquire")
        if value > 0 && waiters.isEmpty {
            value -= 1
            return
        }
        try await waiters.wait(on: loop, "Semaphore.acquire", handOn: { [self] in try? release() })
    }

    /// Gives a permit back: to the longest waiter if any, else to the pool.
    public func release() throws {
        binding.check("\(typeName).release")
        if !waiters.wakeFirst() { value += 1 }
    }

    /// Runs `body` holding a permit, released afterwards, also when `body` throws.
    nonisolated(nonsending) public func withPermit<T>(_ body: () async throws -> T) async throws -> T {
        _ = binding.waitingLoop("\(typeName).withPermit")
        return try await holding(body)
    }

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
