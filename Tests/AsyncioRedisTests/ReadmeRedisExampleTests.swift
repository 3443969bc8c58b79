import Asyncio
import AsyncioRedis
import Testing

/// The README's AsyncioRedis example, verbatim except for the server's port and `print`, which
/// collects the lines: if this breaks, the README is wrong.
@Suite("README: AsyncioRedis example")
struct ReadmeRedisExampleTests {
    @Test func theExamplePrintsWhatTheReadmeSays() async throws {
        let printed = try await withRedisServer { server, _ in
            let port = server.port
            let lines = Lines()
            func print(_ items: Any...) { lines.values.append(items.map { "\($0)" }.joined(separator: " ")) }

            let loop = try EventLoop.running()
            let redis = try await RedisConnection.connect(host: "127.0.0.1", port: port)
            defer { redis.close() }
            try await redis.set("greeting", "hello", expiration: .seconds(60))
            print(try await redis.get("greeting") ?? "(nil)")                 // hello

            let hits = try (1...3).map { _ in try loop.createTask { try await redis.incr("hits") } }
            print(try await loop.gather(hits))                                // [1, 2, 3]

            print(try await redis.send("HSET", "user:1", "name", "Ada"))      // (integer) 1
            print(try await redis.pipeline([["INCR", "n"], ["LPUSH", "n", "x"]]))

            do { _ = try await redis.send("LPUSH", "greeting", "x") }
            catch let error as RedisServerError { print(error.code) }         // WRONGTYPE; the connection goes on

            let news = try await RedisSubscription.connect(port: port, channels: ["news"])
            try await redis.publish("news", "extra!")
            for try await message in news { print(message.channel, message.string); break }  // news extra!
            news.close()
            return lines.values
        }
        #expect(printed == [
            "hello",
            "[1, 2, 3]",
            "(integer) 1",
            "[(integer) 1, (error) WRONGTYPE Operation against a key holding the wrong kind of value]",
            "WRONGTYPE",
            "news extra!",
        ])
    }
}

/// Printed lines (loop thread only).
final class Lines: @unchecked Sendable {
    var values: [String] = []
}
