/// Several errors at once (Python's `ExceptionGroup`), thrown by ``EventLoop/taskGroup(_:)`` with
/// every error its children (and body) threw, cancellations left out.
public struct ExceptionGroup: Error, CustomStringConvertible, @unchecked Sendable {
    /// What produced the errors.
    public var message: String
    /// The errors: for a task group, the children's in the order they failed, then the body's.
    public var errors: [any Error]

    /// Creates a group.
    public init(_ message: String, _ errors: [any Error]) {
        self.message = message
        self.errors = errors
    }

    /// The error's message.
    public var description: String {
        "\(message) (\(errors.count) sub-exception\(errors.count == 1 ? "" : "s")): \(errors.map { "\($0)" }.joined(separator: "; "))"
    }
}

/// Adding a task to a task group that finished or is shutting down (asyncio's `RuntimeError`).
public struct TaskGroupClosedError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Why the group refuses new tasks.
    public var reason: String
    /// The error's message.
    public var description: String { "TaskGroup is \(reason)" }
}
