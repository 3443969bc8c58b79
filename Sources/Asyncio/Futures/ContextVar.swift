import Synchronization

/// A context variable (Python's `contextvars.ContextVar`) with asyncio's semantics:
/// - a loop task starts with a *copy* of its creator's context, so a `set` inside one task is seen by
///   neither its siblings nor its creator;
/// - callbacks scheduled with `callSoon`, `callLater`, `callAt` or `callSoonThreadsafe` run in a copy
///   of the context captured when they were scheduled (Swift's `@TaskLocal` alone cannot reach them).
///
/// `async let` and task-group children of a loop task share that task's context (they are part of
/// it). Outside any loop task or callback, values live in a process-wide root context. Until the first
/// `set` anywhere, scheduling pays one atomic load and nothing else.
public final class ContextVar<Value: Sendable>: Sendable, CustomStringConvertible {
    /// The variable's name (for diagnostics).
    public let name: String
    private let defaultValue: Value?

    /// Creates a variable; `default` is what ``get()`` returns where the variable was never set.
    public init(_ name: String, default defaultValue: Value? = nil) {
        self.name = name
        self.defaultValue = defaultValue
    }

    /// The value in the current context, else the default, else nil.
    public func get() -> Value? {
        ExecutionContext.withCurrent { $0.values[ObjectIdentifier(self)] } as? Value ?? defaultValue
    }

    /// The value in the current context, else `fallback`.
    public func get(default fallback: Value) -> Value { get() ?? fallback }

    /// Sets the value in the current context; returns a token for ``reset(_:)``.
    @discardableResult
    public func set(_ value: Value) -> ContextVarToken<Value> {
        ExecutionContext.inUse.store(true, ordering: .relaxed)
        let previous = ExecutionContext.withCurrent { context -> Any? in
            defer { context.values[ObjectIdentifier(self)] = value }
            return context.values[ObjectIdentifier(self)]
        }
        return ContextVarToken(variable: self, previous: previous.map { $0 as? Value })
    }

    /// Restores the value the variable had before the ``set(_:)`` that returned `token`.
    public func reset(_ token: ContextVarToken<Value>) {
        ExecutionContext.withCurrent { context in
            if case .some(.some(let value)) = token.previous {
                context.values[ObjectIdentifier(self)] = value
            } else {
                context.values[ObjectIdentifier(self)] = nil
            }
        }
    }

    /// A description for logs and debugging.
    public var description: String { "ContextVar(\(name))" }
}

/// What ``ContextVar/reset(_:)`` needs to undo a `set` (Python's `Token`).
public struct ContextVarToken<Value: Sendable>: Sendable {
    let variable: ContextVar<Value>
    /// The value before the `set`: nil if the variable was unset.
    let previous: Value??
}

/// A set of context-variable values: a loop task's, a callback's captured copy, or the root.
/// Loop-confined (each copy is used by one task or callback), hence `@unchecked Sendable`.
final class ExecutionContext: @unchecked Sendable {
    var values: [ObjectIdentifier: Any] = [:]

    func copy() -> ExecutionContext {
        let copy = ExecutionContext()
        copy.values = values
        return copy
    }

    /// Whether any context variable was ever set (until then nothing is captured or copied).
    static let inUse = Atomic<Bool>(false)

    /// The context of the callback running now, if it was scheduled with a captured context.
    @TaskLocal static var callbackContext: ExecutionContext?

    /// The process-wide root, for code outside loop tasks and captured callbacks.
    private static let root = Mutex<ExecutionContextBox>(ExecutionContextBox())

    /// Runs `body` with the current context: the callback's, else the loop task's, else — on a loop
    /// thread — the fresh context of the callback running now (so that a `set` in a callback scheduled
    /// before any variable was set stays in that callback, as in asyncio, where every callback runs in
    /// a context of its own), else the process-wide root.
    static func withCurrent<R>(_ body: (ExecutionContext) -> R) -> R {
        if let context = callbackContext { return body(context) }
        if let loop = EventLoop.current {
            if let task = loop.runningTask { return body(task.executionContext) }
            return body(loop.ambientContext)
        }
        return root.withLock { body($0.context) }
    }

    /// Runs `body` in `context` (a captured copy), or as is when nothing was captured.
    @inline(__always)
    static func run<R>(in context: ExecutionContext?, _ body: () throws -> R) rethrows -> R {
        guard let context else { return try body() }
        return try $callbackContext.withValue(context) { try body() }
    }

    /// A copy of the current context to hand to a new task or callback, or nil while no variable was
    /// ever set.
    static func captureIfInUse() -> ExecutionContext? {
        guard inUse.load(ordering: .relaxed) else { return nil }
        return withCurrent { $0.copy() }
    }

    /// Wraps `callback` to run in the context current now (only once context variables are in use).
    static func bind(_ callback: @escaping () throws -> Void) -> () throws -> Void {
        guard let captured = captureIfInUse() else { return callback }
        return { try ExecutionContext.$callbackContext.withValue(captured) { try callback() } }
    }

    /// ``bind(_:)`` for thread-safe callbacks.
    static func bindSendable(_ callback: @escaping @Sendable () throws -> Void) -> @Sendable () throws -> Void {
        guard let captured = captureIfInUse() else { return callback }
        return { try ExecutionContext.$callbackContext.withValue(captured) { try callback() } }
    }
}

/// The root context behind the mutex (the box is only touched under it).
struct ExecutionContextBox: @unchecked Sendable {
    let context = ExecutionContext()
}
