/// A timeout expired (asyncio's `TimeoutError`): thrown by ``withTimeout(_:_:)``,
/// ``EventLoop/withDeadline(_:_:)``, ``waitFor(timeout:_:)``, `wait`'s and `asCompleted`'s timeouts.
public struct TimeoutError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Creates the error.
    public init() {}
    /// The error's message.
    public var description: String { "TimeoutError" }
}
