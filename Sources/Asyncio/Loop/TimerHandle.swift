/// A callback scheduled for a moment in the loop's time, returned by ``EventLoop/callLater(_:_:)-(Duration,_)``
/// and ``EventLoop/callAt(_:_:)-(LoopClock.Instant,_)`` (and their `Double`-seconds overloads): asyncio's
/// `TimerHandle`.
///
/// Loop-confined (`@unchecked Sendable`): its state is only touched on the loop thread; ``cancel()``
/// from another thread is forwarded to the loop through its thread-safe inbox.
public final class TimerHandle: @unchecked Sendable, CustomStringConvertible {
    /// The deadline in nanoseconds of the loop's clock; before the clock's origin (negative) for a
    /// delay that was already past when scheduled.
    let deadline: Int64
    /// Scheduling order, which breaks ties between equal deadlines.
    let sequence: UInt64
    /// Strong: the cycle with the loop's heap ends when the timer fires, is compacted away, or the
    /// loop closes (which empties the heap).
    let loop: EventLoop
    var body: (() throws -> Void)?
    private(set) var cancelled = false
    /// Still in the loop's heap (not yet moved to the ready FIFO).
    var inHeap = true

    init(loop: EventLoop, deadline: Int64, sequence: UInt64, body: @escaping () throws -> Void) {
        self.loop = loop
        self.deadline = deadline
        self.sequence = sequence
        self.body = body
    }

    /// When the callback is due, in seconds of ``EventLoop/time()`` (asyncio's `when()`): before now for
    /// a negative delay.
    public var when: Double { Double(deadline) / 1e9 }

    /// When the callback is due, as an instant of the loop's ``LoopClock`` (the clock's origin for a
    /// deadline before it).
    public var instant: LoopClock.Instant { .init(nanoseconds: UInt64(max(0, deadline))) }

    /// Whether ``cancel()`` was called before the callback ran.
    public var isCancelled: Bool { loop.preconditionOnLoopThread("TimerHandle.isCancelled"); return cancelled }

    /// Prevents the callback from running; harmless if it already ran or was cancelled. O(1): the timer
    /// stays in the heap, marked, until it surfaces or the heap is compacted.
    public func cancel() {
        guard loop.isOnLoopThread else {
            _ = try? loop.callSoonThreadsafe { self.cancel() }
            return
        }
        guard !cancelled else { return }
        cancelled = true
        if body != nil {
            body = nil
            if inHeap { loop.timerWasCancelled() }
        }
    }

    /// Safe from any thread: whether it was cancelled is shown only on the loop's thread.
    public var description: String {
        "TimerHandle(when: \(when)\(loop.isOnLoopThread && cancelled ? ", cancelled" : ""))"
    }
}
