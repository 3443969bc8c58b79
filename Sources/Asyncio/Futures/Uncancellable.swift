extension EventLoop {
    /// Runs `body` as a task of its own and waits for it to finish even if the calling task is
    /// cancelled: the form of asyncio's "catch `CancelledError`, clean up with awaits, re-raise".
    ///
    /// Swift cancellation cannot be withdrawn, so once a task is cancelled every later wait in it
    /// throws again, and a cleanup such as `try await sleep(for: .seconds(1))` would throw at once. Put the
    /// cleanup in `uncancellable { }`: it runs in a fresh task that nobody cancelled, and the caller
    /// waits for it (cancellation of the caller is not propagated to it). Returns its result or
    /// rethrows its error.
    public func uncancellable<T>(_ body: sending @escaping () async throws -> T) async throws -> T {
        let task = try createTask(name: "uncancellable", body)
        if !task.isDone {
            try await suspendIgnoringCancellation("uncancellable") { waiter in
                task.onDone { _ in waiter.resume() }
            }
        }
        return try task.result()
    }
}

/// Runs cleanup work that must finish even though the calling task was cancelled, on the running loop;
/// see ``EventLoop/uncancellable(_:)``.
nonisolated(nonsending) public func uncancellable<T>(_ body: sending @escaping () async throws -> T) async throws -> T {
    try await EventLoop.running().uncancellable(body)
}
