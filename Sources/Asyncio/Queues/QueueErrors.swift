/// `putNowait` on a full queue (asyncio's `QueueFull`).
public struct QueueFull: Error, Equatable, Sendable {
    /// Creates the error.
    public init() {}
}

/// `getNowait` on an empty queue (asyncio's `QueueEmpty`).
public struct QueueEmpty: Error, Equatable, Sendable {
    /// Creates the error.
    public init() {}
}

/// The queue was shut down: `put` always fails, `get` fails once the queue is empty (asyncio 3.13's
/// `QueueShutDown`).
public struct QueueShutDown: Error, Equatable, Sendable {
    /// Creates the error.
    public init() {}
}

/// `taskDone()` called more times than items were put (asyncio's
/// `ValueError('task_done() called too many times')`).
public struct TaskDoneCalledTooManyTimesError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Creates the error.
    public init() {}
    /// The error's message.
    public var description: String { "taskDone() called too many times" }
}
