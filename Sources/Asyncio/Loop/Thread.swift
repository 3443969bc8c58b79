import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Starts a detached thread named `name` running `body`: the package's one way to start a thread
/// (the home of a loop run from async code, of an ``EventLoopGroup``'s loops, of executor workers, and
/// of `AsyncioTesting`'s `withTestLoop`). `name` says what the thread is for; a failure names it.
/// - Throws: ``IOError`` (operation `pthread_create`) when the thread cannot be created (`EAGAIN`:
///   the process or system is out of threads); `body` is then released without running.
package func startThread(name: String, _ body: @escaping @Sendable () -> Void) throws {
    final class Box: Sendable {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
    let box = Unmanaged.passRetained(Box(body)).toOpaque()
    var thread = pthread_t()
    let status = pthread_create(&thread, nil, { raw in
        let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
        box.body()
        return nil
    }, box)
    guard status == 0 else {
        Unmanaged<Box>.fromOpaque(box).release()
        throw IOError(operation: "pthread_create", target: name, code: IOError.Code(errno: status))
    }
    pthread_detach(thread)
}

/// ``startThread(name:_:)`` for callers that cannot report a failure: it is a precondition failure.
package func spawnThread(name: String, _ body: @escaping @Sendable () -> Void) {
    do { try startThread(name: name, body) } catch { preconditionFailure("\(error)") }
}

/// A happens-before edge ThreadSanitizer can see, for a value a thread hands to an awaiting task
/// through a continuation: the thread calls ``publish()`` once the value is built, before it resumes
/// the continuation; the task calls ``receive()`` right after its `await` returns.
///
/// The continuation orders the two already; this is for the sanitizer only. Swift's runtime tells
/// ThreadSanitizer about the resume (a release), but when the resume comes before the task has
/// reached its `await`, the await takes a fast path (`swift_continuation_awaitImpl`, status already
/// resumed) that reports no acquire, and TSan then flags every object the thread built and the task
/// uses as a data race (swiftlang/swift#57803). An atomic release/acquire pair compiled into this
/// module is instrumented; on x86-64 it costs two plain moves.
package final class HandoffFence: Sendable {
    private let published = Atomic<Bool>(false)

    package init() {}

    /// On the producing thread, after building the value, before resuming the continuation.
    package func publish() { published.store(true, ordering: .releasing) }

    /// In the awaiting task, right after the `await` returned.
    package func receive() { _ = published.load(ordering: .acquiring) }
}
