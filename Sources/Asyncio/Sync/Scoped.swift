/// A primitive held between `acquire()` and `release()`: Lock and Semaphore share one scoped helper,
/// the Swift form of asyncio's `async with`.
protocol AcquireReleasable: AnyObject {
    nonisolated(nonsending) func acquire() async throws
    func release() throws
}

extension AcquireReleasable {
    /// Runs `body` between `acquire()` and `release()`, releasing also when `body` throws.
    @inline(__always)
    nonisolated(nonsending) func holding<T>(_ body: () async throws -> T) async throws -> T {
        try await acquire()
        do {
            let result = try await body()
            try release()
            return result
        } catch {
            try? release()
            throw error
        }
    }
}

extension Lock: AcquireReleasable {}
extension Semaphore: AcquireReleasable {}
