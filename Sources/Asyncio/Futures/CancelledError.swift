/// The error a cancelled wait throws (asyncio's `CancelledError`), carrying the message given to
/// ``LoopTask/cancel(message:)`` or ``Future/cancel(message:)``.
///
/// Swift's own `CancellationError` (from `Task.checkCancellation()` or `Task.sleep`) is treated the same
/// way: a task whose body throws either is *cancelled*.
public struct CancelledError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The cancellation message, if one was given.
    public var message: String?

    /// Creates the error.
    public init(message: String? = nil) { self.message = message }

    /// The error's message.
    public var description: String { message.map { "CancelledError(\($0))" } ?? "CancelledError" }
}

/// A future's result was read before it was set, or it was set twice (asyncio's `InvalidStateError`).
public struct InvalidStateError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What was wrong.
    public var message: String

    /// Creates the error.
    public init(_ message: String) { self.message = message }

    /// The error's message.
    public var description: String { "InvalidStateError: \(message)" }
}

extension Error {
    /// Whether the error means "cancelled": ``CancelledError`` or Swift's `CancellationError`.
    public var isCancellation: Bool { self is CancelledError || self is CancellationError }
}
