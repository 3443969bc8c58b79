@testable import AsyncioHTTP
import HTTPTypes
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The pipelined pair a CI run under AddressSanitizer reported once from the property test (as far as
/// its log showed it): a chunked `DELETE` after an empty line, with `Connection: close`, then a `PUT`
/// with a 1427-byte body — here cut at every offset, and twice within the first message, against what
/// the model expects. The `PUT` after the `Connection: close` request is parsed like any other: the
/// parser only reports `keepAlive == false`; not reading on is the server's part (it closes once it
/// has answered the `DELETE`), as the model says.
@Suite("HTTPParser cuts")
struct HTTPParserCutTests {
    /// The shapes of the `DELETE`'s chunked body: chunks with and without extensions and a trailer
    /// section, or only the last chunk.
    enum DeleteBody: CaseIterable, CustomStringConvertible {
        case chunksAndTrailers
        case lastChunkOnly

        var description: String {
            switch self {
            case .chunksAndTrailers: "chunks, an extension and a trailer"
            case .lastChunkOnly: "only the last chunk"
            }
        }
    }

    static func deleteThenPut(_ shape: DeleteBody) -> ParserCase {
        var delete = Array("\r\nDELETE /items/7?x=1 HTTP/1.1\r\nHost: example\r\nConnection: close\r\nX-Id:\tab c \r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
        var deleteBody: [UInt8] = []
        var trailers: [String]?
        switch shape {
        case .chunksAndTrailers:
            let first = Array("hello\r\n".utf8), second = Array("\r\n0\r\n\r\n".utf8)  // framing-like data
            delete += Array("7;a=b;c=\"d e\"\r\n".utf8) + first + Array("\r\n".utf8)
            delete += Array("A\r\n".utf8) + second + [0xFF, 0x00, 0x0D] + Array("\r\n".utf8)
            delete += Array("0\r\nX-Trailer: t\r\n\r\n".utf8)
            deleteBody = first + second + [0xFF, 0x00, 0x0D]
            trailers = ["x-trailer: t"]
        case .lastChunkOnly:
            delete += Array("0\r\n\r\n".utf8)
        }
        // A body full of CR, LF, digits and head-like text, so that a cut landing anywhere in it looks
        // like something else to a parser in the wrong state.
        let pattern = Array("0\r\n\r\nGET / HTTP/1.1\r\n\r\n\u{0}\u{7F}".utf8) + [0x80, 0xFE]
        let putBody = (0..<1427).map { pattern[$0 % pattern.count] ^ (UInt8(truncatingIfNeeded: $0 / pattern.count) & 0x80) }
        let put = Array("PUT /upload HTTP/1.1\r\nHost: example\r\nContent-Length: 1427\r\n\r\n".utf8) + putBody
        return ParserCase(
            mode: .request,
            messages: [
                ModelMessage(bytes: delete, expected: ParsedMessage(
                    startLine: "DELETE /items/7?x=1 HTTP/1.1",
                    fields: ["host: example", "connection: close", "x-id: ab c", "transfer-encoding: chunked"],
                    keepAlive: false, body: deleteBody, trailers: trailers)),
                ModelMessage(bytes: put, expected: ParsedMessage(
                    startLine: "PUT /upload HTTP/1.1", fields: ["host: example", "content-length: 1427"],
                    keepAlive: true, body: putBody)),
            ],
            cuts: [], methods: [], endsAtClose: false)
    }

    /// Whole, the pair parses as the model says (the model itself is right).
    @Test(arguments: DeleteBody.allCases) func wholeThePairParsesAsTheModelSays(_ shape: DeleteBody) {
        let example = Self.deleteThenPut(shape)
        #expect(example.mismatch() == nil, "\(example)")
    }

    @Test(arguments: DeleteBody.allCases) func cutAtAnyOffsetThePairParsesAsTheModelSays(_ shape: DeleteBody) {
        var example = Self.deleteThenPut(shape)
        for cut in 1..<example.stream.count {
            example.cuts = [cut]
            if let problem = example.mismatch() {
                Issue.record("\(problem)\n\(example)")
                return
            }
        }
    }

    /// Two cuts in the `DELETE` (its empty line, request line, fields, chunk-size lines, chunk data and
    /// trailers) or on the first byte after it, at most 8 bytes apart (a lone CR, a lone LF, a chunk of a
    /// few bytes between two calls); every pair with `ASYNCIO_EXHAUSTIVE_CUTS=1` (14,000 pairs for the longer
    /// shape, seconds in a debug build).
    @Test(arguments: DeleteBody.allCases) func cutTwiceInTheFirstMessageThePairParsesAsTheModelSays(_ shape: DeleteBody) {
        var example = Self.deleteThenPut(shape)
        let end = example.messages[0].bytes.count + 1
        let exhaustive = getenv("ASYNCIO_EXHAUSTIVE_CUTS").map { String(cString: $0) == "1" } ?? false
        for first in 1..<end {
            for second in (first + 1)...(exhaustive ? end : min(end, first + 8)) {
                example.cuts = [first, second]
                if let problem = example.mismatch() {
                    Issue.record("\(problem)\n\(example)")
                    return
                }
            }
        }
    }

    /// The reported shape with every other choice random — the `DELETE`'s target, fields (order,
    /// padding), body size, chunking, extensions and trailers, the `PUT`'s fields and body bytes — cut
    /// ten times at random. ``PropertyRun`` sets the cases (default 100) and replays one.
    @Test func theReportedShapeWithRandomDetailsParsesAsTheModelSays() {
        let shape = [
            ParserCase.RequestShape(method: "DELETE", leadingEmptyLine: true, chunked: true, connectionClose: true),
            ParserCase.RequestShape(method: "PUT", chunked: false, bodyCount: 1427),
        ]
        let run = PropertyRun(defaultCases: 100)
        for seed in run.caseSeeds {
            let example = ParserCase.random(seed: seed, shape: shape, cutCount: 10)
            guard let problem = example.mismatch() else { continue }
            Issue.record("""
                The parser differs from the model: \(problem)
                Replayed: \(example.replayVerdict(firstProblem: problem))
                \(run.replayHint(caseSeed: seed, filter: "theReportedShapeWithRandomDetailsParsesAsTheModelSays"))
                \(example)
                """)
            return
        }
    }
}
