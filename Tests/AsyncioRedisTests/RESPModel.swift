import AsyncioRedis

/// The model the parser is checked against: random replies, and a plain serialiser written from the
/// RESP3 specification (not from the parser), choosing at random among the encodings that mean the
/// same reply (the three nulls, `-` and `!` errors, attributes in front of any value).
enum RESPModel {
    /// Characters of simple strings and error messages: no CR or LF, some multi-byte UTF-8.
    static let lineCharacters: [Character] = Array("abcXYZ 019:+-$*%_,#(=!?.é日🙂\t")
    /// Bytes of bulk strings: anything, CR and LF included.
    static let bulkBytes: [UInt8] = Array("ab\r\n$*:-+".utf8) + [0, 0xFF, 0x80]

    static func line<R: RandomNumberGenerator>(_ rng: inout R) -> String {
        String((0..<Int.random(in: 0...12, using: &rng)).map { _ in lineCharacters.randomElement(using: &rng)! })
    }

    /// A random reply nested at most `depth` deep.
    static func reply<R: RandomNumberGenerator>(_ rng: inout R, depth: Int) -> RedisReply {
        switch Int.random(in: 0..<(depth > 0 ? 14 : 9), using: &rng) {
        case 0: return .simpleString(line(&rng))
        case 1: return .error(RedisServerError(message: line(&rng)))
        case 2:
            return .integer([Int.min, Int.max, 0, -1, Int.random(in: -1000...1000, using: &rng), Int.random(in: .min ... .max, using: &rng)]
                .randomElement(using: &rng)!)
        case 3: return .bulkString((0..<Int.random(in: 0...24, using: &rng)).map { _ in bulkBytes.randomElement(using: &rng)! })
        case 4: return .null
        case 5:
            return .double([0, 1.5, -2.25, .infinity, -.infinity, 1e300, -1e-300, Double.random(in: -1e6...1e6, using: &rng)]
                .randomElement(using: &rng)!)
        case 6: return .boolean(Bool.random(using: &rng))
        case 7:
            let digits = String((0..<Int.random(in: 1...40, using: &rng)).map { _ in "0123456789".randomElement(using: &rng)! })
            return .bigNumber((Bool.random(using: &rng) ? "-" : "") + digits)
        case 8: return .verbatimString(format: ["txt", "mkd", "abc"].randomElement(using: &rng)!, text: line(&rng) + "\r\n" + line(&rng))
        case 9, 13: return .array(list(&rng, depth: depth - 1))
        case 10:
            return .map((0..<Int.random(in: 0...3, using: &rng)).map { _ in
                RedisReply.Pair(key: reply(&rng, depth: depth - 1), value: reply(&rng, depth: depth - 1))
            })
        case 11: return .set(list(&rng, depth: depth - 1))
        default: return .push(list(&rng, depth: depth - 1))
        }
    }

    static func list<R: RandomNumberGenerator>(_ rng: inout R, depth: Int) -> [RedisReply] {
        (0..<Int.random(in: 0...4, using: &rng)).map { _ in reply(&rng, depth: depth) }
    }

    /// `reply` in RESP, one of its encodings chosen with `rng`.
    static func encode<R: RandomNumberGenerator>(_ reply: RedisReply, _ rng: inout R, attributes: Bool = true) -> [UInt8] {
        var out: [UInt8] = []
        if attributes && Int.random(in: 0..<10, using: &rng) == 0 {  // an attribute, which the parser drops
            out += bytes("|1\r\n")
            out += encode(.simpleString("key-popularity"), &rng, attributes: false)
            out += encode(RESPModel.reply(&rng, depth: 1), &rng, attributes: false)
        }
        switch reply {
        case .simpleString(let text): out += bytes("+\(text)\r\n")
        case .error(let error):
            let message = Array(error.message.utf8)
            out += Bool.random(using: &rng) ? bytes("-\(error.message)\r\n") : bytes("!\(message.count)\r\n") + message + bytes("\r\n")
        case .integer(let value): out += bytes(":\(value)\r\n")
        case .bulkString(let data): out += bytes("$\(data.count)\r\n") + data + bytes("\r\n")
        case .null: out += bytes(["$-1\r\n", "*-1\r\n", "_\r\n"].randomElement(using: &rng)!)
        case .double(let value): out += bytes(",\(value)\r\n")
        case .boolean(let value): out += bytes(value ? "#t\r\n" : "#f\r\n")
        case .bigNumber(let digits): out += bytes("(\(digits)\r\n")
        case .verbatimString(let format, let text):
            let data = Array("\(format):\(text)".utf8)
            out += bytes("=\(data.count)\r\n") + data + bytes("\r\n")
        case .array(let elements): out += aggregate("*", elements, &rng)
        case .set(let elements): out += aggregate("~", elements, &rng)
        case .push(let elements): out += aggregate(">", elements, &rng)
        case .map(let pairs): out += aggregate("%", pairs.flatMap { [$0.key, $0.value] }, &rng, count: pairs.count)
        }
        return out
    }

    private static func aggregate<R: RandomNumberGenerator>(
        _ type: String, _ elements: [RedisReply], _ rng: inout R, count: Int? = nil
    ) -> [UInt8] {
        bytes("\(type)\(count ?? elements.count)\r\n") + elements.flatMap { encode($0, &rng) }
    }

    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
}

/// A random stream of replies, encoded, and where it is cut into chunks.
struct ParseCase: CustomStringConvertible, Sendable {
    var replies: [RedisReply]
    /// Each reply's encoding.
    var encodings: [[UInt8]]
    /// Chunk sizes (the rest goes in a last chunk).
    var cuts: [Int]

    var bytes: [UInt8] { encodings.flatMap { $0 } }

    var chunks: [[UInt8]] {
        var rest = bytes[...]
        var chunks: [[UInt8]] = []
        for cut in cuts where !rest.isEmpty {
            chunks.append(Array(rest.prefix(cut)))
            rest = rest.dropFirst(cut)
        }
        if !rest.isEmpty { chunks.append(Array(rest)) }
        return chunks
    }

    static func random<R: RandomNumberGenerator>(_ rng: inout R) -> ParseCase {
        let replies = (0..<Int.random(in: 1...6, using: &rng)).map { _ in RESPModel.reply(&rng, depth: 3) }
        let encodings = replies.map { RESPModel.encode($0, &rng) }
        let total = encodings.reduce(0) { $0 + $1.count }
        var cuts: [Int] = []
        var covered = 0
        while covered < total {
            let cut = Bool.random(using: &rng) ? Int.random(in: 1...3, using: &rng) : Int.random(in: 1...64, using: &rng)
            cuts.append(cut)
            covered += cut
        }
        return ParseCase(replies: replies, encodings: encodings, cuts: cuts)
    }

    /// Simpler cases for the shrinker: a reply fewer, two chunks merged.
    var smaller: [ParseCase] {
        var candidates: [ParseCase] = []
        for index in replies.indices where replies.count > 1 {
            var smaller = self
            smaller.replies.remove(at: index)
            smaller.encodings.remove(at: index)
            candidates.append(smaller)
        }
        for index in cuts.indices.dropLast() {
            var smaller = self
            smaller.cuts[index] += smaller.cuts.remove(at: index + 1)
            candidates.append(smaller)
        }
        return candidates
    }

    var description: String {
        "ParseCase(replies: \(replies.map { "\($0)".debugDescription }), bytes: \(String(decoding: bytes, as: UTF8.self).debugDescription), chunks: \(chunks.map(\.count)))"
    }
}
