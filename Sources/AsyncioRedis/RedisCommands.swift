/// Something that sends Redis commands — a ``RedisConnection`` or a ``RedisPool`` — and the
/// convenience methods for common commands built on it.
///
/// Each convenience method sends one command with the connection's default timeout and turns the
/// reply into a Swift value; an error reply is thrown as ``RedisServerError``, a reply of an
/// unexpected kind as ``RedisError/Kind/unexpectedReply``.
public protocol RedisCommands {
    /// Sends one command and returns its reply; see ``RedisConnection/send(_:timeout:)-([String],_)``.
    nonisolated(nonsending) func send(_ arguments: [String], timeout: Duration?) async throws -> RedisReply
    /// Sends one command whose arguments are bytes; see ``RedisConnection/send(_:timeout:)-([[UInt8]],_)``.
    nonisolated(nonsending) func send(_ arguments: [[UInt8]], timeout: Duration?) async throws -> RedisReply
    /// Sends a batch of commands at once; see ``RedisConnection/pipeline(_:timeout:)``.
    nonisolated(nonsending) func pipeline(_ commands: [[String]], timeout: Duration?) async throws -> [RedisReply]
}

extension RedisCommands {
    /// Sends one command given as separate strings: `send("HSET", "user:1", "name", "Ada")`.
    nonisolated(nonsending) public func send(_ arguments: String..., timeout: Duration? = nil) async throws -> RedisReply {
        try await send(arguments, timeout: timeout)
    }

    /// `PING`: the server's answer, `PONG`.
    nonisolated(nonsending) public func ping() async throws -> String {
        try expect(try await send(["PING"], timeout: nil), "PING") { $0.string }
    }

    /// `GET key`: the value as UTF-8 text, or nil when the key does not exist.
    nonisolated(nonsending) public func get(_ key: String) async throws -> String? {
        try expectOptional(try await send(["GET", key], timeout: nil), "GET") { $0.string }
    }

    /// `GET key`: the value's bytes, or nil when the key does not exist.
    nonisolated(nonsending) public func getBytes(_ key: String) async throws -> [UInt8]? {
        try expectOptional(try await send(["GET", key], timeout: nil), "GET") { $0.bytes }
    }

    /// `SET key value [PX milliseconds]`: stores `value`, expiring after `expiration` when given.
    nonisolated(nonsending) public func set(_ key: String, _ value: String, expiration: Duration? = nil) async throws {
        var arguments = ["SET", key, value]
        if let expiration { arguments += ["PX", String(milliseconds(expiration))] }
        _ = try expect(try await send(arguments, timeout: nil), "SET") { $0.string }
    }

    /// `SET key value [PX milliseconds]` with a binary value.
    nonisolated(nonsending) public func set(_ key: String, _ value: [UInt8], expiration: Duration? = nil) async throws {
        var arguments = [Array("SET".utf8), Array(key.utf8), value]
        if let expiration { arguments += [Array("PX".utf8), Array(String(milliseconds(expiration)).utf8)] }
        _ = try expect(try await send(arguments, timeout: nil), "SET") { $0.string }
    }

    /// `DEL key...`: how many of the keys existed and were removed.
    @discardableResult
    nonisolated(nonsending) public func del(_ keys: String...) async throws -> Int {
        try expect(try await send(["DEL"] + keys, timeout: nil), "DEL") { $0.int }
    }

    /// `EXISTS key...`: how many of the keys exist.
    nonisolated(nonsending) public func exists(_ keys: String...) async throws -> Int {
        try expect(try await send(["EXISTS"] + keys, timeout: nil), "EXISTS") { $0.int }
    }

    /// `INCR key` (or `INCRBY key amount`): the value after adding `amount`.
    @discardableResult
    nonisolated(nonsending) public func incr(_ key: String, by amount: Int = 1) async throws -> Int {
        let arguments = amount == 1 ? ["INCR", key] : ["INCRBY", key, String(amount)]
        return try expect(try await send(arguments, timeout: nil), "INCR") { $0.int }
    }

    /// `DECR key` (or `DECRBY key amount`): the value after subtracting `amount`.
    @discardableResult
    nonisolated(nonsending) public func decr(_ key: String, by amount: Int = 1) async throws -> Int {
        let arguments = amount == 1 ? ["DECR", key] : ["DECRBY", key, String(amount)]
        return try expect(try await send(arguments, timeout: nil), "DECR") { $0.int }
    }

    /// `INCRBYFLOAT key amount`: the value after adding `amount`.
    @discardableResult
    nonisolated(nonsending) public func incrByFloat(_ key: String, by amount: Double) async throws -> Double {
        try expect(try await send(["INCRBYFLOAT", key, String(amount)], timeout: nil), "INCRBYFLOAT") { $0.double }
    }

    /// `PEXPIRE key milliseconds`: whether the key exists (and now expires after `duration`).
    @discardableResult
    nonisolated(nonsending) public func expire(_ key: String, after duration: Duration) async throws -> Bool {
        try expect(try await send(["PEXPIRE", key, String(milliseconds(duration))], timeout: nil), "PEXPIRE") { $0.bool }
    }

    /// `MGET key...`: each key's value, nil for those that do not exist.
    nonisolated(nonsending) public func mget(_ keys: [String]) async throws -> [String?] {
        try expect(try await send(["MGET"] + keys, timeout: nil), "MGET") { reply in
            reply.array?.map { $0.isNull ? nil : $0.string }
        }
    }

    /// `HSET key field value`: 1 if the field is new, 0 if it was updated.
    @discardableResult
    nonisolated(nonsending) public func hset(_ key: String, _ field: String, _ value: String) async throws -> Int {
        try expect(try await send(["HSET", key, field, value], timeout: nil), "HSET") { $0.int }
    }

    /// `HGET key field`: the field's value, or nil.
    nonisolated(nonsending) public func hget(_ key: String, _ field: String) async throws -> String? {
        try expectOptional(try await send(["HGET", key, field], timeout: nil), "HGET") { $0.string }
    }

    /// `HGETALL key`: every field and value of the hash (empty when the key does not exist).
    nonisolated(nonsending) public func hgetall(_ key: String) async throws -> [String: String] {
        try expect(try await send(["HGETALL", key], timeout: nil), "HGETALL") { reply in
            reply.pairs.map { pairs in
                Dictionary(pairs.map { ($0.key.string ?? "", $0.value.string ?? "") }, uniquingKeysWith: { $1 })
            }
        }
    }

    /// `LPUSH key value...`: the length of the list afterwards.
    @discardableResult
    nonisolated(nonsending) public func lpush(_ key: String, _ values: String...) async throws -> Int {
        try expect(try await send(["LPUSH", key] + values, timeout: nil), "LPUSH") { $0.int }
    }

    /// `RPUSH key value...`: the length of the list afterwards.
    @discardableResult
    nonisolated(nonsending) public func rpush(_ key: String, _ values: String...) async throws -> Int {
        try expect(try await send(["RPUSH", key] + values, timeout: nil), "RPUSH") { $0.int }
    }

    /// `LRANGE key start stop`: the elements from `start` to `stop` inclusive (negative: from the end).
    nonisolated(nonsending) public func lrange(_ key: String, _ start: Int, _ stop: Int) async throws -> [String] {
        try expect(try await send(["LRANGE", key, String(start), String(stop)], timeout: nil), "LRANGE") { reply in
            reply.array.map { $0.compactMap(\.string) }
        }
    }

    /// `SADD key member...`: how many members were new.
    @discardableResult
    nonisolated(nonsending) public func sadd(_ key: String, _ members: String...) async throws -> Int {
        try expect(try await send(["SADD", key] + members, timeout: nil), "SADD") { $0.int }
    }

    /// `SMEMBERS key`: the members of the set.
    nonisolated(nonsending) public func smembers(_ key: String) async throws -> Set<String> {
        try expect(try await send(["SMEMBERS", key], timeout: nil), "SMEMBERS") { reply in
            reply.array.map { Set($0.compactMap(\.string)) }
        }
    }

    /// `PUBLISH channel message`: how many subscribers received it.
    @discardableResult
    nonisolated(nonsending) public func publish(_ channel: String, _ message: String) async throws -> Int {
        try expect(try await send(["PUBLISH", channel, message], timeout: nil), "PUBLISH") { $0.int }
    }
}

/// `reply` turned into a value by `convert`, or ``RedisError/Kind/unexpectedReply``.
private func expect<T>(_ reply: RedisReply, _ command: String, _ convert: (RedisReply) -> T?) throws -> T {
    guard let value = convert(reply) else {
        throw RedisError(.unexpectedReply, command: command, message: "unexpected reply \(reply)")
    }
    return value
}

/// Like `expect`, with null turned into nil.
private func expectOptional<T>(_ reply: RedisReply, _ command: String, _ convert: (RedisReply) -> T?) throws -> T? {
    reply.isNull ? nil : try expect(reply, command, convert)
}

/// Whole milliseconds of `duration`, rounded up from Asyncio's one `Duration` → nanoseconds
/// conversion (an expiry never ends early), at least 1 (Redis refuses an expiry of 0).
private func milliseconds(_ duration: Duration) -> Int64 {
    max(1, (duration.signedNanoseconds + 999_999) / 1_000_000)
}
