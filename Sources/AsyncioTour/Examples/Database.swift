import Asyncio
import AsyncioRedis

extension Tour {
    /// aiomysql / redis: an asynchronous database client — connect, send commands, await the replies,
    /// pipeline, close — with `AsyncioRedis` against a real `redis-server` that the example starts on a
    /// free port of 127.0.0.1 (no persistence) and stops at the end. Without redis-server it says so
    /// (`make deps` installs it); there is no stand-in.
    static let database = Example(name: "database", title: "aiomysql / redis: an asynchronous database client") { out in
        let server: RedisServerProcess
        do {
            server = try await RedisServerProcess.start()
        } catch {
            out("database: redis-server could not be started, so this example cannot run: \(error)")
            return
        }
        let loop = try EventLoop.running()

        // One connection; each command awaited in turn.
        let redis = try await RedisConnection.connect(host: server.host, port: server.port)
        out("SET user:1 Alice -> \(try await redis.send("SET", "user:1", "Alice"))")
        out("SET user:2 Bob -> \(try await redis.send("SET", "user:2", "Bob"))")
        out("GET user:1 -> \(try await redis.get("user:1") ?? "(nil)")")
        out("GET user:3 -> \(try await redis.get("user:3") ?? "(nil)")")
        let keys = try await redis.send("KEYS", "user:*").array?.compactMap(\.string).sorted() ?? []
        out("KEYS user:* -> \(keys.joined(separator: ","))")

        // Commands from concurrent tasks share the connection: they go out in one write and their
        // replies come back in order (pipelining), like asyncio.gather over redis-py calls.
        let visits = try (1...3).map { _ in try loop.createTask { try await redis.incr("visits") } }
        out("INCR visits x3 (concurrent tasks) -> \(try await loop.gather(visits).map { String($0) }.joined(separator: ", "))")
        let batch = try await redis.pipeline([["INCRBY", "visits", "10"], ["GET", "visits"]])
        out("pipeline INCRBY visits 10, GET visits -> \(batch.map { $0.int.map { String($0) } ?? "?" }.joined(separator: ", "))")

        // An error reply is a typed Swift error; the connection goes on.
        do {
            _ = try await redis.send("LPUSH", "user:1", "x")
        } catch let error as RedisServerError {
            out("LPUSH user:1 x -> \(error.code) (a string is not a list)")
        }
        do {
            _ = try await redis.send("DROP")
        } catch let error as RedisServerError {
            out("DROP -> \(error.code) (unknown command)")
        }
        out("GET user:2 -> \(try await redis.get("user:2") ?? "(nil)")")
        redis.close()
        try await server.stop()
    }
}
