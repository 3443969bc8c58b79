#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

// The one rule for misuse (see README, "Threading rules"):
//
// - Calling a loop-confined API from a thread that is not its loop's thread, or using a primitive
//   bound to one loop from another loop, is a *programmer error*: a precondition failure whose
//   message names the call and the threads. It is caught at the call, before any state is touched,
//   so it can never become a data race. (A property setter or a non-throwing `release()` could not
//   report it any other way, and code that catches a "wrong thread" error has a bug anyway.)
// - A *runtime* failure (the loop is closed, a future is already done, a queue is full, a peer
//   reset the connection) is a thrown Swift error.
//
// The check is one `pthread_self()` and one compare with the loop's owner (a relaxed atomic load).

extension EventLoop {
    /// Traps with a message naming `what` unless the caller runs on this loop's thread: the
    /// confinement check of every loop-confined entry point (`package`: `AsyncioTesting`'s ``TestLoop`` uses it too).
    @inline(__always)
    package func preconditionOnLoopThread(_ what: @autoclosure () -> String) {
        if _slowPath(!isOnLoopThread) { wrongThread(what()) }
    }

    /// The precondition failure of a confinement violation (kept out of line: the check inlines to a compare).
    @inline(never)
    func wrongThread(_ what: String) -> Never {
        preconditionFailure(
            "\(what) was called on thread \(currentThreadDescription()), but it belongs to an event loop "
                + "confined to thread \(String(owner.load(ordering: .relaxed), radix: 16)). Loop-confined APIs "
                + "must be used on the loop's thread; from other threads use callSoonThreadsafe, "
                + "runCoroutineThreadsafe or a task submitted to the loop."
        )
    }

    /// Throws unless the loop is open; traps unless the caller is on its thread (the check of every
    /// loop entry point that can also fail at run time).
    @inline(__always)
    func checkUsable(_ what: @autoclosure () -> String) throws {
        preconditionOnLoopThread(what())
        if isClosed { throw EventLoopError.closed }
    }
}

/// The calling thread, for confinement messages: its pthread id, kernel id and name (read from
/// `/proc/thread-self`; this runs only on the way to a precondition failure).
func currentThreadDescription() -> String {
    var link = [CChar](repeating: 0, count: 64)
    let length = readlink("/proc/thread-self", &link, link.count - 1)
    let path = length > 0 ? String(decoding: link.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
    let tid = path.split(separator: "/").last.map(String.init) ?? "?"
    var name = "?"
    if let file = fopen("/proc/thread-self/comm", "r") {
        var buffer = [CChar](repeating: 0, count: 32)
        if fgets(&buffer, Int32(buffer.count), file) != nil {
            name = String(decoding: buffer.prefix { $0 != 0 && $0 != 10 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        fclose(file)
    }
    return "\(String(UInt(pthread_self()), radix: 16)) (tid \(tid), '\(name)')"
}

/// The loop a primitive (lock, event, queue, ...) is bound to: asyncio's `_LoopBoundMixin`.
///
/// A primitive binds to the running loop the first time a task waits on it or it is used from a
/// loop's thread; from then on every use must come from that loop's thread. A primitive may be
/// created, and used without waiting, before any loop runs (asyncio allows creating a `Queue` and
/// `put_nowait` into it before `asyncio.run`); its first use from a loop binds it.
///
/// Loop-confined itself: `bound` is written once, on the thread of the loop it names.
struct LoopBinding {
    private(set) var loop: EventLoop?

    /// The loop the primitive is bound to, binding it to the loop running on this thread on first
    /// use. Traps if no loop runs on this thread, or the primitive belongs to another loop.
    @inline(__always)
    mutating func waitingLoop(_ what: @autoclosure () -> String) -> EventLoop {
        if let loop {
            loop.preconditionOnLoopThread(what())
            if _slowPath(EventLoop.current !== loop) { wrongLoop(what()) }
            return loop
        }
        guard let running = EventLoop.current else {
            preconditionFailure("\(what()) must be awaited in a task running on an event loop; "
                + "thread \(currentThreadDescription()) runs no event loop")
        }
        loop = running
        return running
    }

    /// Checks a use that does not wait (release, set, put without waiting, a read of its state): on the
    /// bound loop's thread; or, while unbound, binds to the loop running on this thread if there is one.
    @inline(__always)
    mutating func check(_ what: @autoclosure () -> String) {
        if let loop {
            loop.preconditionOnLoopThread(what())
            if _slowPath(EventLoop.current.map { $0 !== loop } ?? false) { wrongLoop(what()) }
        } else if let running = EventLoop.current {
            loop = running
        }
    }

    @inline(never)
    private func wrongLoop(_ what: String) -> Never {
        preconditionFailure("\(what): the primitive is bound to a different event loop (\(loop.map { "\($0)" } ?? "none"))")
    }
}
