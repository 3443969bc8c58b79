/// A result that will be set later, on one loop (asyncio's `Future`).
///
/// Set it with ``setResult(_:)``, ``setError(_:)`` or ``cancel(message:)``; wait with `await
/// future.value`. Done callbacks run through the loop's `callSoon`, in the order they were added, also
/// when added after completion. An error nobody retrieved is reported to the loop's exception handler
/// when the future is dropped.
///
/// Loop-confined: create, set and await it on its loop's thread (checked: misuse throws
/// ``EventLoopError/wrongThread(_:)``); that confinement makes it `@unchecked Sendable`.
public final class Future<Value>: @unchecked Sendable, CustomStringConvertible {
    enum State {
        case pending
        case result(Value)
        case error(any Error)
        case cancelled(String?)
    }

    private enum Entry {
        case callback(Int, (Future<Value>) -> Void)
        case waiter(Int, LoopWaiter)
    }

    /// The loop the future belongs to.
    public let loop: EventLoop
    // Loop-confined state: no dynamic exclusivity checks (see EventLoop's hot state).
    @exclusivity(unchecked) private(set) var state: State = .pending
    @exclusivity(unchecked) private var entries: [Entry] = []
    @exclusivity(unchecked) private var nextEntryID = 0
    @exclusivity(unchecked) private var errorRetrieved = false
    /// The task the future belongs to, if any (named in reports: "Task 'name' exception ...").
    unowned(unsafe) var owner: TaskRecord?
    var ownerDescription: String? { owner.map { "Task '\($0.task.name)'" } }

    /// Creates a pending future on `loop` (asyncio's `loop.create_future()`).
    public init(loop: EventLoop) {
        self.loop = loop
    }

    deinit {
        if case .error(let error) = state, !errorRetrieved {
            let what = ownerDescription.map { "\($0) exception was never retrieved" } ?? "Future exception was never retrieved"
            loop.callExceptionHandler(ExceptionContext(message: what, error: error, source: ownerDescription))
        }
    }

    // MARK: state

    /// Whether the future has a result, an error, or was cancelled.
    public var isDone: Bool { if case .pending = state { return false } else { return true } }

    /// Whether the future was cancelled.
    public var isCancelled: Bool { if case .cancelled = state { return true } else { return false } }

    /// The result. Throws the future's error, ``CancelledError`` if it was cancelled, or
    /// ``InvalidStateError`` if it is not done yet (asyncio's `result()`).
    public func result() throws -> Value {
        switch state {
        case .pending: throw InvalidStateError("Result is not set.")
        case .result(let value): return value
        case .error(let error): errorRetrieved = true; throw error
        case .cancelled(let message): throw CancelledError(message: message)
        }
    }

    /// The error, or nil if the future has a result (asyncio's `exception()`). Throws
    /// ``CancelledError`` if cancelled, ``InvalidStateError`` if not done.
    public func error() throws -> (any Error)? {
        switch state {
        case .pending: throw InvalidStateError("Exception is not set.")
        case .result: return nil
        case .error(let error): errorRetrieved = true; return error
        case .cancelled(let message): throw CancelledError(message: message)
        }
    }

    /// The outcome as a `Result` (cancellation as ``CancelledError``), or nil while pending. Counts as
    /// retrieving an error.
    public var outcome: Result<Value, any Error>? {
        switch state {
        case .pending: return nil
        case .result(let value): return .success(value)
        case .error(let error): errorRetrieved = true; return .failure(error)
        case .cancelled(let message): return .failure(CancelledError(message: message))
        }
    }

    // MARK: setting

    /// Completes the future with `value`.
    /// - Throws: ``InvalidStateError`` if it is already done; ``EventLoopError/wrongThread(_:)`` off the loop.
    public func setResult(_ value: Value) throws {
        try checkSettable()
        complete(.result(value))
    }

    /// Completes the future with `error`.
    /// - Throws: ``InvalidStateError`` if it is already done; ``EventLoopError/wrongThread(_:)`` off the loop.
    public func setError(_ error: any Error) throws {
        try checkSettable()
        complete(.error(error))
    }

    /// Cancels the future: waiters throw ``CancelledError`` with `message`. Returns false if it was
    /// already done (asyncio's `cancel(msg=)`). Must be called on the loop thread.
    @discardableResult
    public func cancel(message: String? = nil) -> Bool {
        guard !isDone else { return false }
        precondition(loop.isOnLoopThread, "Future.cancel must be called on its loop's thread")
        complete(.cancelled(message))
        return true
    }

    private func checkSettable() throws {
        guard loop.isOnLoopThread else { throw EventLoopError.wrongThread("Future.setResult") }
        guard !isDone else { throw InvalidStateError("invalid state: the future is already done") }
    }

    /// Sets the final state and wakes everyone in registration order: waiting tasks are resumed (their
    /// next step joins the FIFO), done callbacks are scheduled with `callSoon`.
    func complete(_ final: State) {
        state = final
        let current = entries
        entries.removeAll()
        for entry in current {
            switch entry {
            case .callback(_, let callback): loop.enqueueCallback { callback(self) }
            case .waiter(_, let waiter): waiter.resume()
            }
        }
    }

    // MARK: callbacks

    /// Adds a callback run (through `callSoon`) when the future is done, or soon if it already is.
    /// Returns an id for ``removeDoneCallback(_:)``.
    @discardableResult
    public func addDoneCallback(_ callback: @escaping (Future<Value>) -> Void) -> Int {
        nextEntryID += 1
        if isDone {
            loop.enqueueCallback { callback(self) }
        } else {
            entries.append(.callback(nextEntryID, callback))
        }
        return nextEntryID
    }

    /// Removes a callback added with ``addDoneCallback(_:)`` that has not been scheduled yet. Returns
    /// whether it was found.
    @discardableResult
    public func removeDoneCallback(_ id: Int) -> Bool {
        let before = entries.count
        entries.removeAll { if case .callback(let i, _) = $0 { return i == id } else { return false } }
        return entries.count != before
    }

    // MARK: awaiting

    /// Waits for the future and returns its result, or throws its error or ``CancelledError``.
    ///
    /// As in asyncio, cancelling the awaiting task cancels the future. Use ``waitDone()`` to wait
    /// without that (the building block of `shield`, `wait` and `gather`).
    nonisolated(nonsending) public var value: Value {
        get async throws {
            if !isDone { try await waitUntilDone(cancellingFuture: true) }
            return try result()
        }
    }

    /// Waits until the future is done without reading it; cancelling the waiting task leaves the future
    /// alone and throws ``CancelledError``.
    nonisolated(nonsending) public func waitDone() async throws {
        if !isDone { try await waitUntilDone(cancellingFuture: false) }
    }

    nonisolated(nonsending) private func waitUntilDone(cancellingFuture: Bool) async throws {
        try await loop.suspendCheckingCancellation("Future.value") { waiter in
            nextEntryID += 1
            let id = nextEntryID
            entries.append(.waiter(id, waiter))
            waiter.onCancel = { [self] in
                entries.removeAll { if case .waiter(let i, _) = $0 { return i == id } else { return false } }
                if cancellingFuture { cancel(message: waiter.cancelMessage) }
            }
        }
    }

    public var description: String {
        switch state {
        case .pending: return "Future(pending)"
        case .result(let value): return "Future(result: \(value))"
        case .error(let error): return "Future(error: \(error))"
        case .cancelled(let message): return "Future(cancelled\(message.map { ": \($0)" } ?? ""))"
        }
    }
}
