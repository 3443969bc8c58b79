import Asyncio
import AsyncioRedis

/// Runs `body` as the main task of a fresh loop on a thread of its own (never a Swift pool thread),
/// with a fresh `redis-server` started for it on a free port of 127.0.0.1; stops the server
/// (SIGTERM, reaped) afterwards, also when `body` throws. A missing `redis-server` fails the test
/// with ``RedisServerProcess/StartError``'s message (how to install it), never a skip. Starting gets
/// at most 30 seconds and `body` a minute, so a hang fails with `TimeoutError` instead of stalling
/// the suite.
func withRedisServer<T: Sendable>(
    _ body: @escaping @Sendable (RedisServerProcess, EventLoop) async throws -> T
) async throws -> T {
    try await run {
        let loop = try EventLoop.running()
        // Bounded too, although a server that cannot start ends its log (and so the wait) by exiting.
        let server = try await loop.withTimeout(.seconds(30)) { _ in try await RedisServerProcess.start() }
        do {
            let value = try await loop.withTimeout(.seconds(60)) { _ in try await body(server, loop) }
            try await server.stop()
            return value
        } catch {
            _ = try? await server.stop()
            throw error
        }
    }
}

/// The outcome of a task that is expected to fail: its error, or nil if it succeeded.
func failure<T>(of task: LoopTask<T>) async -> (any Error)? {
    do {
        _ = try await task.value
        return nil
    } catch {
        return error
    }
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
