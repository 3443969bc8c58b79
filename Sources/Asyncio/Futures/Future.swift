/// A result that will be set later, on one loop (asyncio's `Future`).
///
/// Set it with ``setResult(_:)``, ``setError(_:)`` or ``cancel(message:)``; wait with `await
/// future.value`. Done callbacks run through the loop's `callSoon`, in the order they were added, also
/// when added after completion. An error nobody retrieved is reported to the loop's exception handler
/// when the future is dropped.
///
/// Loop-confined: create, set and await it on its loop's thread (checked: misuse is
/// a precondition failure naming the call); that confinement makes it `@unchecked Sendable`.
///
/// A ``LoopTask`` is a future too (as asyncio's `Task` is a `Future`): the class is not `final` for that
/// one subclass, and cannot be subclassed outside this module.
public class Future<Value>: @unchecked Sendable, CustomStringConvertible, WaiterCancellationTarget {
    /// What the future holds. Kept apart from the value, and not generic, so that checking a future
    /// (`isDone`, a failure) in unspecialized generic code needs no generic-metadata lookup.
    enum Status: UInt8 { case pending, result, error, cancelled }

    /// The loop the future belongs to.
    public let loop: EventLoop
    // Loop-confined state: no dynamic exclusivity checks (see EventLoop's hot state). Swift lays stored
    // properties out in declaration order: the small ones sit together.
    @exclusivity(unchecked) final private(set) var status: Status = .pending
    @exclusivity(unchecked) final var errorRetrieved = false
    /// Waiters in `moreEntries` whose task was cancelled: left in place (finished waiters ignore the
    /// wake-up; removing each from the middle would make cancelling n waiters O(n²)), swept out when
    /// they are the majority.
    @exclusivity(unchecked) final private var cancelledWaiters: Int32 = 0
    /// The result, initialized exactly while `status == .result` (see ``valueSlot``).
    @exclusivity(unchecked) final private var valueStorage: (UInt, UInt, UInt) = (0, 0, 0)
    @exclusivity(unchecked) final private var storedError: (any Error)?
    @exclusivity(unchecked) final private var storedCancelMessage: String?
    /// Callbacks and waiters in registration order: the first inline (most futures have one), the
    /// rest in an array allocated only when needed.
    @exclusivity(unchecked) final private var firstEntry: FutureEntry?
    @exclusivity(unchecked) final private var moreEntries: [FutureEntry] = []
    @exclusivity(unchecked) final private var nextEntryID = 0

    /// Creates a pending future on `loop` (asyncio's `loop.create_future()`).
    public init(loop: EventLoop) {
        self.loop = loop
    }

    deinit {
        reportUnretrievedError(owner: nil)
        if status == .result { destroyValue() }
    }

    // MARK: the value

    // The value is kept in three words of raw storage rather than in a `Value?` property: in this
    // generic class's unspecialized code every access to a `Value?` looks up `Optional<Value>`'s
    // metadata (about 300 instructions each, three times per task), while `Value`'s own metadata comes
    // with the class's. A value that fits (an Int, a String, an array, a class reference...) is stored
    // inline; a larger or over-aligned one in a heap cell whose address is stored instead.

    /// Whether a `Value` fits in ``valueStorage``.
    @inline(__always)
    private static var valueIsInline: Bool {
        MemoryLayout<Value>.size <= MemoryLayout<(UInt, UInt, UInt)>.size
            && MemoryLayout<Value>.alignment <= MemoryLayout<UInt>.alignment
    }

    /// Gives `body` the value's address; valid only inside `body`, and initialized only while the
    /// status is `.result`.
    @inline(__always)
    private final func withValueSlot<R>(_ body: (UnsafeMutablePointer<Value>) throws -> R) rethrows -> R {
        try withUnsafeMutablePointer(to: &valueStorage) { storage in
            let raw = UnsafeMutableRawPointer(storage)
            if Self.valueIsInline { return try body(raw.assumingMemoryBound(to: Value.self)) }
            return try body(raw.load(as: UnsafeMutablePointer<Value>.self))
        }
    }

    /// Stores `value` (the status is not yet `.result`).
    private final func storeValue(_ value: Value) {
        if !Self.valueIsInline {
            let cell = UnsafeMutablePointer<Value>.allocate(capacity: 1)
            withUnsafeMutablePointer(to: &valueStorage) { UnsafeMutableRawPointer($0).storeBytes(of: cell, as: UnsafeMutablePointer<Value>.self) }
        }
        withValueSlot { $0.initialize(to: value) }
    }

    /// A copy of the value (the status is `.result`).
    private final func loadValue() -> Value {
        withValueSlot { $0.pointee }
    }

    /// Destroys the value (the status is `.result`, and the future is going away).
    private final func destroyValue() {
        _ = withValueSlot { $0.deinitialize(count: 1) }
        if !Self.valueIsInline {
            withUnsafeMutablePointer(to: &valueStorage) {
                UnsafeMutableRawPointer($0).load(as: UnsafeMutablePointer<Value>.self).deallocate()
            }
        }
    }

    /// Reports an error nobody retrieved to the loop's exception handler, once. A task calls it from its
    /// own `deinit`, naming itself (its stored properties are gone by the time this class's `deinit` runs).
    final func reportUnretrievedError(owner: String?) {
        guard status == .error, !errorRetrieved, let error = storedError else { return }
        errorRetrieved = true
        let what = owner.map { "\($0) exception was never retrieved" } ?? "Future exception was never retrieved"
        loop.report(ExceptionContext(message: what, error: error, source: owner))
    }

    // MARK: state

    /// Whether the future has a result, an error, or was cancelled.
    public var isDone: Bool { loop.preconditionOnLoopThread("Future.isDone"); return status != .pending }

    /// Whether the future was cancelled.
    public var isCancelled: Bool { loop.preconditionOnLoopThread("Future.isCancelled"); return status == .cancelled }

    /// The result. Throws the future's error, ``CancelledError`` if it was cancelled, or
    /// ``InvalidStateError`` if it is not done yet (asyncio's `result()`).
    public func result() throws -> Value {
        loop.preconditionOnLoopThread("Future.result")
        return try uncheckedResult()
    }

    /// ``result()`` without the confinement check (the caller made it).
    final func uncheckedResult() throws -> Value {
        switch status {
        case .pending: throw InvalidStateError("Result is not set.")
        case .result: return loadValue()
        case .error: errorRetrieved = true; throw storedError!
        case .cancelled: throw CancelledError(message: storedCancelMessage)
        }
    }

    /// The error, or nil if the future has a result (asyncio's `exception()`). Throws
    /// ``CancelledError`` if cancelled, ``InvalidStateError`` if not done.
    public func error() throws -> (any Error)? {
        loop.preconditionOnLoopThread("Future.error")
        return try uncheckedError()
    }

    /// ``error()`` without the confinement check (the caller made it).
    final func uncheckedError() throws -> (any Error)? {
        switch status {
        case .pending: throw InvalidStateError("Exception is not set.")
        case .result: return nil
        case .error: errorRetrieved = true; return storedError
        case .cancelled: throw CancelledError(message: storedCancelMessage)
        }
    }

    /// The error (cancellation as ``CancelledError``) if the future failed, nil if it has a result or
    /// is pending. Counts as retrieving an error. Not generic: the cheap check `gather` makes.
    final var failure: (any Error)? {
        switch status {
        case .pending, .result: return nil
        case .error: errorRetrieved = true; return storedError
        case .cancelled: return CancelledError(message: storedCancelMessage)
        }
    }

    /// The outcome as a `Result` (cancellation as ``CancelledError``), or nil while pending. Counts as
    /// retrieving an error.
    public final var outcome: Result<Value, any Error>? {
        loop.preconditionOnLoopThread("Future.outcome")
        switch status {
        case .pending: return nil
        case .result: return .success(loadValue())
        case .error, .cancelled: return .failure(failure!)
        }
    }

    // MARK: setting

    /// Completes the future with `value`.
    /// - Throws: ``InvalidStateError`` if it is already done, or if it is a ``LoopTask`` (its result
    ///   comes from its body; asyncio's `Task.set_result` raises too). Off the loop thread it traps.
    public func setResult(_ value: Value) throws {
        try checkSettable("setResult")
        complete(value: value)
    }

    /// Completes the future with `error`.
    /// - Throws: ``InvalidStateError`` if it is already done, or if it is a ``LoopTask``. Off the loop
    ///   thread it traps.
    public func setError(_ error: any Error) throws {
        try checkSettable("setError")
        complete(error: error)
    }

    /// Cancels the future: waiters throw ``CancelledError`` with `message`. Returns false if it was
    /// already done (asyncio's `cancel(msg=)`). Must be called on the loop thread. On a ``LoopTask`` it
    /// requests the task's cancellation instead (``LoopTask/cancel(message:)``).
    @discardableResult
    public func cancel(message: String? = nil) -> Bool {
        loop.preconditionOnLoopThread("Future.cancel")
        guard status == .pending else { return false }
        complete(cancelled: message)
        return true
    }

    private func checkSettable(_ what: StaticString) throws {
        loop.preconditionOnLoopThread("Future.\(what)")
        guard status == .pending else { throw InvalidStateError("invalid state: the future is already done") }
    }

    /// Completes with `value` and wakes everyone in registration order: waiting tasks are resumed (their
    /// next step joins the FIFO), done callbacks are scheduled with `callSoon`. A future completes once:
    /// on a done one this does nothing (the public setters throw before they get here).
    final func complete(value: Value) {
        guard status == .pending else { return }
        storeValue(value)
        finish(.result)
    }

    /// Completes with `error`; see ``complete(value:)``.
    final func complete(error: any Error) {
        guard status == .pending else { return }
        storedError = error
        finish(.error)
    }

    /// Completes cancelled with `message`; see ``complete(value:)``.
    final func complete(cancelled message: String?) {
        guard status == .pending else { return }
        storedCancelMessage = message
        finish(.cancelled)
    }

    private func finish(_ final: Status) {
        status = final
        guard let first = firstEntry else { return }
        firstEntry = nil
        wake(first)
        guard !moreEntries.isEmpty else { return }
        let rest = moreEntries
        moreEntries = []
        cancelledWaiters = 0
        for entry in rest { wake(entry) }
    }

    private func wake(_ entry: FutureEntry) {
        switch entry {
        case .callback(_, let callback): loop.enqueueDoneCallback(callback, for: self)
        case .waiter(_, let waiter): waiter.resume()
        }
    }

    private func append(_ entry: FutureEntry) {
        if firstEntry == nil && moreEntries.isEmpty { firstEntry = entry } else { moreEntries.append(entry) }
    }

    /// Counts a waiter being cancelled as gone; sweeps finished waiters out when they are most entries.
    private func forgetCancelled(_ waiter: LoopWaiter) {
        if case .waiter(_, let first)? = firstEntry, first === waiter { return }  // not in moreEntries
        cancelledWaiters += 1
        guard cancelledWaiters >= 32 && Int(cancelledWaiters) * 2 > moreEntries.count else { return }
        moreEntries.removeAll { entry in
            if case .waiter(_, let queued) = entry { return queued.isFinished || queued === waiter } else { return false }
        }
        cancelledWaiters = 0
    }

    /// Removes the done callback `id` if it is still registered; returns whether it was. Only callbacks:
    /// a bogus id must not drop a waiting task (entries share the id counter).
    private func removeCallback(_ id: Int) -> Bool {
        if let first = firstEntry, first.id == id, first.isCallback {
            firstEntry = moreEntries.isEmpty ? nil : moreEntries.removeFirst()
            return true
        }
        guard let index = moreEntries.firstIndex(where: { $0.id == id && $0.isCallback }) else { return false }
        moreEntries.remove(at: index)
        return true
    }

    // MARK: callbacks

    /// Adds a callback run (through `callSoon`) when the future is done, or soon if it already is.
    /// It runs in a copy of the context-variable values current when it was added (asyncio's
    /// `add_done_callback(cb, context=None)`): a ``ContextVar/set(_:)`` inside it stays inside it.
    /// Returns an id for ``removeDoneCallback(_:)``.
    @discardableResult
    public func addDoneCallback(_ callback: @escaping (Future<Value>) -> Void) -> Int {
        loop.preconditionOnLoopThread("Future.addDoneCallback")
        let context = ExecutionContext.captureIfInUse()
        return onDone { future in
            ExecutionContext.run(in: context) { callback(unsafeDowncast(future, to: Future<Value>.self)) }
        }
    }

    /// ``addDoneCallback(_:)`` for the runtime's own callbacks, which do not need the future typed:
    /// stored as is (no wrapper), in a non-generic entry. The callback is given this future.
    @discardableResult
    final func onDone(_ callback: @escaping (AnyObject) -> Void) -> Int {
        nextEntryID += 1
        if status != .pending {
            loop.enqueueDoneCallback(callback, for: self)
        } else {
            append(.callback(nextEntryID, callback))
        }
        return nextEntryID
    }

    /// Removes a callback added with ``addDoneCallback(_:)`` that has not been scheduled yet. Returns
    /// whether it was found.
    @discardableResult
    public func removeDoneCallback(_ id: Int) -> Bool {
        loop.preconditionOnLoopThread("Future.removeDoneCallback")
        return removeCallback(id)
    }

    /// ``removeDoneCallback(_:)`` without the confinement check (the caller made it).
    final func uncheckedRemoveDoneCallback(_ id: Int) -> Bool { removeCallback(id) }

    // MARK: awaiting

    /// Waits for the future and returns its result, or throws its error or ``CancelledError``.
    ///
    /// As in asyncio, cancelling the awaiting task cancels the future. Use ``waitDone()`` to wait
    /// without that (the building block of `shield`, `wait` and `gather`).
    nonisolated(nonsending) public var value: Value {
        get async throws {
            loop.preconditionOnLoopThread("Future.value")
            if status == .pending { try await waitUntilDone(cancellingFuture: true) }
            return try result()
        }
    }

    /// Waits until the future is done without reading it; cancelling the waiting task leaves the future
    /// alone and throws ``CancelledError``.
    nonisolated(nonsending) public func waitDone() async throws {
        loop.preconditionOnLoopThread("Future.waitDone")
        if status == .pending { try await waitUntilDone(cancellingFuture: false) }
    }

    /// Waits until the future is done, whatever happens to the calling task (a cancellation of the
    /// caller is not delivered by this wait).
    nonisolated(nonsending) final func waitDoneIgnoringCancellation() async throws {
        if status != .pending { return }
        try await loop.suspendIgnoringCancellation("Future.value") { waiter in
            nextEntryID += 1
            append(.waiter(nextEntryID, waiter))
        }
    }

    nonisolated(nonsending) final func waitUntilDone(cancellingFuture: Bool) async throws {
        try await loop.suspendCheckingCancellation("Future.value") { waiter in
            nextEntryID += 1
            let id = nextEntryID
            append(.waiter(id, waiter))
            waiter.cancelTarget = self
            waiter.cancelsTarget = cancellingFuture
        }
    }

    /// A waiting task was cancelled: see ``WaiterCancellationTarget``.
    final func waiterWasCancelled(_ waiter: LoopWaiter) {
        forgetCancelled(waiter)
        if waiter.cancelsTarget { cancel(message: waiter.cancelMessage) }
    }

    /// Safe from any thread: the state is shown only on the loop's thread.
    public var description: String {
        guard loop.isOnLoopThread else { return "Future(\(Value.self))" }
        switch status {
        case .pending: return "Future(pending)"
        case .result: return "Future(result: \(loadValue()))"
        case .error: return "Future(error: \(storedError!))"
        case .cancelled: return "Future(cancelled\(storedCancelMessage.map { ": \($0)" } ?? ""))"
        }
    }

    /// The error the future holds, without counting as retrieving it (for descriptions).
    final var peekError: (any Error)? { storedError }
}

/// A future's done callback or waiting task. Not generic, so the entry array needs no generic metadata.
private enum FutureEntry {
    case callback(Int, (AnyObject) -> Void)
    case waiter(Int, LoopWaiter)

    var id: Int {
        switch self {
        case .callback(let id, _), .waiter(let id, _): return id
        }
    }

    var isCallback: Bool { if case .callback = self { return true } else { return false } }
}
