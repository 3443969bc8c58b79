/// One reply of a Redis server, typed as RESP2 and RESP3 type it.
///
/// RESP2 has simple strings, errors, integers, bulk strings, arrays and null; RESP3 (after
/// `HELLO 3`) adds maps, sets, doubles, booleans, big numbers, verbatim strings and out-of-band push
/// frames. Every kind of null (`$-1`, `*-1`, `_`) is ``null``. RESP3 attributes (`|`) are read and
/// dropped: the reply is the value they annotate.
///
/// Bulk strings are bytes (Redis strings are binary-safe); ``string`` decodes them as UTF-8.
public enum RedisReply: Sendable, Hashable {
    /// A status reply (`+OK`, `+PONG`).
    case simpleString(String)
    /// An error reply (`-ERR ...`, RESP3 blob errors `!`). ``RedisConnection/send(_:timeout:)-([String],_)``
    /// throws a top-level error reply as ``RedisServerError``; inside an array (the results of `EXEC`,
    /// a ``RedisConnection/pipeline(_:timeout:)``) it stays a value.
    case error(RedisServerError)
    /// An integer reply (`:42`), signed 64 bits.
    case integer(Int)
    /// A bulk string (`$3\r\nfoo`): binary-safe bytes.
    case bulkString([UInt8])
    /// An array (`*2 ...`).
    case array([RedisReply])
    /// A null: RESP2's null bulk string and null array, RESP3's `_`.
    case null
    /// A RESP3 double (`,3.14`, `,inf`, `,nan`).
    case double(Double)
    /// A RESP3 boolean (`#t`, `#f`).
    case boolean(Bool)
    /// A RESP3 big number (`(3492890328409238509324850943850943825024385`), as its decimal digits.
    case bigNumber(String)
    /// A RESP3 verbatim string (`=15\r\ntxt:Some string`): its three-letter format (`txt`, `mkd`) and text.
    case verbatimString(format: String, text: String)
    /// A RESP3 map (`%2 ...`), its pairs in the order the server sent them.
    case map([Pair])
    /// A RESP3 set (`~3 ...`), its members in the order the server sent them.
    case set([RedisReply])
    /// A RESP3 push frame (`>3 message channel payload`): out-of-band data such as pub/sub messages,
    /// never the reply to a command.
    case push([RedisReply])

    /// One key and value of a ``RedisReply/map(_:)``.
    public struct Pair: Sendable, Hashable {
        /// The key.
        public var key: RedisReply
        /// The value.
        public var value: RedisReply

        /// A pair of `key` and `value`.
        public init(key: RedisReply, value: RedisReply) {
            self.key = key
            self.value = value
        }
    }
}

extension RedisReply {
    /// The text of a simple string, a bulk string (decoded as UTF-8) or a verbatim string; nil for
    /// other kinds.
    public var string: String? {
        switch self {
        case .simpleString(let text): text
        case .bulkString(let bytes): String(decoding: bytes, as: UTF8.self)
        case .verbatimString(_, let text): text
        default: nil
        }
    }

    /// The bytes of a bulk string, a simple string or a verbatim string; nil for other kinds.
    public var bytes: [UInt8]? {
        switch self {
        case .bulkString(let bytes): bytes
        case .simpleString(let text): Array(text.utf8)
        case .verbatimString(_, let text): Array(text.utf8)
        default: nil
        }
    }

    /// The value of an integer reply, or of a string reply that holds a decimal integer; nil otherwise.
    public var int: Int? {
        switch self {
        case .integer(let value): value
        case .bulkString, .simpleString: string.flatMap { Int($0) }
        default: nil
        }
    }

    /// The value of a RESP3 double, of an integer, or of a string reply that holds a number (RESP2
    /// sends `INCRBYFLOAT`'s and `ZSCORE`'s results as bulk strings); nil otherwise.
    public var double: Double? {
        switch self {
        case .double(let value): value
        case .integer(let value): Double(value)
        case .bulkString, .simpleString: string.flatMap { Double($0) }
        default: nil
        }
    }

    /// The value of a RESP3 boolean, or of an integer reply 0 or 1 (RESP2's booleans); nil otherwise.
    public var bool: Bool? {
        switch self {
        case .boolean(let value): value
        case .integer(0): false
        case .integer(1): true
        default: nil
        }
    }

    /// The elements of an array, a set or a push frame; nil for other kinds.
    public var array: [RedisReply]? {
        switch self {
        case .array(let elements), .set(let elements), .push(let elements): elements
        default: nil
        }
    }

    /// The pairs of a RESP3 map, or of a RESP2 array of alternating keys and values (how RESP2 sends
    /// `HGETALL` and `HELLO`); nil for other kinds and for arrays of odd length.
    public var pairs: [Pair]? {
        switch self {
        case .map(let pairs):
            return pairs
        case .array(let elements) where elements.count % 2 == 0:
            return stride(from: 0, to: elements.count, by: 2).map { Pair(key: elements[$0], value: elements[$0 + 1]) }
        default:
            return nil
        }
    }

    /// Whether the reply is a null.
    public var isNull: Bool {
        if case .null = self { true } else { false }
    }

    /// The value of `key` in a map (see ``pairs``) whose keys are strings.
    public subscript(key: String) -> RedisReply? {
        pairs?.first { $0.key.string == key }?.value
    }
}

extension RedisReply: CustomStringConvertible {
    /// The reply as `redis-cli` shows it: `"text"`, `(integer) 1`, `(nil)`, `(error) ERR ...`, numbered
    /// lines for arrays.
    public var description: String { render(indent: 0) }

    private func render(indent: Int) -> String {
        func list(_ elements: [RedisReply]) -> String {
            if elements.isEmpty { return "(empty array)" }
            let width = String(elements.count).count
            let pad = String(repeating: " ", count: indent)
            return elements.enumerated().map { index, element in
                let number = String(index + 1)
                let label = String(repeating: " ", count: width - number.count) + number + ") "
                return (index == 0 ? "" : pad) + label + element.render(indent: indent + label.count)
            }.joined(separator: "\n")
        }
        switch self {
        case .simpleString(let text): return text
        case .error(let error): return "(error) \(error.message)"
        case .integer(let value): return "(integer) \(value)"
        case .bulkString: return "\"\(string ?? "")\""
        case .array(let elements), .set(let elements), .push(let elements): return list(elements)
        case .null: return "(nil)"
        case .double(let value): return "(double) \(value)"
        case .boolean(let value): return "(\(value))"
        case .bigNumber(let digits): return "(big number) \(digits)"
        case .verbatimString(_, let text): return "\"\(text)\""
        case .map(let pairs): return list(pairs.flatMap { [$0.key, $0.value] })
        }
    }
}
