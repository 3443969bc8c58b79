import AsyncioHTTP
import HTTPTypes
import Testing

@Suite("HTTPParser")
struct HTTPParserTests {
    @Test func aSimpleRequest() throws {
        let outcome = parse("GET /a?b=c HTTP/1.1\r\nHost: example.com\r\nX-Y:  z \r\n\r\n")
        #expect(outcome.error == nil)
        #expect(outcome.messages == [ParsedMessage(
            startLine: "GET /a?b=c HTTP/1.1", fields: ["host: example.com", "x-y: z"], keepAlive: true, body: [])])
    }

    @Test func headFieldsOfARequest() throws {
        var parser = HTTPParser(.request)
        let bytes = Array("POST /p HTTP/1.1\r\nHost: h:8\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc".utf8)
        try bytes.withUnsafeBytes { raw in
            var input = raw
            guard case .request(let head)? = try parser.next(&input) else { Issue.record("no head"); return }
            #expect(head.request.method == .post)
            #expect(head.request.authority == "h:8")
            #expect(head.request.path == "/p")
            #expect(head.request.scheme == nil)
            #expect(head.expectsContinue)
            #expect(head.framing == .length(3))
            #expect(parser.hasPartialMessage)
            guard case .body(let body)? = try parser.next(&input) else { Issue.record("no body"); return }
            #expect(Array(body) == Array("abc".utf8))
            guard case .end(nil)? = try parser.next(&input) else { Issue.record("no end"); return }
            #expect(try parser.next(&input) == nil)
            #expect(!parser.hasPartialMessage)
        }
    }

    @Test func keepAliveRules() {
        #expect(parse("GET / HTTP/1.1\r\nHost: h\r\n\r\n").messages.first?.keepAlive == true)
        #expect(parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n").messages.first?.keepAlive == false)
        #expect(parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, CLOSE\r\n\r\n").messages.first?.keepAlive == false)
        #expect(parse("GET / HTTP/1.0\r\n\r\n").messages.first?.keepAlive == false)
        #expect(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").messages.first?.keepAlive == true)
    }

    @Test func chunkedBodiesWithExtensionsAndTrailers() {
        let outcome = parse(
            "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5;name=value\r\nhello\r\n1 ; x\r\n!\r\nA\r\n0123456789\r\n0\r\nX-Sum: 1\r\nY: 2\r\n\r\n")
        #expect(outcome.error == nil)
        #expect(outcome.messages.first?.body == Array("hello!0123456789".utf8))
        #expect(outcome.messages.first?.trailers == ["x-sum: 1", "y: 2"])
    }

    @Test func pipelinedRequests() {
        let outcome = parse(
            "GET /1 HTTP/1.1\r\nHost: h\r\n\r\nPOST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi"
            + "\r\nGET /3 HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(outcome.error == nil)
        #expect(outcome.messages.map(\.startLine) == ["GET /1 HTTP/1.1", "POST /2 HTTP/1.1", "GET /3 HTTP/1.1"])
    }

    @Test func responsesWithAndWithoutBodies() {
        let text = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n"
            + "Content-Length: 10\r\n\r\nHTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n"
            + "HTTP/1.0 200 OK\r\n\r\nuntil the end"
        let outcome = parse(text, .response, finish: true, methods: [.post, .head, .get, .get, .get])
        #expect(outcome.error == nil)
        #expect(outcome.messages.map(\.startLine) == [
            "HTTP/1.1 100 Continue", "HTTP/1.1 200 OK", "HTTP/1.1 200 OK", "HTTP/1.1 204 No Content",
            "HTTP/1.1 304 Not Modified", "HTTP/1.0 200 OK",
        ])
        #expect(outcome.messages.map(\.body.count) == [0, 2, 0, 0, 0, 13])
        #expect(outcome.messages.last?.keepAlive == false)
        #expect(parse("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", .response).messages.first?.startLine == "HTTP/1.1 200 ")
    }

    @Test func anIncompleteMessageAtTheEnd() {
        #expect(parse("GET / HTTP/1.1\r\nHost", finish: true).error == HTTPParseError(.incompleteMessage))
        #expect(parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab", .response, finish: true).error
            == HTTPParseError(.incompleteMessage))
        #expect(parse("", finish: true).error == nil)
    }

    /// Each refusal with the status a server answers.
    @Test(arguments: [
        ("GET / HTTP/1.1\nHost: h\n\n", HTTPParseError.Kind.bareLineFeed, 400),
        ("GET / HTTP/1.1\r\nHost: h\n\r\n", .bareLineFeed, 400),
        ("GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n", .invalidHeader, 400),
        ("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n folded\r\n\r\n", .obsoleteLineFolding, 400),
        ("GET / HTTP/1.1\r\nHost : h\r\n\r\n", .invalidHeader, 400),
        ("GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n", .invalidHeader, 400),
        ("GET / HTTP/1.1\r\nHost: h\r\nX: \u{1}\r\n\r\n", .invalidHeader, 400),
        ("GET  / HTTP/1.1\r\nHost: h\r\n\r\n", .malformedStartLine, 400),
        ("GET /\r\n\r\n", .malformedStartLine, 400),
        ("G(T / HTTP/1.1\r\nHost: h\r\n\r\n", .malformedStartLine, 400),
        ("GET / HTTP/2.0\r\nHost: h\r\n\r\n", .unsupportedVersion, 505),
        ("GET / HTTP/1.2\r\nHost: h\r\n\r\n", .unsupportedVersion, 505),
        ("GET / HTTQ/1.1\r\nHost: h\r\n\r\n", .malformedStartLine, 400),
        ("GET / HTTP/1.1\r\n\r\n", .invalidHost, 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", .invalidHost, 400),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", .contentLengthWithTransferEncoding, 400),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", .conflictingContentLength, 400),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1, 2\r\n\r\n", .conflictingContentLength, 400),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +1\r\n\r\n", .invalidContentLength, 400),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1 2\r\n\r\n", .invalidContentLength, 400),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999\r\n\r\n", .invalidContentLength, 400),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", .unsupportedTransferEncoding, 501),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", .invalidTransferEncoding, 400),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", .invalidTransferEncoding, 400),
        ("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", .invalidTransferEncoding, 400),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\n", .invalidChunk, 400),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\n", .invalidChunk, 400),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5 \r\n", .invalidChunk, 400),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n\r\n", .invalidChunk, 400),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello", .invalidChunk, 400),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhello\r\n", .invalidChunk, 400),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000\r\n", .invalidChunk, 400),
    ])
    func refusals(text: String, kind: HTTPParseError.Kind, status: Int) {
        let outcome = parse(text)
        #expect(outcome.error == HTTPParseError(kind), "\(text.debugDescription)")
        #expect(outcome.error?.status.code == status)
    }

    @Test func limits() {
        let limits = HTTPParser.Limits(maxStartLineLength: 20, maxHeaderBytes: 100, maxHeaderCount: 3, maxBodySize: 10)
        // 414 as soon as the line is too long, before its end arrives.
        #expect(parse("GET /" + String(repeating: "a", count: 30), limits: limits).error == HTTPParseError(.startLineTooLong))
        #expect(parse("GET /" + String(repeating: "a", count: 30), limits: limits).error?.status == .uriTooLong)
        #expect(parse("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", limits: limits).error
            == HTTPParseError(.tooManyHeaders))
        #expect(parse("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n", limits: limits).error == nil)
        #expect(parse("GET / HTTP/1.1\r\nHost: h\r\nA: " + String(repeating: "v", count: 100), limits: limits).error
            == HTTPParseError(.headersTooLarge))
        #expect(parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n", limits: limits).error
            == HTTPParseError(.bodyTooLarge))
        #expect(parse("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n", limits: limits).error
            == HTTPParseError(.bodyTooLarge))
        #expect(parse("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n5\r\nhello\r\n0\r\n\r\n",
                      limits: limits).error == nil)
        #expect(HTTPParseError(.bodyTooLarge).status == .contentTooLarge)
        #expect(HTTPParseError(.headersTooLarge).status == .requestHeaderFieldsTooLarge)
    }

    @Test func emptyLinesBeforeARequestAreSkipped() {
        let outcome = parse("\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(outcome.error == nil)
        #expect(outcome.messages.count == 1)
    }

    @Test func aFailedParserStaysFailed() {
        var parser = HTTPParser(.request)
        let first = parse([Array("GET / HTTP/1.1\nHost".utf8)], with: &parser)
        #expect(first.error == HTTPParseError(.bareLineFeed))
        let second = parse([Array("GET / HTTP/1.1\r\nHost: h\r\n\r\n".utf8)], with: &parser)
        #expect(second.error == HTTPParseError(.bareLineFeed))
        #expect(second.messages.isEmpty)
    }
}
