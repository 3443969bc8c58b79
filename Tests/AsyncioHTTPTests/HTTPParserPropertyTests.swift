@testable import AsyncioHTTP
import HTTPTypes
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A message the model writes: its bytes, and what a parser must yield for it.
struct ModelMessage: CustomStringConvertible {
    var bytes: [UInt8]
    var expected: ParsedMessage
    /// An interim (1xx) response: it answers no request of its own, so it has no entry in ``ParserCase/methods``.
    var isInterim = false
    var description: String { escapedBytes(bytes) }
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
    /// The seed ``random(seed:shape:cutCount:)`` made this case from, when it did, and with what.
    var seed: UInt64?
    var shape: [RequestShape]?
    var cutCount: Int?

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

    /// Everything needed to replay the case exactly: its seed, the stream's bytes (escaped, and in hex),
    /// the cut offsets, the chunks they make, and what the model expects.
    var description: String {
        let stream = stream
        return """
            mode .\(mode), seed \(seed.map(hexSeed) ?? "none"), methods \(methods.map(\.rawValue)), endsAtClose \(endsAtClose)
            cuts \(cuts) (chunk sizes \(chunks.map(\.count)))
            stream (\(stream.count) bytes, by message):
            \(messages.enumerated().map { "  [\($0.offset)] \($0.element)" }.joined(separator: "\n"))
            stream hex: \(hexString(stream))
            expected: \(messages.map(\.expected))
            replay: ParserReplay(mode: .\(mode), methods: \(methods.map(\.rawValue)), hex: "\(hexString(stream))", cuts: \(cuts))
            """
    }

    /// The parser's outcome against the model: nil when they agree, else what differs.
    func mismatch() -> String? {
        var parser = HTTPParser(mode)
        let outcome = parse(chunks, with: &parser, finish: true, methods: methods)
        var problems: [String] = []
        if let error = outcome.error { problems.append("the parser threw \(error)") }
        let expected = messages.map(\.expected)
        if outcome.messages != expected {
            problems.append("messages differ: " + describeDifference(expected: expected, parsed: outcome.messages))
        }
        if parser.hasPartialMessage { problems.append("the parser holds a partial message after finish()") }
        return problems.isEmpty ? nil : problems.joined(separator: "; ")
    }

    /// Smaller cases, all valid: a message removed (in response mode with the method it answers, if
    /// any: an interim response answers none), or a cut removed.
    var smaller: [ParserCase] {
        var candidates: [ParserCase] = []
        if messages.count > 1 {
            for index in messages.indices where !(endsAtClose && index == messages.count - 1) {
                var smaller = self
                smaller.messages.remove(at: index)
                if mode == .response && !messages[index].isInterim {
                    smaller.methods.remove(at: messages[..<index].count(where: { !$0.isInterim }))
                }
                candidates.append(smaller)
            }
        }
        for index in cuts.indices {
            var smaller = self
            smaller.cuts.remove(at: index)
            candidates.append(smaller)
        }
        for index in candidates.indices { candidates[index].seed = nil }  // no longer the seed's case
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

    /// Choices of a request that a caller fixes (``random(_:shape:cutCount:)``); the others stay random.
    struct RequestShape: Sendable {
        var method: String?
        var leadingEmptyLine: Bool?
        /// Chunked (so HTTP/1.1) or not.
        var chunked: Bool?
        var connectionClose: Bool?
        var bodyCount: Int?
    }

    /// A random case; with a `shape`, requests shaped so (one per element), cut `cutCount` times.
    static func random(_ rng: inout some RandomNumberGenerator, shape: [RequestShape]? = nil, cutCount: Int? = nil) -> ParserCase {
        let drawnMode: HTTPParser.Mode = Bool.random(using: &rng) ? .request : .response
        let mode = shape == nil ? drawnMode : .request
        var messages: [ModelMessage] = []
        var methods: [HTTPRequest.Method] = []
        let count = shape?.count ?? Int.random(in: 1...4, using: &rng)
        var endsAtClose = false
        for index in 0..<count {
            let isLast = index == count - 1
            let fixed = shape?[index]
            var text = ""
            var fields: [(String, String)] = []
            var version = Int.random(in: 0..<5, using: &rng) == 0 ? HTTPVersion.http1_0 : .http1_1
            if fixed?.chunked == true { version = .http1_1 }
            let bodyCount = fixed?.bodyCount
                ?? [0, Int.random(in: 0...10, using: &rng), Int.random(in: 0...3000, using: &rng)].randomElement(using: &rng)!
            let body = (0..<bodyCount).map { _ in UInt8.random(in: 0...255, using: &rng) }
            var expectedBody = body
            var chunked = fixed?.chunked ?? (version == .http1_1 && Bool.random(using: &rng))
            var keepAlive = version == .http1_1
            var startLine: String
            var mayHaveBody = true
            var untilClose = false
            switch mode {
            case .request:
                let method = fixed?.method ?? ["GET", "POST", "PUT", "DELETE", "PATCH", "M-SEARCH"].randomElement(using: &rng)!
                let target = "/" + randomString(targetAlphabet, 0...30, &rng)
                startLine = "\(method) \(target) \(version)"
                if fixed?.leadingEmptyLine ?? (Int.random(in: 0..<4, using: &rng) == 0) { text += "\r\n" }  // skipped before a request line
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
                        expected: ParsedMessage(startLine: interim, fields: [], keepAlive: keepAlive, body: []),
                        isInterim: true))
                }
                let finalCode = code == 100 ? 200 : code
                let reason = randomString(valueAlphabet, 0...12, &rng)
                startLine = "\(version) \(finalCode) \(reason)"
                text += startLine + "\r\n"
                mayHaveBody = method != .head && finalCode != 204 && finalCode != 304
                untilClose = isLast && mayHaveBody && !chunked && Bool.random(using: &rng)
            }
            fields += randomFields(&rng, count: 0...6)
            switch fixed?.connectionClose.map({ $0 ? 0 : 3 }) ?? Int.random(in: 0..<4, using: &rng) {
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
        let cuts = (0..<(cutCount ?? Int.random(in: 0...12, using: &rng))).map { _ in Int.random(in: 0...total, using: &rng) }.sorted()
        return ParserCase(mode: mode, messages: messages, cuts: cuts, methods: methods, endsAtClose: endsAtClose)
    }

    /// The case `seed` makes: every choice comes from one ``SeededGenerator`` seeded with it.
    static func random(seed: UInt64, shape: [RequestShape]? = nil, cutCount: Int? = nil) -> ParserCase {
        var rng = SeededGenerator(seed: seed)
        var example = random(&rng, shape: shape, cutCount: cutCount)
        example.seed = seed
        example.shape = shape
        example.cutCount = cutCount
        return example
    }

    /// Whether a failure is a function of the case: the case parsed again (same bytes, same cuts, a new
    /// parser) and, when it has a seed, made again from its seed. A failure that does not come back, or a
    /// case whose bytes changed, points outside the parser and the model (memory corrupted by another
    /// test in the process, say), not at a flaky parser: nothing here depends on anything but the seed.
    func replayVerdict(firstProblem: String) -> String {
        let again = (0..<3).map { _ in mismatch() }
        var verdict = again.allSatisfy({ $0 == firstProblem })
            ? "parsed 3 more times: the same failure each time (deterministic)"
            : "parsed 3 more times: \(again.map { $0 == nil ? "no failure" : $0 == firstProblem ? "the same failure" : "another failure: \($0!)" }) — NOT a function of the case"
        if let seed {
            let remade = ParserCase.random(seed: seed, shape: shape, cutCount: cutCount)
            verdict += remade.stream == stream && remade.cuts == cuts
                ? "; made again from its seed: the same bytes and cuts"
                : "; made again from its seed: OTHER bytes or cuts (the case changed in memory, or the generator is not seeded)"
        }
        return verdict
    }

    /// The smallest failing case reached from this failing one by ``smaller`` steps (greedy, as a
    /// property-testing library shrinks), and the number of steps.
    func shrunk() -> (ParserCase, steps: Int) {
        var current = self
        var steps = 0
        while let next = current.smaller.first(where: { $0.mismatch() != nil }) {
            current = next
            steps += 1
        }
        return (current, steps)
    }
}

/// Where the parsed messages first differ from the expected ones.
func describeDifference(expected: [ParsedMessage], parsed: [ParsedMessage]) -> String {
    var lines = ["expected \(expected.count) messages, parsed \(parsed.count)"]
    for index in 0..<max(expected.count, parsed.count) {
        let want = index < expected.count ? expected[index] : nil
        let got = index < parsed.count ? parsed[index] : nil
        guard want != got else { continue }
        lines.append("first difference at message \(index): expected \(want.map(String.init(describing:)) ?? "none"), parsed \(got.map(String.init(describing:)) ?? "none")")
        if let want, let got, want.body != got.body {
            let common = min(want.body.count, got.body.count)
            let at = (0..<common).first(where: { want.body[$0] != got.body[$0] }) ?? common
            lines.append("bodies differ from byte \(at)")
        }
        break
    }
    return lines.joined(separator: "; ")
}

/// A failing case's bytes and cuts as they were printed (``ParserCase/description``), replayed
/// without the model: cut as printed, the parser must give what it gives on the whole stream, without
/// an error. (A case's seed replays it through the model, while the generator is unchanged.)
struct ParserReplay: CustomStringConvertible, Sendable {
    var mode: HTTPParser.Mode
    /// The methods of the requests the responses answer (response mode), as `"GET"`.
    var methods: [String]
    var hex: String
    var cuts: [Int]

    var bytes: [UInt8] { bytesFromHex(hex) }
    var description: String { "ParserReplay(mode: .\(mode), cuts: \(cuts), \(bytes.count) bytes)" }

    /// The stream cut at `cuts` (zero-length pieces dropped).
    static func chunks(_ bytes: [UInt8], cuts: [Int]) -> [[UInt8]] {
        var chunks: [[UInt8]] = []
        var start = 0
        for cut in cuts.sorted() + [bytes.count] where cut > start && cut <= bytes.count {
            chunks.append(Array(bytes[start..<cut]))
            start = cut
        }
        return chunks
    }
}

/// SplitMix64 (Steele, Lea and Flood; the seeding generator of xoshiro): a whole case from one 64-bit
/// seed, the same on every run, build and platform. The test's only source of randomness.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func hexSeed(_ seed: UInt64) -> String { "0x" + String(seed, radix: 16) }

func hexString(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count * 2)
    for byte in bytes {
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 15)])
    }
    return String(decoding: out, as: UTF8.self)
}

func bytesFromHex(_ hex: String) -> [UInt8] {
    let digits = Array(hex.utf8).compactMap { byte -> UInt8? in
        switch byte {
        case 48...57: byte - 48
        case 97...102: byte - 87
        case 65...70: byte - 55
        default: nil  // spaces and line breaks between digits
        }
    }
    precondition(digits.count % 2 == 0, "an odd number of hex digits")
    return stride(from: 0, to: digits.count, by: 2).map { digits[$0] << 4 | digits[$0 + 1] }
}

/// Bytes as a readable string: printable ASCII as is, `\r`, `\n`, `\t`, any other byte as `\xNN`.
func escapedBytes(_ bytes: [UInt8]) -> String {
    var text = "\""
    for byte in bytes {
        switch byte {
        case 13: text += "\\r"
        case 10: text += "\\n"
        case 9: text += "\\t"
        case 34: text += "\\\""
        case 92: text += "\\\\"
        case 32..<127: text.unicodeScalars.append(Unicode.Scalar(byte))
        default: text += "\\x" + (byte < 16 ? "0" : "") + String(byte, radix: 16)
        }
    }
    return text + "\""
}

/// The seeds of a property test's cases. `ASYNCIO_PROPERTY_CASES` sets how many (default `defaultCases`);
/// `ASYNCIO_PROPERTY_SEED` fixes the run's seed (default: a random one, printed with any failure), from
/// which each case's seed is drawn; `ASYNCIO_PROPERTY_CASE_SEED` replays one case, by the seed a failure printed.
struct PropertyRun {
    var runSeed: UInt64
    var caseSeeds: [UInt64]

    init(defaultCases: Int) {
        if let seed = Self.environmentSeed("ASYNCIO_PROPERTY_CASE_SEED") {
            runSeed = seed
            caseSeeds = [seed]
            return
        }
        let count = getenv("ASYNCIO_PROPERTY_CASES").flatMap { Int(String(cString: $0)) } ?? defaultCases
        runSeed = Self.environmentSeed("ASYNCIO_PROPERTY_SEED") ?? UInt64.random(in: .min ... .max)
        var seeds = SeededGenerator(seed: runSeed)
        caseSeeds = (0..<count).map { _ in seeds.next() }
    }

    /// A decimal or `0x` hexadecimal seed from the environment.
    static func environmentSeed(_ name: String) -> UInt64? {
        guard let value = getenv(name).map({ String(cString: $0) }) else { return nil }
        if value.hasPrefix("0x") { return UInt64(value.dropFirst(2), radix: 16) }
        return UInt64(value)
    }

    /// How to replay the run, or one case of it.
    func replayHint(caseSeed: UInt64, filter: String) -> String {
        "replay this case: ASYNCIO_PROPERTY_CASE_SEED=\(hexSeed(caseSeed)) swift test --filter \(filter); "
            + "the whole run: ASYNCIO_PROPERTY_SEED=\(hexSeed(runSeed)) ASYNCIO_PROPERTY_CASES=\(caseSeeds.count)"
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
/// once it throws.
///
/// Every case comes from one 64-bit seed (``SeededGenerator``), and a failure prints that seed, the
/// stream's exact bytes and the cuts, before and after shrinking: `ASYNCIO_PROPERTY_CASE_SEED` replays
/// the case, a ``ParserReplay`` replays the bytes. ``PropertyRun`` lists the environment variables
/// (`ASYNCIO_PROPERTY_CASES` sets the number of cases, default ``defaultCases``).
@Suite("HTTPParser properties")
struct HTTPParserPropertyTests {
    static let defaultCases = 1000

    @Test func randomPipelinedMessagesInRandomChunksParseAsTheModelSays() {
        let run = PropertyRun(defaultCases: Self.defaultCases)
        for seed in run.caseSeeds {
            let example = ParserCase.random(seed: seed)
            guard let problem = example.mismatch() else { continue }
            let verdict = example.replayVerdict(firstProblem: problem)
            let (shrunk, steps) = example.shrunk()
            Issue.record("""
                The parser differs from the model: \(problem)
                Replayed: \(verdict)
                \(run.replayHint(caseSeed: seed, filter: "randomPipelinedMessagesInRandomChunksParseAsTheModelSays"))
                The case:
                \(example)
                Shrunk in \(steps) steps (\(shrunk.mismatch() ?? "")):
                \(shrunk)
                """)
            return
        }
    }

    /// A case is a function of its seed alone: the same twice in a process, and the same in every
    /// process (`fingerprint` is pinned below). A choice not drawn from the seeded generator — the
    /// global `Int.random(in:)`, or the order of a `Set` or `Dictionary`, whose hashing Swift seeds
    /// anew in every process — would change it from run to run, and a printed seed would not replay.
    /// If you change ``ParserCase/random(_:)`` (or a new toolchain changes the standard library's
    /// random algorithms), seeds printed before no longer replay their cases: update the pinned value.
    @Test func aCaseIsAFunctionOfItsSeedAlone() {
        func fingerprint(_ example: ParserCase) -> UInt64 {
            var hash: UInt64 = 0xCBF2_9CE4_8422_2325  // FNV-1a
            let text = Array(example.description.utf8) + example.stream
            for byte in text { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
            return hash
        }
        var combined: UInt64 = 0
        for seed in UInt64(1)...20 {
            let first = ParserCase.random(seed: seed)
            let second = ParserCase.random(seed: seed)
            #expect(first.stream == second.stream && first.cuts == second.cuts && first.methods == second.methods
                && first.messages.map(\.expected) == second.messages.map(\.expected), "seed \(seed)")
            combined = (combined ^ fingerprint(first)) &* 0x100_0000_01B3
        }
        #expect(combined == Self.pinnedFingerprint, "the cases of seeds 1...20 changed: \(hexSeed(combined))")
    }

    static let pinnedFingerprint: UInt64 = 0x75ea_c2c8_0771_be34

    /// Shrinking only ever tries valid cases: every ``ParserCase/smaller`` case of a case the parser
    /// passes passes too. (Removing an interim response once took the method of the next response
    /// with it, so a `HEAD` response's `Content-Length` was read as a body: a shrunk "failure" that
    /// was the shrinker's own.)
    @Test func aSmallerCaseOfAPassingCaseAlsoPasses() {
        let run = PropertyRun(defaultCases: 100)
        for seed in run.caseSeeds {
            let example = ParserCase.random(seed: seed)
            guard example.mismatch() == nil else { continue }  // the model test reports it
            for smaller in example.smaller {
                guard let problem = smaller.mismatch() else { continue }
                Issue.record("""
                    A smaller case of a passing case fails: \(problem)
                    \(run.replayHint(caseSeed: seed, filter: "aSmallerCaseOfAPassingCaseAlsoPasses"))
                    The case:
                    \(example)
                    The smaller case:
                    \(smaller)
                    """)
                return
            }
        }
    }

    /// Cases printed by a failure of the tests here (their `replay:` line), replayed byte for byte: cut as
    /// printed, the parser must give what it gives on the whole stream, without an error, and end between
    /// messages. The model is not needed, nor the generator that made the case (a seed replays a case only
    /// while ``ParserCase/random(_:shape:cutCount:)`` is unchanged).
    static let replays: [ParserReplay] = [
        // A request after an empty line whose CR and LF arrive in two reads: what a parser that skipped
        // the empty line only when its CR and LF came in one read failed on (the property test printed it,
        // shrunk, when such a fault was put in on purpose).
        ParserReplay(
            mode: .request, methods: [],
            hex: "0d0a504f5354202f20485454502f312e310d0a436f6e74656e742d4c656e6774683a202033090d0a486f73743a6461657577090d0a0d0a7bc46f",
            cuts: [1]),
    ]

    @Test(arguments: replays) func aReplayedCaseParsesAsItsWholeStreamDoes(_ replay: ParserReplay) throws {
        let methods = try replay.methods.map { try #require(HTTPRequest.Method($0)) }
        let bytes = replay.bytes
        var whole = HTTPParser(replay.mode)
        let wholeOutcome = parse([bytes], with: &whole, finish: true, methods: methods)
        var cut = HTTPParser(replay.mode)
        let cutOutcome = parse(ParserReplay.chunks(bytes, cuts: replay.cuts), with: &cut, finish: true, methods: methods)
        #expect(wholeOutcome.error == nil && !wholeOutcome.messages.isEmpty)
        #expect(cutOutcome.error == nil)
        #expect(cutOutcome.messages == wholeOutcome.messages,
                "\(describeDifference(expected: wholeOutcome.messages, parsed: cutOutcome.messages))")
        #expect(!cut.hasPartialMessage)
    }

    /// Bytes from HTTP's own alphabet, or a valid stream with bytes flipped, inserted or removed, in
    /// random chunks.
    static func garbage(_ rng: inout some RandomNumberGenerator) -> (HTTPParser.Mode, [[UInt8]]) {
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

    @Test func randomBytesGiveAnErrorOrNeedMoreNeverACrashOrAHang() {
        let limits = HTTPParser.Limits(maxStartLineLength: 64, maxHeaderBytes: 256, maxHeaderCount: 8)
        let run = PropertyRun(defaultCases: Self.defaultCases)
        for seed in run.caseSeeds {
            var rng = SeededGenerator(seed: seed)
            let (mode, chunks) = Self.garbage(&rng)
            let finish = Bool.random(using: &rng)
            var problems: [String] = []
            var parser = HTTPParser(mode, limits: limits)
            let total = chunks.reduce(0) { $0 + $1.count }
            let outcome = parse(chunks, with: &parser, finish: finish)
            // Every event but an end consumes at least one byte, and an end follows a head or a body:
            // more than two events per byte would be a loop.
            if outcome.events > 2 * total + 2 { problems.append("\(outcome.events) events for \(total) bytes") }
            if parser.bufferedByteCount > limits.maxHeaderBytes {
                problems.append("\(parser.bufferedByteCount) bytes held, above the head limit")
            }
            // The cuts do not matter: given whole, the same messages, and an error if and only if cut.
            var whole = HTTPParser(mode, limits: limits)
            let wholeOutcome = parse([chunks.flatMap { $0 }], with: &whole, finish: false)
            let cutOutcome = finishFree(chunks, mode: mode, limits: limits)
            if wholeOutcome.messages != cutOutcome.messages {
                problems.append("cut, other messages than whole: "
                    + describeDifference(expected: wholeOutcome.messages, parsed: cutOutcome.messages))
            }
            if (wholeOutcome.error == nil) != (cutOutcome.error == nil) {
                problems.append("whole: error \(String(describing: wholeOutcome.error)), cut: error \(String(describing: cutOutcome.error))")
            }
            if outcome.error != nil {
                let again = parse([Array("GET / HTTP/1.1\r\nHost: h\r\n\r\n".utf8)], with: &parser)
                if again.error != outcome.error || !again.messages.isEmpty { problems.append("a failed parser parsed on") }
            }
            guard !problems.isEmpty else { continue }
            let bytes = chunks.flatMap { $0 }
            let cuts = chunks.dropLast().reduce(into: [Int]()) { $0.append(($0.last ?? 0) + $1.count) }
            Issue.record("""
                \(problems.joined(separator: "; "))
                \(run.replayHint(caseSeed: seed, filter: "randomBytesGiveAnErrorOrNeedMoreNeverACrashOrAHang"))
                mode \(mode), finish \(finish), cuts \(cuts), \(bytes.count) bytes: \(escapedBytes(bytes))
                hex: \(hexString(bytes))
                """)
            return
        }
    }
}
