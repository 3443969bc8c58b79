import Asyncio
@testable import AsyncioRedis
import Testing

/// `RedisConnection` against a real redis-server (Debian's), started for each test on a free port.
@Suite("RedisConnection against redis-server")
struct RedisConnectionTests {
    @Test func everyRESP2ReplyKindComesTyped() async throws {
        try await withRedisServer { server, _ in
            let redis = try await RedisConnection.connect(host: server.host, port: server.port)
            defer { redis.close() }
            #expect(try await redis.send("PING") == .simpleString("PONG"))
            #expect(try await redis.send("SET", "k", "v") == .simpleString("OK"))
            #expect(try await redis.send("GET", "k") == .bulkString(bytes("v")))
            #expect(try await redis.send("GET", "missing") == .null)
            #expect(try await redis.send("INCR", "n") == .integer(1))
            #expect(try await redis.send("RPUSH", "list", "a", "b") == .integer(2))
            #expect(try await redis.send("LRANGE", "list", "0", "-1") == .array([.bulkString(bytes("a")), .bulkString(bytes("b"))]))
            #expect(try await redis.send("LRANGE", "missing", "0", "-1") == .array([]))
            #expect(try await redis.send("ZADD", "z", "1.5", "m") == .integer(1))
            #expect(try await redis.send("ZSCORE", "z", "m") == .bulkString(bytes("1.5")))  // RESP2: doubles are strings
            #expect(try await redis.send("BLPOP", "nothing", "0.01") == .null)               // RESP2's null array
            #expect(try await redis.send("HSET", "h", "f", "x") == .integer(1))
            #expect(try await redis.send("HGETALL", "h") == .array([.bulkString(bytes("f")), .bulkString(bytes("x"))]))
            #expect(redis.hello == nil)
        }
    }

    @Test func everyRESP3ReplyKindComesTyped() async throws {
        try await withRedisServer { server, _ in
            let redis = try await RedisConnection.connect(
                host: server.host, port: server.port, configuration: RedisConfiguration(protocolVersion: .resp3))
            defer { redis.close() }
            let hello = try #require(redis.hello)
            guard case .map = hello else { Issue.record("HELLO 3 gave \(hello)"); return }
            #expect(hello["proto"] == .integer(3))
            #expect(hello["server"]?.string == "redis")
            #expect(try await redis.send("GET", "missing") == .null)
            #expect(try await redis.send("HSET", "h", "f", "x") == .integer(1))
            #expect(try await redis.send("HGETALL", "h") == .map([.init(key: .bulkString(bytes("f")), value: .bulkString(bytes("x")))]))
            _ = try await redis.send("SADD", "s", "only")
            #expect(try await redis.send("SMEMBERS", "s") == .set([.bulkString(bytes("only"))]))
            _ = try await redis.send("ZADD", "z", "1.5", "m")
            #expect(try await redis.send("ZSCORE", "z", "m") == .double(1.5))
            #expect(try await redis.send("EVAL", "redis.setresp(3); return true", "0") == .boolean(true))
            #expect(try await redis.send("EVAL", "redis.setresp(3); return {double=3.5}", "0") == .double(3.5))
            #expect(try await redis.send("EVAL", "redis.setresp(3); return {big_number='12345678901234567890123'}", "0")
                == .bigNumber("12345678901234567890123"))
            let info = try await redis.send("INFO", "server")
            guard case .verbatimString(let format, let text) = info else { Issue.record("INFO gave \(info)"); return }
            #expect(format == "txt")
            #expect(text.hasPrefix("# Server"))
        }
    }

    @Test func theConvenienceCommandsReturnSwiftValues() async throws {
        try await withRedisServer { server, _ in
            let redis = try await RedisConnection.connect(host: server.host, port: server.port)
            defer { redis.close() }
            #expect(try await redis.ping() == "PONG")
            try await redis.set("greeting", "hello")
            #expect(try await redis.get("greeting") == "hello")
            #expect(try await redis.get("nothing") == nil)
            #expect(try await redis.exists("greeting", "nothing") == 1)
            #expect(try await redis.incr("hits") == 1)
            #expect(try await redis.incr("hits", by: 10) == 11)
            #expect(try await redis.decr("hits") == 10)
            #expect(try await redis.incrByFloat("ratio", by: 0.5) == 0.5)
            #expect(try await redis.mget(["greeting", "nothing", "hits"]) == ["hello", nil, "10"])
            #expect(try await redis.hset("user:1", "name", "Ada") == 1)
            #expect(try await redis.hget("user:1", "name") == "Ada")
            #expect(try await redis.hgetall("user:1") == ["name": "Ada"])
            #expect(try await redis.rpush("queue", "a", "b") == 2)
            #expect(try await redis.lpush("queue", "z") == 3)
            #expect(try await redis.lrange("queue", 0, -1) == ["z", "a", "b"])
            #expect(try await redis.sadd("tags", "x", "y", "x") == 2)
            #expect(try await redis.smembers("tags") == ["x", "y"])
            #expect(try await redis.expire("greeting", after: .seconds(100)))
            #expect(try await redis.send("TTL", "greeting").int.map { $0 > 90 } == true)
            #expect(try await redis.del("greeting", "hits", "nothing") == 2)
            #expect(try await redis.publish("nobody-listens", "hi") == 0)
            // Binary-safe: every byte value, CR and LF included.
            let everyByte = (0...255).map { UInt8($0) }
            try await redis.set("binary", everyByte)
            #expect(try await redis.getBytes("binary") == everyByte)
            await #expect(throws: RedisServerError.self) { try await redis.incr("queue") }  // a list: WRONGTYPE
        }
    }

    @Test func concurrentCommandsArePipelinedAndRepliesMatchedInOrder() async throws {
        try await withRedisServer { server, loop in
            let redis = try await RedisConnection.connect(host: server.host, port: server.port)
            defer { redis.close() }
            let writesBefore = redis.writeCount
            let tasks = try (0..<500).map { index in
                try loop.createTask { () async throws -> (Int, RedisReply) in
                    (index, try await redis.send(index % 2 == 0 ? ["INCR", "n"] : ["GET", "n"]))
                }
            }
            try await loop.sleep(for: .zero)  // every task has sent its command: all 500 are in flight
            #expect(redis.inFlightCount == 500)
            let results = try await loop.gather(tasks)
            #expect(redis.writeCount - writesBefore == 1)  // one write for the 500 commands
            // INCR k-th gives k; the GET after it sees that value.
            for (index, reply) in results {
                let expected = index / 2 + 1
                #expect(reply == (index % 2 == 0 ? .integer(expected) : .bulkString(bytes(String(expected)))), "command \(index)")
            }
            #expect(redis.inFlightCount == 0)
        }
    }

    @Test func aPipelineReturnsEveryReplyInOrderWithErrorsInPlace() async throws {
        try await withRedisServer { server, _ in
            let redis = try await RedisConnection.connect(host: server.host, port: server.port)
            defer { redis.close() }
            let replies = try await redis.pipeline([
                ["SET", "a", "1"], ["INCR", "a"], ["LPUSH", "a", "x"], ["GET", "a"], ["NOSUCHCOMMAND"],
            ])
            #expect(replies.count == 5)
            #expect(replies[0] == .simpleString("OK"))
            #expect(replies[1] == .integer(2))
            guard case .error(let wrongType) = replies[2], case .error(let unknown) = replies[4] else {
                Issue.record("no errors in place: \(replies)")
                return
            }
            #expect(wrongType.code == "WRONGTYPE")
            #expect(unknown.code == "ERR")
            #expect(replies[3] == .bulkString(bytes("2")))
            // MULTI ... EXEC in one batch is a transaction: nothing else is sent between its commands.
            let transaction = try await redis.pipeline([["MULTI"], ["INCR", "t"], ["INCR", "t"], ["EXEC"]])
            #expect(transaction == [.simpleString("OK"), .simpleString("QUEUED"), .simpleString("QUEUED"), .array([.integer(1), .integer(2)])])
            #expect(try await redis.pipeline([]) == [])
        }
    }

    @Test func anErrorReplyIsThrownTypedAndTheConnectionGoesOn() async throws {
        try await withRedisServer { server, loop in
            let redis = try await RedisConnection.connect(host: server.host, port: server.port)
            defer { redis.close() }
            try await redis.set("k", "v")
            // A failing command between two others, all in flight together.
            let before = try loop.createTask { try await redis.send("INCR", "n") }
            let failing = try loop.createTask { try await redis.send("LPUSH", "k", "x") }
            let after = try loop.createTask { try await redis.get("k") }
            let error = try #require(await failure(of: failing) as? RedisServerError)
            #expect(error.code == "WRONGTYPE")
            #expect(error.message.hasPrefix("WRONGTYPE Operation against a key holding the wrong kind of value"))
            #expect(try await before.value == .integer(1))
            #expect(try await after.value == "v")
            await #expect(throws: RedisServerError.self) { try await redis.send("NOSUCHCOMMAND") }
            #expect(redis.isOpen)
            #expect(try await redis.get("k") == "v")
        }
    }

    @Test func everyCommandInFlightFailsClearlyWhenTheConnectionIsKilled() async throws {
        try await withRedisServer { server, loop in
            let redis = try await RedisConnection.connect(host: server.host, port: server.port)
            let admin = try await RedisConnection.connect(host: server.host, port: server.port)
            defer { admin.close() }
            let id = try #require(try await redis.send("CLIENT", "ID").int)
            // BLPOP blocks the connection on the server; the GETs queue up behind it.
            let blocked = try loop.createTask { try await redis.send("BLPOP", "never", "0") }
            let queued = try (0..<10).map { _ in try loop.createTask { try await redis.get("k") } }
            try await loop.sleep(for: .zero)
            try await loop.sleep(for: .zero)
            #expect(redis.inFlightCount == 11)
            #expect(try await admin.send("CLIENT", "KILL", "ID", String(id)) == .integer(1))
            var failures = [await failure(of: blocked)]
            for task in queued { failures.append(await failure(of: task)) }
            for (index, failure) in failures.enumerated() {
                let error = try #require(failure as? RedisError, "command \(index) got \(String(describing: failure))")
                #expect(error.kind == .connectionLost)
                #expect(error.command == (index == 0 ? "BLPOP" : "GET"))
                #expect("\(error)".contains("was lost before the reply came"))
            }
            #expect(!redis.isOpen)
            #expect(redis.inFlightCount == 0)
            // A later command fails at once, with the same reason.
            let late = try #require(await failure(of: try loop.createTask { try await redis.ping() }) as? RedisError)
            #expect(late.kind == .connectionLost)
            #expect(late.command == "PING")
        }
    }

    @Test func everyCommandInFlightFailsWhenTheServerDies() async throws {
        try await withRedisServer { server, loop in
            let redis = try await RedisConnection.connect(host: server.host, port: server.port)
            let blocked = try loop.createTask { try await redis.send("BLPOP", "never", "0") }
            let queued = try loop.createTask { try await redis.pipeline([["GET", "a"], ["GET", "b"]]) }
            try await loop.sleep(for: .zero)
            try await loop.sleep(for: .zero)
            #expect(redis.inFlightCount == 3)
            #expect(try await server.kill() == -9)
            let first = try #require(await failure(of: blocked) as? RedisError)
            let second = try #require(await failure(of: queued) as? RedisError)
            #expect(first.kind == .connectionLost && first.command == "BLPOP")
            #expect(second.kind == .connectionLost && second.command == "pipeline of 2 commands")
            // Nothing listens any more: a new connection is refused.
            await #expect(throws: IOError.self) { _ = try await RedisConnection.connect(host: server.host, port: server.port) }
        }
    }

    @Test func aTimedOutCommandThrowsAndItsLateReplyGoesToNobody() async throws {
        try await withRedisServer { server, loop in
            let redis = try await RedisConnection.connect(host: server.host, port: server.port)
            let admin = try await RedisConnection.connect(host: server.host, port: server.port)
            defer { redis.close(); admin.close() }
            try await redis.set("k", "v")
            await #expect(throws: RedisError(.timedOut, command: "BLPOP", message: "no reply within 0.05 seconds")) {
                try await redis.send(["BLPOP", "jobs", "0"], timeout: .milliseconds(50))
            }
            #expect(redis.isOpen)
            // The server still blocks in BLPOP: a GET sent now waits behind it, and must get its own
            // reply once the BLPOP's late reply has been read and dropped.
            let get = try loop.createTask { try await redis.get("k") }
            try await loop.sleep(for: .zero)
            #expect(redis.inFlightCount == 2)
            #expect(try await admin.rpush("jobs", "job-1") == 1)
            #expect(try await get.value == "v")
            #expect(try await admin.send("LLEN", "jobs") == .integer(0))  // the BLPOP did take the job
            // The configuration's default timeout applies to every command.
            let impatient = try await RedisConnection.connect(
                host: server.host, port: server.port, configuration: RedisConfiguration(commandTimeout: .milliseconds(20)))
            defer { impatient.close() }
            let error = try #require(await failure(of: try loop.createTask { try await impatient.send("BLPOP", "jobs", "0") }) as? RedisError)
            #expect(error.kind == .timedOut)
            let batch = try #require(await failure(of: try loop.createTask {
                try await impatient.pipeline([["PING"], ["BLPOP", "jobs", "0"]])
            }) as? RedisError)
            #expect(batch.kind == .timedOut)
        }
    }

    @Test func closingFailsTheCommandsInFlightAndLaterOnes() async throws {
        try await withRedisServer { server, loop in
            let redis = try await RedisConnection.connect(host: server.host, port: server.port)
            let blocked = try loop.createTask { try await redis.send("BLPOP", "never", "0") }
            try await loop.sleep(for: .zero)
            redis.close()
            let error = try #require(await failure(of: blocked) as? RedisError)
            #expect(error.kind == .closed)
            #expect(error.command == "BLPOP")
            await #expect(throws: RedisError.self) { try await redis.ping() }
            redis.close()  // harmless
        }
    }

    @Test func cancellingACallerDropsItsReplyOnly() async throws {
        try await withRedisServer { server, loop in
            let redis = try await RedisConnection.connect(host: server.host, port: server.port)
            defer { redis.close() }
            let cancelled = try loop.createTask { try await redis.send("INCR", "n") }
            let next = try loop.createTask { try await redis.send("INCR", "n") }
            try await loop.sleep(for: .zero)
            cancelled.cancel()
            await #expect(throws: CancelledError.self) { try await cancelled.value }
            #expect(try await next.value == .integer(2))  // the first INCR ran; its reply was dropped
            #expect(try await redis.get("n") == "2")
        }
    }

    @Test func aMissingRedisServerIsAClearErrorNotASkip() async throws {
        let message = try await run { () async throws -> String in
            do {
                _ = try await RedisServerProcess.start(executable: "/nonexistent/redis-server")
                return "started"
            } catch let error as RedisServerProcess.StartError {
                return error.message
            }
        }
        #expect(message.contains("/nonexistent/redis-server was not found"))
        #expect(message.contains("apt-get install redis-server"))
    }

    @Test func theServerHelperStopsItsServer() async throws {
        let (status, log) = try await run { () async throws -> (Int32, [String]) in
            let server = try await RedisServerProcess.start()
            let status = try await server.stop()
            return (status, server.log)
        }
        #expect(status == 0)  // SIGTERM: redis-server shuts down cleanly
        #expect(log.contains { $0.contains("Ready to accept connections") })
        #expect(log.contains { $0.contains("Redis is now ready to exit") })
    }

    @Test func theHandshakeSelectsTheDatabaseAndNamesTheClient() async throws {
        try await withRedisServer { server, _ in
            for version in [RedisProtocolVersion.resp2, .resp3] {
                let redis = try await RedisConnection.connect(
                    host: server.host, port: server.port,
                    configuration: RedisConfiguration(protocolVersion: version, database: 3, clientName: "tester-\(version.rawValue)"))
                defer { redis.close() }
                #expect(try await redis.send("CLIENT", "GETNAME").string == "tester-\(version.rawValue)")
                #expect(try await redis.send("CLIENT", "INFO").string?.contains(" db=3 ") == true)
            }
            // A password the server does not have: the handshake's error is thrown.
            await #expect(throws: RedisServerError.self) {
                _ = try await RedisConnection.connect(
                    host: server.host, port: server.port, configuration: RedisConfiguration(password: "wrong"))
            }
        }
    }
}
