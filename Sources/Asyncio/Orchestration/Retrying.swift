extension EventLoop {
    /// Runs `operation` up to `attempts` times, sleeping `delay` (times `backoff` after each failure)
    /// between attempts, and returns the first success or rethrows the last error: the article's
    /// `@async_retry(max_attempts, delay)` decorator as a higher-order function. Cancellation is never
    /// retried. `onRetry` sees each failed attempt number (1-based) and its error.
    nonisolated(nonsending) public func retrying<T>(
        attempts: Int, delay: Duration = .zero, backoff: Double = 1,
        onRetry: (_ attempt: Int, _ error: any Error) -> Void = { _, _ in },
        _ operation: () async throws -> T
    ) async throws -> T {
        try checkUsable("retrying")
        precondition(attempts >= 1, "attempts must be >= 1")
        var wait = delay
        var attempt = 1
        while true {
            do {
                return try await operation()
            } catch where !error.isCancellation && attempt < attempts {
                onRetry(attempt, error)
                try await sleep(for: wait)
                wait = wait * backoff
                attempt += 1
            }
        }
    }

    /// Runs `operation` and returns its result with the loop time it took: the article's
    /// `@async_timer` decorator as a higher-order function.
    nonisolated(nonsending) public func timed<T>(_ operation: () async throws -> T) async throws -> (result: T, duration: Duration) {
        try checkUsable("timed")
        let start = clock.now
        let result = try await operation()
        return (result, start.duration(to: clock.now))
    }
}

/// ``EventLoop/retrying(attempts:delay:backoff:onRetry:_:)`` on the running loop.
nonisolated(nonsending) public func retrying<T>(
    attempts: Int, delay: Duration = .zero, backoff: Double = 1,
    onRetry: (_ attempt: Int, _ error: any Error) -> Void = { _, _ in },
    _ operation: () async throws -> T
) async throws -> T {
    try await EventLoop.running().retrying(attempts: attempts, delay: delay, backoff: backoff, onRetry: onRetry, operation)
}

/// ``EventLoop/timed(_:)`` on the running loop.
nonisolated(nonsending) public func timed<T>(_ operation: () async throws -> T) async throws -> (result: T, duration: Duration) {
    try await EventLoop.running().timed(operation)
}
