/// `release()` of a lock (or a condition's lock) that is not held: asyncio's
/// `RuntimeError('Lock is not acquired.')`.
public struct LockNotAcquiredError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Creates the error.
    public init() {}
    /// The error's message.
    public var description: String { "Lock is not acquired." }
}

/// `release()` of a ``BoundedSemaphore`` above its initial value: asyncio's
/// `ValueError('BoundedSemaphore released too many times')`.
public struct SemaphoreReleasedTooManyTimesError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Creates the error.
    public init() {}
    /// The error's message.
    public var description: String { "BoundedSemaphore released too many times" }
}

/// A ``Barrier`` was aborted or reset while tasks waited, or is broken (asyncio's `BrokenBarrierError`).
public struct BrokenBarrierError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Creates the error.
    public init() {}
    /// The error's message.
    public var description: String { "Barrier aborted" }
}
