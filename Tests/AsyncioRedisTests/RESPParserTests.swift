import AsyncioRedis
import Testing

/// The parser on hand-written RESP2 and RESP3 bytes, each kind of reply and each kind of bad input.
@Suite("RESP parser")
struct RESPParserTests {
    /// Parses `text` fed in one chunk and returns every complete reply.
    func parse(_ text: String, limits: RESPParser.Limits = RESPParser.Limits()) throws -> [RedisReply] {
        var parser = RESPParser(limits: limits)
        parser.feed(Array(text.utf8))
        var replies: [RedisReply] = []
        while let reply = try parser.next() { replies.append(reply) }
        return replies
    }

    func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func everyRESP2KindParses() throws {
        #expect(try parse("+OK\r\n") == [.simpleString("OK")])
        #expect(try parse("-WRONGTYPE Operation against a key\r\n") == [.error(RedisServerError(message: "WRONGTYPE Operation against a key"))])
        #expect(try parse(":-42\r\n:+7\r\n") == [.integer(-42), .integer(7)])
        #expect(try parse("$5\r\nhe\r\no\r\n$0\r\n\r\n") == [.bulkString(bytes("he\r\no")), .bulkString([])])
        #expect(try parse("$-1\r\n*-1\r\n") == [.null, .null])
        #expect(try parse("*3\r\n:1\r\n*1\r\n+a\r\n$1\r\nb\r\n*0\r\n")
            == [.array([.integer(1), .array([.simpleString("a")]), .bulkString(bytes("b"))]), .array([])])
    }

    @Test func everyRESP3KindParses() throws {
        #expect(try parse("_\r\n") == [.null])
        #expect(try parse(",3.25\r\n,inf\r\n,-inf\r\n,1e-3\r\n") == [.double(3.25), .double(.infinity), .double(-.infinity), .double(0.001)])
        #expect(try parse(",nan\r\n").first?.double?.isNaN == true)
        #expect(try parse("#t\r\n#f\r\n") == [.boolean(true), .boolean(false)])
        #expect(try parse("(-3492890328409238509324850943850943825024385\r\n") == [.bigNumber("-3492890328409238509324850943850943825024385")])
        #expect(try parse("=15\r\ntxt:Some string\r\n") == [.verbatimString(format: "txt", text: "Some string")])
        #expect(try parse("!21\r\nSYNTAX invalid syntax\r\n") == [.error(RedisServerError(message: "SYNTAX invalid syntax"))])
        #expect(try parse("%2\r\n+first\r\n:1\r\n$6\r\nsecond\r\n#t\r\n")
            == [.map([.init(key: .simpleString("first"), value: .integer(1)), .init(key: .bulkString(bytes("second")), value: .boolean(true))])])
        #expect(try parse("~2\r\n+a\r\n+b\r\n") == [.set([.simpleString("a"), .simpleString("b")])])
        #expect(try parse(">3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n")
            == [.push([.bulkString(bytes("message")), .bulkString(bytes("news")), .bulkString(bytes("hi"))])])
    }

    @Test func attributesAreDroppedWhereverTheyStand() throws {
        // Before a top-level reply, inside an array, and empty.
        #expect(try parse("|1\r\n+ttl\r\n:3600\r\n:42\r\n") == [.integer(42)])
        #expect(try parse("*2\r\n|1\r\n+a\r\n+b\r\n:1\r\n|0\r\n:2\r\n") == [.array([.integer(1), .integer(2)])])
    }

    @Test func aReplyFedOneByteAtATimeComesOutOnceComplete() throws {
        let text = "*2\r\n%1\r\n+k\r\n$3\r\nv\r\n\r\n~1\r\n,1.5\r\n+PONG\r\n"
        var parser = RESPParser()
        var replies: [RedisReply] = []
        for byte in bytes(text) {
            parser.feed([byte])
            while let reply = try parser.next() { replies.append(reply) }
        }
        #expect(replies == [
            .array([.map([.init(key: .simpleString("k"), value: .bulkString(bytes("v\r\n")))]), .set([.double(1.5)])]),
            .simpleString("PONG"),
        ])
        #expect(!parser.isMidReply)
        #expect(parser.bufferedByteCount == 0)
    }

    /// A large array arriving in small chunks is built element by element: the parser keeps only the
    /// bytes of the element in progress, so it never parses the array again from its start.
    @Test func aLargeArrayIsParsedIncrementally() throws {
        let count = 20_000
        let encoded = bytes("*\(count)\r\n") + (0..<count).flatMap { bytes("$5\r\n\(10_000 + $0)\r\n") }
        var parser = RESPParser()
        var result: RedisReply?
        var largestBuffer = 0
        var offset = 0
        while offset < encoded.count {
            let chunk = Array(encoded[offset..<min(offset + 100, encoded.count)])
            offset += chunk.count
            parser.feed(chunk)
            if let reply = try parser.next() { result = reply }
            largestBuffer = max(largestBuffer, parser.bufferedByteCount)
        }
        #expect(largestBuffer < 20)  // at most one element's bytes, never the array so far
        let elements = try #require(result?.array)
        #expect(elements.count == count)
        #expect(elements.last == .bulkString(bytes("\(10_000 + count - 1)")))
    }

    @Test("Bytes that are not RESP throw a protocol violation, and the parser stays failed", arguments: [
        "?what\r\n",            // unknown type byte
        "$-2\r\n",              // negative length other than -1
        "%-1\r\n",              // RESP3 aggregates have no null form
        ":12a\r\n",             // not an integer
        ":99999999999999999999\r\n",  // out of range
        ":\r\n",                // empty integer
        "+OK\rX",               // CR without LF
        "+O\nK\r\n",            // LF without CR
        "$3\r\nabcd\r\n",       // bulk data longer than announced
        "#x\r\n",               // bad boolean
        ",one\r\n",             // bad double
        "(12x\r\n",             // bad big number
        "=2\r\nab\r\n",         // verbatim string without format
        "_x\r\n",               // null with data
        "$?\r\n",               // streamed string (not sent by Redis)
        "*?\r\n",               // streamed aggregate
    ])
    func badInputIsAProtocolViolation(_ text: String) throws {
        var parser = RESPParser()
        parser.feed(bytes(text))
        #expect(throws: RedisError.self) { try parser.next() }
        do {
            _ = try parser.next()
            Issue.record("a failed parser parsed again")
        } catch let error as RedisError {
            #expect(error.kind == .protocolViolation)
        }
        parser.feed(bytes("+OK\r\n"))
        #expect(throws: RedisError.self) { try parser.next() }
    }

    @Test func theLimitsAreEnforced() throws {
        var limits = RESPParser.Limits()
        limits.maxDepth = 3
        limits.maxBulkLength = 4
        limits.maxAggregateLength = 10
        limits.maxLineLength = 8
        #expect(try parse("*1\r\n*1\r\n*1\r\n:1\r\n", limits: limits) == [.array([.array([.array([.integer(1)])])])])
        #expect(throws: RedisError.self) { try parse("*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n", limits: limits) }
        #expect(throws: RedisError.self) { try parse("$5\r\n", limits: limits) }
        #expect(throws: RedisError.self) { try parse("*11\r\n", limits: limits) }
        #expect(throws: RedisError.self) { try parse("+123456789", limits: limits) }  // no CRLF within 8 bytes
        #expect(try parse("+12345678\r\n", limits: limits) == [.simpleString("12345678")])
    }

    @Test func incompleteInputWaitsWithoutConsuming() throws {
        var parser = RESPParser()
        for text in ["$10\r\n01234", "56789", "\r", "\n"] {
            #expect(try parser.next() == nil)
            parser.feed(bytes(text))
        }
        #expect(try parser.next() == .bulkString(bytes("0123456789")))
        #expect(try parser.next() == nil)
    }

    @Test func replyAccessorsAndDescription() {
        let hash = RedisReply.array([.bulkString(bytes("name")), .bulkString(bytes("Ada"))])
        #expect(hash["name"]?.string == "Ada")
        #expect(RedisReply.bulkString(bytes("12")).int == 12)
        #expect(RedisReply.bulkString(bytes("1.5")).double == 1.5)
        #expect(RedisReply.integer(1).bool == true)
        #expect(RedisReply.null.isNull)
        #expect(RedisServerError(message: "WRONGTYPE Operation").code == "WRONGTYPE")
        #expect("\(RedisReply.array([.integer(1), .null, .bulkString(bytes("x"))]))" == "1) (integer) 1\n2) (nil)\n3) \"x\"")
    }
}
