import AsyncioRedis
import PropertyBased
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The parser against ``RESPModel``: random replies (every RESP2 and RESP3 kind, nested, with random
/// equivalent encodings and attributes), serialised, cut into random chunks, parse back equal; and
/// random or mutated bytes never crash it, never make it loop, and leave it failed for good once it
/// throws. `ASYNCIO_PROPERTY_CASES` sets the number of cases (default ``defaultCases``).
@Suite("RESP parser properties")
struct RESPParserPropertyTests {
    static let defaultCases = 3000

    static var cases: Int {
        getenv("ASYNCIO_PROPERTY_CASES").flatMap { Int(String(cString: $0)) } ?? defaultCases
    }

    static var parseCases: Generator<ParseCase, [ParseCase]> {
        Generator(run: { rng in ParseCase.random(&rng) }, shrink: { $0.smaller })
    }

    @Test func randomRepliesInRandomChunksParseBackEqual() async {
        await propertyCheck(count: Self.cases, input: Self.parseCases) { example in
            var parser = RESPParser()
            var parsed: [RedisReply] = []
            do {
                for chunk in example.chunks {
                    parser.feed(chunk)
                    while let reply = try parser.next() { parsed.append(reply) }
                }
            } catch {
                Issue.record("\(error) for \(example)")
            }
            #expect(parsed == example.replies, "\(example)")
            #expect(!parser.isMidReply && parser.bufferedByteCount == 0, "\(example)")
        }
    }

    /// Bytes from RESP's own alphabet (type bytes, digits, signs, CR, LF), or a valid encoding with
    /// bytes flipped, inserted or removed.
    static var garbage: Generator<[[UInt8]], Shrink.None<[[UInt8]]>> {
        Generator { rng in
            let alphabet = Array("+-:$*%~>|_,#(=!?\r\n\r\n0123456789-1ab".utf8)
            var bytes: [UInt8]
            if Bool.random(using: &rng) {
                bytes = (0..<Int.random(in: 0...200, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }
            } else {
                bytes = ParseCase.random(&rng).bytes
                for _ in 0..<Int.random(in: 1...4, using: &rng) where !bytes.isEmpty {
                    let index = Int.random(in: 0..<bytes.count, using: &rng)
                    switch Int.random(in: 0..<3, using: &rng) {
                    case 0: bytes[index] = alphabet.randomElement(using: &rng)!
                    case 1: bytes.insert(alphabet.randomElement(using: &rng)!, at: index)
                    default: bytes.remove(at: index)
                    }
                }
            }
            var chunks: [[UInt8]] = []
            var rest = bytes[...]
            while !rest.isEmpty {
                let size = Int.random(in: 1...32, using: &rng)
                chunks.append(Array(rest.prefix(size)))
                rest = rest.dropFirst(size)
            }
            return chunks
        }
    }

    @Test func randomBytesNeverCrashOrHang() async {
        await propertyCheck(count: Self.cases, input: Self.garbage) { chunks in
            var parser = RESPParser()
            let total = chunks.reduce(0) { $0 + $1.count }
            var replies = 0
            var failed = false
            chunks: for chunk in chunks {
                parser.feed(chunk)
                while true {
                    do {
                        guard try parser.next() != nil else { break }
                        replies += 1
                        // The smallest reply is 3 bytes (`_\r\n`): more replies than that would mean a
                        // reply made of nothing, i.e. a loop.
                        if replies > total / 3 {
                            Issue.record("\(replies) replies out of \(total) bytes: \(chunks)")
                            break chunks
                        }
                    } catch {
                        failed = true
                        break chunks
                    }
                }
            }
            if failed {
                #expect(throws: RedisError.self) { try parser.next() }  // stays failed
            }
        }
    }
}
