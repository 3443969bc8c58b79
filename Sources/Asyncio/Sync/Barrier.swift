/// A barrier for a fixed number of tasks (asyncio's `Barrier`): each ``wait()`` blocks until
/// `parties` tasks are waiting, then all continue; the barrier then resets for the next round.
///
/// ``abort()`` breaks it (waiting and later tasks throw ``BrokenBarrierError``); ``reset()`` makes
/// current waiters throw ``BrokenBarrierError`` and returns it to empty. A waiter cancelled before the
/// round completes leaves it (the count goes back down).
///
/// Loop-confined: bound to the loop it is first used on (asyncio's `_LoopBoundMixin`), then usable
/// only from that loop's thread; misuse (another thread, another loop) traps naming the call. Hence
/// `@unchecked Sendable`.
public final class Barrier: @unchecked Sendable, CustomStringConvertible {
    /// How many tasks each round needs.
    public let parties: Int
    private var arrived = 0
    private var broken = false
    /// Counts completed (or reset) rounds, so a late cancellation cannot touch the next round's count.
    private var generation = 0
    private let waiters = WaitList()
    /// Written once (the first use in a loop), read by every entry point; never accessed overlappingly.
    @exclusivity(unchecked) private var binding = LoopBinding()

    /// Creates a barrier for `parties` tasks.
    /// - Precondition: `parties >= 1`.
    public init(parties: Int) {
        precondition(parties >= 1, "Barrier parties must be >= 1")
        self.parties = parties
    }

    /// Tasks waiting in the current round (asyncio's `n_waiting`).
    public var waitingCount: Int {
        binding.check("Barrier.waitingCount")
        return arrived
    }
    /// Whether the barrier is broken.
    public var isBroken: Bool {
        binding.check("Barrier.isBroken")
        return broken
    }

    /// Waits until `parties` tasks have arrived; returns this task's arrival index in the round
    /// (0 for the first, `parties - 1` for the last, which does not wait).
    /// - Throws: ``BrokenBarrierError`` if the barrier is or becomes broken or is reset;
    ///   ``CancelledError`` on cancellation.
    nonisolated(nonsending) public func wait() async throws -> Int {
        let loop = binding.waitingLoop("Barrier.wait")
        if broken { throw BrokenBarrierError() }
        let index = arrived
        arrived += 1
        if arrived == parties {
            arrived = 0
            generation += 1
            waiters.wakeAll()
            return index
        }
        let round = generation
        do {
            try await waiters.wait(on: loop, "Barrier.wait")
        } catch let error as CancelledError {
            if round == generation { arrived -= 1 }  // left before the round completed
            throw error
        }
        return index
    }

    /// Makes waiting tasks throw ``BrokenBarrierError`` and returns the barrier to its empty state.
    public func reset() {
        binding.check("Barrier.reset")
        arrived = 0
        broken = false
        generation += 1
        waiters.failAll(BrokenBarrierError())
    }

    /// Breaks the barrier: waiting and later ``wait()`` calls throw ``BrokenBarrierError``.
    public func abort() {
        binding.check("Barrier.abort")
        broken = true
        arrived = 0
        generation += 1
        waiters.failAll(BrokenBarrierError())
    }

    /// A description for logs and debugging.
    public var description: String {
        binding.check("Barrier.description")
        return "Barrier(parties: \(parties), waiting: \(arrived)\(broken ? ", broken" : ""))"
    }
}
