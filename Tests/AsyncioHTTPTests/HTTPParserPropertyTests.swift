@testable import AsyncioHTTP
import HTTPTypes
import PropertyBased
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A message the model writes: its bytes, and what a parser must yield for it.
struct ModelMessage: CustomStringConvertible {
    var bytes: [UInt8]
    var expected: ParsedMessage
    var description: String { String(decoding: bytes, as: UTF8.self).debugDescription }
}

/// Random valid messages, serialised, pipelined in one stream and cut at random points.
struct ParserCase: CustomStringConvertible {
    var mode: HTTPParser.Mode
    var messages: [ModelMessage]
    /// Where the stream is cut (sorted offsets).
    var cuts: [Int]
    /// The methods of the requests the responses answer (response mode).
    var methods: [HTTPRequest.Method]
    /// The last response's body runs until the connection closes.
    var endsAtClose: Bool

    var stream: [UInt8] { messages.flatMap(\.bytes) }

    var chunks: [[UInt8]] {
        let stream = stream
        var chunks: [[UInt8]] = []
        var start = 0
        for cut in cuts + [stream.count] where cut > start && cut <= stream.count {
            chunks.append(Array(stream[start..<cut]))
            start = cut
        }
        return chunks
    }

    var description: String { "\(mode) \(messages) cuts \(cuts) methods \(methods)" }

    var smaller: [ParserCase] {
        var candidates: [ParserCase] = []
        if messages.count > 1 {
            for index in messages.indices where !(endsAtClose && index == messages.count - 1) {
                var smaller = self
                smaller.messages.remove(at: index)
                if mode == .response { smaller.methods.remove(at: min(index, smaller.methods.count - 1)) }
                candidates.append(smaller)
            }
        }
        for index in cuts.indices {
            var smaller = self
            smaller.cuts.remove(at: index)
            candidates.append(smaller)
        }
        return candidates
    }

    static let tokenAlphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-!#$%&'*+.^_`|~".utf8)
    static let valueAlphabet = Array("abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 \t-!\"#$%&'()*+,./:;<=>?@[\\]^_`{|}~".utf8)
    static let targetAlphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789/?=&%-._~+".utf8)
    static let reserved: Set<String> = ["host", "content-length", "transfer-encoding", "connection", "expect"]

    static func randomString(_ alphabet: [UInt8], _ range: ClosedRange<Int>, _ rng: inout some RandomNumberGenerator) -> String {
        String(decoding: (0..<Int.random(in: range, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }, as: UTF8.self)
    }

    static func randomFields(_ rng: inout some RandomNumberGenerator, count: ClosedRange<Int>) -> [(String, String)] {
        (0..<Int.random(in: count, using: &rng)).compactMap { _ in
            let name = randomString(tokenAlphabet, 1...12, &rng)
            guard !reserved.contains(name.lowercased()) else { return nil }
            let value = randomString(valueAlphabet, 0...20, &rng).trimmingSpaces
            return (name, value)
        }
    }

    static func random(_ rng: inout some RandomNumberGenerator) -> ParserCase {
        let mode: HTTPParser.Mode = Bool.random(using: &rng) ? .request : .response
        var messages: [ModelMessage] = []
        var methods: [HTTPRequest.Method] = []
        let count = Int.random(in: 1...4, using: &rng)
        var endsAtClose = false
        for index in 0..<count {
            let isLast = index == count - 1
            var text = ""
            var fields: [(String, String)] = []
            let version = Int.random(in: 0..<5, using: &rng) == 0 ? HTTPVersion.http1_0 : .http1_1
            let body = (0..<[0, Int.random(in: 0...10, using: &rng), Int.random(in: 0...3000, using: &rng)]
                .randomElement(using: &rng)!).map { _ in UInt8.random(in: 0...255, using: &rng) }
            var expectedBody = body
            var chunked = version == .http1_1 && Bool.random(using: &rng)
            var keepAlive = version == .http1_1
            var startLine: String
            var mayHaveBody = true
            var untilClose = false
            switch mode {
            case .request:
                let method = ["GET", "POST", "PUT", "DELETE", "PATCH", "M-SEARCH"].randomElement(using: &rng)!
                let target = "/" + randomString(targetAlphabet, 0...30, &rng)
                startLine = "\(method) \(target) \(version)"
                if Int.random(in: 0..<4, using: &rng) == 0 { text += "\r\n" }  // skipped before a request line
                text += startLine + "\r\n"
                if version == .http1_1 || Bool.random(using: &rng) {
                    fields.append(("Host", randomString(targetAlphabet, 1...10, &rng)))
                }
            case .response:
                let method: HTTPRequest.Method = Int.random(in: 0..<4, using: &rng) == 0 ? .head : .get
                methods.append(method)
                let code = [200, 200, 201, 204, 304, 404, 500, 100].randomElement(using: &rng)!
                if code == 100 {
                    // An interim response first, for the same request.
                    let interim = "\(version) 100 Continue"
                    messages.append(ModelMessage(
                        bytes: Array("\(interim)\r\n\r\n".utf8),
                        expected: ParsedMessage(startLine: interim, fields: [], keepAlive: keepAlive, body: [])))
                }
                let finalCode = code == 100 ? 200 : code
                let reason = randomString(valueAlphabet, 0...12, &rng)
                startLine = "\(version) \(finalCode) \(reason)"
                text += startLine + "\r\n"
                mayHaveBody = method != .head && finalCode != 204 && finalCode != 304
                untilClose = isLast && mayHaveBody && !chunked && Bool.random(using: &rng)
            }
            fields += randomFields(&rng, count: 0...6)
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: fields.append(("Connection", "close")); keepAlive = false
            case 1 where version == .http1_0: fields.append(("connection", "Keep-Alive")); keepAlive = true
            default: break
            }
            if !mayHaveBody { expectedBody = []; chunked = false }
            var framing = ""
            var trailers: [(String, String)] = []
            if untilClose {
                keepAlive = false
                endsAtClose = true
            } else if chunked {
                fields.append(("Transfer-Encoding", "chunked"))
                var rest = body[...]
                while !rest.isEmpty {
                    let size = Int.random(in: 1...max(1, rest.count), using: &rng)
                    let ext = Bool.random(using: &rng) ? "" : ";a=b;c=\"d e\""
                    framing += String(size, radix: 16, uppercase: Bool.random(using: &rng)) + ext + "\r\n"
                    framing += String(decoding: [0], as: UTF8.self)  // placeholder, replaced below
                    rest = rest.dropFirst(size)
                }
                trailers = randomFields(&rng, count: 0...2)
            } else if !body.isEmpty || Bool.random(using: &rng) || (mode == .response && !untilClose) {
                fields.append(("Content-Length", mayHaveBody ? "\(body.count)" : "\(Int.random(in: 0...99, using: &rng))"))
            }
            fields.shuffle(using: &rng)
            for (name, value) in fields {
                let pad = [" ", "", "  ", "\t"].randomElement(using: &rng)!
                text += "\(name):\(pad)\(value)\([" ", "", "\t"].randomElement(using: &rng)!)\r\n"
            }
            text += "\r\n"
            var bytes = Array(text.utf8)
            if chunked {
                // The chunk lines, each followed by its data and CRLF.
                var rest = body[...]
                for line in framing.split(separator: "\u{0}", omittingEmptySubsequences: true) {
                    let size = Int(line.prefix { $0.isHexDigit }, radix: 16)!
                    bytes += Array(line.utf8) + rest.prefix(size) + Array("\r\n".utf8)
                    rest = rest.dropFirst(size)
                }
                bytes += Array("0\r\n".utf8)
                for (name, value) in trailers { bytes += Array("\(name): \(value)\r\n".utf8) }
                bytes += Array("\r\n".utf8)
            } else if mayHaveBody {
                bytes += body
            }
            let expected = ParsedMessage(
                startLine: startLine, fields: fields.map { "\($0.0.lowercased()): \($0.1)" }, keepAlive: keepAlive,
                body: expectedBody, trailers: trailers.isEmpty ? nil : trailers.map { "\($0.0.lowercased()): \($0.1)" })
            messages.append(ModelMessage(bytes: bytes, expected: expected))
            if untilClose { break }
        }
        let total = messages.reduce(0) { $0 + $1.bytes.count }
        let cuts = (0..<Int.random(in: 0...12, using: &rng)).map { _ in Int.random(in: 0...total, using: &rng) }.sorted()
        return ParserCase(mode: mode, messages: messages, cuts: cuts, methods: methods, endsAtClose: endsAtClose)
    }
}

/// `chunks` parsed without `finish()` (the garbage test's comparison with the whole input).
func finishFree(_ chunks: [[UInt8]], mode: HTTPParser.Mode, limits: HTTPParser.Limits) -> ParseOutcome {
    var parser = HTTPParser(mode, limits: limits)
    return parse(chunks, with: &parser, finish: false)
}

extension String {
    var trimmingSpaces: String {
        var scalars = Substring(self)
        while scalars.first == " " || scalars.first == "\t" { scalars.removeFirst() }
        while scalars.last == " " || scalars.last == "\t" { scalars.removeLast() }
        return String(scalars)
    }
}

/// The parser against the model: random valid messages (random fields, bodies, chunkings with
/// extensions and trailers, interim and bodiless responses, a body until the close), pipelined and
/// cut at random points, parse to exactly the model's messages; random and mutated bytes never crash
/// it, never make it loop, never make it hold more than its head limit, and leave it failed for good
/// once it throws. `ASYNCIO_PROPERTY_CASES` sets the number of cases (default ``defaultCases``).
@Suite("HTTPParser properties")
struct HTTPParserPropertyTests {
    static let defaultCases = 1000

    static var cases: Int {
        getenv("ASYNCIO_PROPERTY_CASES").flatMap { Int(String(cString: $0)) } ?? defaultCases
    }

    static var parserCases: Generator<ParserCase, [ParserCase]> {
        Generator(run: { rng in ParserCase.random(&rng) }, shrink: { $0.smaller })
    }

    @Test func randomPipelinedMessagesInRandomChunksParseAsTheModelSays() async {
        await propertyCheck(count: Self.cases, input: Self.parserCases) { example in
            var parser = HTTPParser(example.mode)
            let outcome = parse(example.chunks, with: &parser, finish: true, methods: example.methods)
            #expect(outcome.error == nil, "\(example)")
            #expect(outcome.messages == example.messages.map(\.expected), "\(example)")
            #expect(!parser.hasPartialMessage, "\(example)")
        }
    }

    /// Bytes from HTTP's own alphabet, or a valid stream with bytes flipped, inserted or removed.
    static var garbage: Generator<(HTTPParser.Mode, [[UInt8]]), Shrink.None<(HTTPParser.Mode, [[UInt8]])>> {
        Generator { rng in
            let alphabet = Array("GET / HTTP/1.1\r\n\r\n:;, \t0123456789abcdefABCDEF\nContent-Length: Transfer-Encoding: chunked\r\n".utf8) + [0, 0x80, 0xFF]
            var mode: HTTPParser.Mode = .request
            var bytes: [UInt8]
            if Bool.random(using: &rng) {
                bytes = (0..<Int.random(in: 0...300, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }
            } else {
                let example = ParserCase.random(&rng)
                mode = example.mode
                bytes = example.stream
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
                let size = Int.random(in: 1...64, using: &rng)
                chunks.append(Array(rest.prefix(size)))
                rest = rest.dropFirst(size)
            }
            return (mode, chunks)
        }
    }

    @Test func randomBytesGiveAnErrorOrNeedMoreNeverACrashOrAHang() async {
        let limits = HTTPParser.Limits(maxStartLineLength: 64, maxHeaderBytes: 256, maxHeaderCount: 8)
        await propertyCheck(count: Self.cases, input: Self.garbage) { mode, chunks in
            var parser = HTTPParser(mode, limits: limits)
            let total = chunks.reduce(0) { $0 + $1.count }
            let outcome = parse(chunks, with: &parser, finish: Bool.random())
            // Every event but an end consumes at least one byte, and an end follows a head or a body:
            // more than two events per byte would be a loop.
            #expect(outcome.events <= 2 * total + 2, "\(chunks)")
            #expect(parser.bufferedByteCount <= limits.maxHeaderBytes)
            // The cuts do not matter: given whole, the same messages, and an error if and only if cut.
            var whole = HTTPParser(mode, limits: limits)
            let wholeOutcome = parse([chunks.flatMap { $0 }], with: &whole, finish: false)
            let cutOutcome = finishFree(chunks, mode: mode, limits: limits)
            #expect(wholeOutcome.messages == cutOutcome.messages, "\(chunks)")
            #expect((wholeOutcome.error == nil) == (cutOutcome.error == nil), "\(chunks)")
            if outcome.error != nil {
                let again = parse([Array("GET / HTTP/1.1\r\nHost: h\r\n\r\n".utf8)], with: &parser)
                #expect(again.error == outcome.error && again.messages.isEmpty)
            }
        }
    }
}
