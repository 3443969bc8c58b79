import Asyncio
import AsyncioRedis
import Testing

/// `RedisPool` and `RedisSubscription` against a real redis-server.
@Suite("RedisPool and pub/sub against redis-server")
struct RedisPoolAndPubSubTests {
    @Test func thePoolSpreadsConcurrentCommandsOverItsConnections() async throws {
        try await withRedisServer { server, loop in
            let pool = try RedisPool(host: server.host, port: server.port, size: 4)
            defer { pool.close() }
            #expect(pool.openConnectionCount == 0)  // nothing before the first command
            let tasks = try (0..<100).map { _ in try loop.createTask { try await pool.send("CLIENT", "ID").int ?? -1 } }
            let ids = try await loop.gather(tasks)
            #expect(Set(ids).count == 4)            // busy connections make the pool open more, up to its size
            #expect(pool.openConnectionCount == 4)
            // One at a time, idle connections take turns (round robin among equals).
            var sequential: [Int] = []
            for _ in 0..<8 { sequential.append(try await pool.send("CLIENT", "ID").int ?? -1) }
            #expect(Set(sequential) == Set(ids))
            #expect(try await pool.incr("hits") == 1)
            #expect(try await pool.pipeline([["INCR", "hits"], ["GET", "hits"]]) == [.integer(2), .bulkString(bytes("2"))])
        }
    }

    @Test func aPoolReconnectsForNewCommandsAfterItsConnectionDrops() async throws {
        try await withRedisServer { server, loop in
            let pool = try RedisPool(host: server.host, port: server.port, size: 1)
            let admin = try await RedisConnection.connect(host: server.host, port: server.port)
            defer { pool.close(); admin.close() }
            let first = try #require(try await pool.send("CLIENT", "ID").int)
            let inFlight = try loop.createTask { try await pool.send("BLPOP", "never", "0") }
            try await loop.sleep(for: .zero)
            try await loop.sleep(for: .zero)
            #expect(try await admin.send("CLIENT", "KILL", "ID", String(first)) == .integer(1))
            let error = try #require(await failure(of: inFlight) as? RedisError)
            #expect(error.kind == .connectionLost)  // never retried: it may have run
            #expect(pool.openConnectionCount == 0)
            let second = try #require(try await pool.send("CLIENT", "ID").int)  // a new connection
            #expect(second != first)
            #expect(pool.openConnectionCount == 1)
            pool.close()
            await #expect(throws: RedisError(.closed, message: "the pool was closed")) { try await pool.ping() }
        }
    }

    @Test("Messages of channels and patterns arrive in order; unsubscribing stops them", arguments: [RedisProtocolVersion.resp2, .resp3])
    func pubSubDeliversAndUnsubscribes(_ version: RedisProtocolVersion) async throws {
        try await withRedisServer { server, _ in
            let configuration = RedisConfiguration(protocolVersion: version)
            let pool = try RedisPool(host: server.host, port: server.port, configuration: configuration)
            defer { pool.close() }
            let subscription = try await pool.subscribe(channels: ["news", "sport"], patterns: ["user.*"])
            #expect(subscription.channels == ["news", "sport"])
            #expect(subscription.patterns == ["user.*"])
            #expect(try await pool.publish("news", "first") == 1)
            #expect(try await pool.publish("user.42", "second") == 1)
            #expect(try await pool.publish("weather", "nobody") == 0)
            var messages = subscription.makeAsyncIterator()
            #expect(try await messages.next() == RedisMessage(channel: "news", payload: bytes("first")))
            #expect(try await messages.next() == RedisMessage(channel: "user.42", pattern: "user.*", payload: bytes("second")))

            try await subscription.unsubscribe(["news"])
            #expect(subscription.channels == ["sport"])
            #expect(try await pool.publish("news", "unheard") == 0)
            try await subscription.punsubscribe()
            #expect(subscription.patterns.isEmpty)
            #expect(try await pool.publish("user.42", "unheard") == 0)
            #expect(try await pool.publish("sport", "third") == 1)
            #expect(try await messages.next()?.string == "third")

            try await subscription.subscribe(["news"])  // and back
            #expect(try await pool.publish("news", "fourth") == 1)
            #expect(try await messages.next()?.string == "fourth")
            #expect(try await pool.publish("sport", "fifth") == 1)
            #expect(try await messages.next()?.string == "fifth")
            subscription.close()
            #expect(try await messages.next() == nil)  // closed: the sequence ends
            #expect(try await messages.next() == nil)
        }
    }

    @Test func aSubscriptionThrowsWhenItsConnectionDrops() async throws {
        try await withRedisServer { server, loop in
            let subscription = try await RedisSubscription.connect(host: server.host, port: server.port, channels: ["news"])
            let admin = try await RedisConnection.connect(host: server.host, port: server.port)
            defer { admin.close() }
            let reader = try loop.createTask { () async throws -> [String] in
                var received: [String] = []
                for try await message in subscription { received.append(message.string) }
                return received
            }
            #expect(try await admin.publish("news", "before") == 1)
            #expect(try await admin.send("CLIENT", "KILL", "TYPE", "pubsub") == .integer(1))
            let error = try #require(await failure(of: reader) as? RedisError)
            #expect(error.kind == .connectionLost)
            await #expect(throws: RedisError.self) { try await subscription.subscribe(["more"]) }
        }
    }

    @Test func thousandsOfMessagesArriveInPublishOrder() async throws {
        try await withRedisServer { server, loop in
            let subscription = try await RedisSubscription.connect(host: server.host, port: server.port, patterns: ["p.*"])
            let publisher = try await RedisConnection.connect(host: server.host, port: server.port)
            defer { subscription.close(); publisher.close() }
            let count = 5000
            let replies = try await publisher.pipeline((0..<count).map { ["PUBLISH", "p.\($0 % 7)", String($0)] })
            #expect(replies.allSatisfy { $0 == .integer(1) })
            var received: [Int] = []
            for try await message in subscription {
                received.append(Int(message.string) ?? -1)
                if received.count == count { break }
            }
            #expect(received == Array(0..<count))
            _ = loop
        }
    }
}
