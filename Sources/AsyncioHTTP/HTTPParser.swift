import HTTPTypes
#if canImport(Glibc)
import Glibc
#endif

/// An incremental HTTP/1.1 parser of requests or responses (RFC 9112): pure, no I/O. Feed it the bytes
/// of a connection in chunks of any size, cut anywhere; it yields, for each message, its head, its body
/// in pieces, and its end — pipelined messages one after the other.
///
/// ```swift
/// var parser = HTTPParser(.request)
/// var input = UnsafeRawBufferPointer(...)      // bytes just read
/// while let event = try parser.next(&input) {
///     switch event {
///     case .request(let head): ...             // head.request, head.keepAlive, head.framing
///     case .response: break                    // only in .response mode
///     case .body(let bytes): ...               // a slice of `input`: copy what you keep
///     case .end(let trailers): ...             // the message is complete
///     }
/// }
/// // nil: every byte of `input` is consumed; feed the next chunk.
/// ```
///
/// Allocation-light: body bytes are handed out as slices of the input, never copied; a head that
/// arrives whole in one chunk is parsed in place (only a head cut across chunks is gathered into a
/// buffer, kept for the next head); what is allocated is what the head's `HTTPFields` need.
///
/// The strict, safe choice wherever RFC 9112 leaves one (request smuggling hides in the lenient ones):
/// lines must end in CRLF (a bare LF is ``HTTPParseError/Kind/bareLineFeed``); obsolete line folding,
/// a space before a field's colon, control characters in a field, `Content-Length` together with
/// `Transfer-Encoding`, differing `Content-Length` values, a `Transfer-Encoding` in HTTP/1.0 or whose last
/// coding is not `chunked`, a chunk size that is not plain hexadecimal, and an HTTP/1.1 request without
/// exactly one `Host` are all refused. Empty lines before a request line are skipped (RFC 9112 §2.2).
/// Every limit (``Limits``) is checked as bytes arrive, so a peer can make the parser hold at most
/// ``Limits/maxHeaderBytes`` bytes, whatever it sends.
///
/// After an error the parser stays failed: every later call throws the same error.
public struct HTTPParser: Sendable {
    /// What the parser reads.
    public enum Mode: Sendable, Hashable {
        /// Requests (a server).
        case request
        /// Responses (a client): tell it each request's method with ``expectResponse(to:)``, since
        /// the response to `HEAD` has no body.
        case response
    }

    /// The limits a peer's message must keep to; each one broken is an ``HTTPParseError`` whose
    /// ``HTTPParseError/status`` is what a server answers.
    public struct Limits: Sendable, Hashable {
        /// The longest request line or status line, CRLF excluded (default 8 KiB; beyond it: 414).
        public var maxStartLineLength: Int
        /// The most bytes of a head — start line, fields and their CRLFs — or of a trailer section
        /// (default 64 KiB; beyond it: 431).
        public var maxHeaderBytes: Int
        /// The most fields in a head or a trailer section (default 100; beyond it: 431).
        public var maxHeaderCount: Int
        /// The longest body, nil for no limit (the default). A longer `Content-Length` fails at once;
        /// a chunked body fails when its chunks add up to more (413).
        public var maxBodySize: Int?
        /// The longest chunk-size line, extensions included (default 4 KiB).
        public var maxChunkLineLength: Int

        /// Limits with the given values.
        public init(
            maxStartLineLength: Int = 8 * 1024, maxHeaderBytes: Int = 64 * 1024, maxHeaderCount: Int = 100,
            maxBodySize: Int? = nil, maxChunkLineLength: Int = 4 * 1024
        ) {
            self.maxStartLineLength = maxStartLineLength
            self.maxHeaderBytes = maxHeaderBytes
            self.maxHeaderCount = maxHeaderCount
            self.maxBodySize = maxBodySize
            self.maxChunkLineLength = maxChunkLineLength
        }
    }

    /// What the parser found: one per call of ``next(_:)``.
    public enum Event {
        /// A request head (``Mode/request``).
        case request(HTTPRequestHead)
        /// A response head (``Mode/response``). A 1xx response is followed at once by its ``end(trailers:)``,
        /// then by the next response to the same request.
        case response(HTTPResponseHead)
        /// Body bytes: a slice of the input given to ``next(_:)``, valid as long as that input is.
        /// Chunked bodies arrive without their framing.
        case body(UnsafeRawBufferPointer)
        /// The message is complete; `trailers` are a chunked body's trailer fields (nil when there were none).
        case end(trailers: HTTPFields?)
    }

    private enum State: Sendable {
        case head
        case body(remaining: Int)
        case chunkLine
        case chunkData(remaining: Int)
        /// After a chunk's data: `seen` bytes of its CRLF were read.
        case chunkDataEnd(seen: Int)
        case trailers
        case untilClose
        /// A message ended: the next call reports it (possibly with no input left).
        case ending(HTTPFields?)
        case failed(HTTPParseError)
    }

    /// What the parser reads.
    public let mode: Mode
    /// The limits it enforces.
    public let limits: Limits
    private var state = State.head
    // The head (or trailer) scanner.
    /// Bytes of a head cut across chunks, gathered (empty when the head is parsed in place).
    private var headBuffer: [UInt8] = []
    /// Bytes of the current head seen so far (in earlier chunks).
    private var headBytes = 0
    /// Where the current line begins, counted from the head's first byte.
    private var lineStart = 0
    /// Lines of the head ended so far (empty lines before a request line excluded).
    private var headLines = 0
    /// The last byte of the previous chunk (a CR before an LF that begins the next one).
    private var lastByte: UInt8 = 0
    // The chunk-size line scanner.
    private var chunkSize = 0
    private var chunkLineLength = 0
    private var chunkDigits = 0
    private var chunkInExtension = false
    private var chunkSawCR = false
    /// Body bytes of the current message so far (for ``Limits/maxBodySize``).
    private var bodyBytes = 0
    /// The methods of requests whose responses have not begun (``Mode/response``).
    private var pendingMethods: [HTTPRequest.Method] = []
    private var pendingMethodsStart = 0

    /// A parser of `mode` messages within `limits`.
    public init(_ mode: Mode, limits: Limits = Limits()) {
        self.mode = mode
        self.limits = limits
    }

    /// In ``Mode/response``, says that a request with `method` was sent: its response is parsed
    /// accordingly (no body after `HEAD`). Call it once per request, in the order they are sent;
    /// responses without a recorded method are taken as answers to `GET`.
    public mutating func expectResponse(to method: HTTPRequest.Method) {
        if pendingMethodsStart > 32 && pendingMethodsStart * 2 > pendingMethods.count {
            pendingMethods.removeFirst(pendingMethodsStart)
            pendingMethodsStart = 0
        }
        pendingMethods.append(method)
    }

    /// Whether a message has begun and has not ended: some of its bytes were read (a partial head
    /// included), or its end is still to be reported. A server is between requests when this is false.
    public var hasPartialMessage: Bool {
        switch state {
        case .head: headBytes > 0 || !headBuffer.isEmpty
        case .failed: false
        default: true
        }
    }

    /// Bytes of a partial head held by the parser (tests: never above ``Limits/maxHeaderBytes``).
    var bufferedByteCount: Int { headBuffer.count }

    /// Whether the current message's body is delimited by the end of the connection (a response
    /// without `Content-Length` or chunking): call ``finish()`` at EOF to end it.
    public var readsUntilClose: Bool {
        if case .untilClose = state { return true }
        return false
    }

    /// Parses what it can of `input`, and returns the next event, with `input` advanced past the
    /// bytes it used; or nil once `input` is used up and more bytes are needed. Call it again until it
    /// returns nil before feeding the next chunk (or stop after an ``Event/end(trailers:)`` and keep the
    /// rest of `input` for later: the parser holds nothing of it).
    /// - Throws: ``HTTPParseError``, then again on every later call.
    public mutating func next(_ input: inout UnsafeRawBufferPointer) throws(HTTPParseError) -> Event? {
        switch state {
        case .head:
            return try scanHead(&input, trailers: false)
        case .body(let remaining):
            guard !input.isEmpty else { return nil }
            let count = min(remaining, input.count)
            let bytes = UnsafeRawBufferPointer(rebasing: input[..<count])
            input = UnsafeRawBufferPointer(rebasing: input[count...])
            state = count == remaining ? .ending(nil) : .body(remaining: remaining - count)
            return .body(bytes)
        case .chunkLine:
            return try scanChunkLine(&input)
        case .chunkData(let remaining):
            guard !input.isEmpty else { return nil }
            let count = min(remaining, input.count)
            let bytes = UnsafeRawBufferPointer(rebasing: input[..<count])
            input = UnsafeRawBufferPointer(rebasing: input[count...])
            state = count == remaining ? .chunkDataEnd(seen: 0) : .chunkData(remaining: remaining - count)
            return .body(bytes)
        case .chunkDataEnd(var seen):
            while seen < 2 {
                guard let byte = input.first else {
                    state = .chunkDataEnd(seen: seen)
                    return nil
                }
                guard byte == (seen == 0 ? 13 : 10) else { try fail(.invalidChunk) }
                input = UnsafeRawBufferPointer(rebasing: input[1...])
                seen += 1
            }
            startChunkLine()
            return try scanChunkLine(&input)
        case .trailers:
            return try scanHead(&input, trailers: true)
        case .untilClose:
            guard !input.isEmpty else { return nil }
            let bytes = input
            input = UnsafeRawBufferPointer(rebasing: input[input.count...])
            return .body(bytes)
        case .ending(let trailers):
            state = .head
            return .end(trailers: trailers)
        case .failed(let error):
            throw error
        }
    }

    /// The connection ended (EOF). Returns the end of a body delimited by it (``HTTPBodyFraming/untilClose``),
    /// a still unreported end, or nil between messages.
    /// - Throws: ``HTTPParseError/Kind/incompleteMessage`` when a message was cut short (or the parser's error).
    public mutating func finish() throws(HTTPParseError) -> Event? {
        switch state {
        case .untilClose:
            state = .head
            return .end(trailers: nil)
        case .ending(let trailers):
            state = .head
            return .end(trailers: trailers)
        case .head where headBytes == 0 && headBuffer.isEmpty:
            return nil
        case .failed(let error):
            throw error
        default:
            try fail(.incompleteMessage)
        }
    }

    private mutating func fail(_ kind: HTTPParseError.Kind) throws(HTTPParseError) -> Never {
        let error = HTTPParseError(kind)
        state = .failed(error)
        headBuffer = []
        throw error
    }

    // MARK: heads and trailer sections

    /// Looks for the empty line that ends the head (or trailer section), checking line endings and
    /// limits on the way; parses the head once it is whole.
    private mutating func scanHead(_ input: inout UnsafeRawBufferPointer, trailers: Bool) throws(HTTPParseError) -> Event? {
        guard let base = input.baseAddress, input.count > 0 else { return nil }
        let count = input.count
        var position = 0
        while position < count {
            guard let found = memchr(base + position, 10, count - position) else { break }
            let index = base.distance(to: UnsafeRawPointer(found))
            let before = index > 0 ? input[index - 1] : lastByte
            guard before == 13 else { try fail(.bareLineFeed) }
            let end = headBytes + index + 1  // head bytes up to and including this LF
            let lineLength = end - 2 - lineStart
            position = index + 1
            if lineLength == 0 {
                if headLines == 0 && !trailers && mode == .request {
                    // An empty line before the request line: skipped (it counts towards the head's size).
                    lineStart = end
                    if end > limits.maxHeaderBytes { try fail(.headersTooLarge) }
                    continue
                }
                if end > limits.maxHeaderBytes { try fail(.headersTooLarge) }
                return try headComplete(&input, length: index + 1, trailers: trailers)
            }
            if headLines == 0 && !trailers {
                if lineLength > limits.maxStartLineLength { try fail(.startLineTooLong) }
            } else if headLines - (trailers ? 0 : 1) >= limits.maxHeaderCount {
                try fail(.tooManyHeaders)
            }
            if end > limits.maxHeaderBytes { try fail(.headersTooLarge) }
            headLines += 1
            lineStart = end
        }
        // No end of head in this chunk: keep it, within the limits.
        let total = headBytes + count
        if headLines == 0 && !trailers && total - lineStart > limits.maxStartLineLength + 1 {
            try fail(.startLineTooLong)
        }
        if total > limits.maxHeaderBytes { try fail(.headersTooLarge) }
        headBuffer.append(contentsOf: input)
        headBytes = total
        lastByte = input[count - 1]
        input = UnsafeRawBufferPointer(rebasing: input[count...])
        return nil
    }

    /// The head ends at `length` bytes into `input`: parses it (in place when it is all there).
    private mutating func headComplete(_ input: inout UnsafeRawBufferPointer, length: Int, trailers: Bool) throws(HTTPParseError) -> Event? {
        let event: Event?
        if headBuffer.isEmpty {
            let head = UnsafeRawBufferPointer(rebasing: input[..<length])
            event = try trailers ? parseTrailers(head) : parseHead(head)
        } else {
            headBuffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[..<length]))
            let buffer = headBuffer
            let result = buffer.withUnsafeBytes { head in
                Result { () throws(HTTPParseError) -> Event? in try trailers ? parseTrailers(head) : parseHead(head) }
            }
            event = try result.get()
            headBuffer.removeAll(keepingCapacity: headBuffer.capacity <= 4096)
        }
        input = UnsafeRawBufferPointer(rebasing: input[length...])
        headBytes = 0
        lineStart = 0
        headLines = 0
        lastByte = 0
        return event
    }

    /// Calls `body` with each line of `head` (CRLF excluded; the final empty line not included).
    private static func forEachLine(
        _ head: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws(HTTPParseError) -> Void
    ) throws(HTTPParseError) {
        var start = 0
        let count = head.count - 2  // the final CRLF
        var index = 0
        while index < count {
            if head[index] == 10 {
                try body(UnsafeRawBufferPointer(rebasing: head[start..<(index - 1)]))
                start = index + 1
            }
            index += 1
        }
    }

    /// What the framing fields of a head said.
    private struct Framing {
        var contentLength: Int?
        var contentLengthInvalid = false
        var contentLengthConflict = false
        var transferEncoding: [UInt8] = []
        var hasTransferEncoding = false
        var close = false
        var keepAlive = false
        var hostCount = 0
        var host: String?
        var expectsContinue = false
    }

    private mutating func parseHead(_ head: UnsafeRawBufferPointer) throws(HTTPParseError) -> Event {
        var fields = HTTPFields()
        var framing = Framing()
        var startLine: UnsafeRawBufferPointer?
        var fieldError: HTTPParseError.Kind?
        try Self.forEachLine(head) { (line) throws(HTTPParseError) in
            if startLine == nil {
                if line.isEmpty { return }  // empty lines before the request line
                startLine = line
                return
            }
            if fieldError != nil { return }
            fieldError = Self.parseField(line, into: &fields, framing: &framing)
        }
        guard let startLine else { try fail(.malformedStartLine) }
        switch mode {
        case .request:
            let (method, target, version) = try parseRequestLine(startLine)
            if let fieldError { try fail(fieldError) }
            let bodyFraming = try requestFraming(framing, version: version)
            if framing.hostCount > 1 || (version == .http1_1 && framing.hostCount == 0) { try fail(.invalidHost) }
            let keepAlive = version == .http1_1 ? !framing.close : framing.keepAlive && !framing.close
            let request = HTTPRequest(method: method, scheme: nil, authority: framing.host, path: target, headerFields: fields)
            startBody(bodyFraming)
            return .request(HTTPRequestHead(
                request: request, version: version, keepAlive: keepAlive, framing: bodyFraming,
                expectsContinue: framing.expectsContinue && version == .http1_1))
        case .response:
            let (status, version) = try parseStatusLine(startLine)
            if let fieldError { try fail(fieldError) }
            var method = HTTPRequest.Method.get
            if status.code >= 200 || status.code == 101 {
                if pendingMethodsStart < pendingMethods.count {
                    method = pendingMethods[pendingMethodsStart]
                    pendingMethodsStart += 1
                }
            } else if pendingMethodsStart < pendingMethods.count {
                method = pendingMethods[pendingMethodsStart]
            }
            let bodyFraming = try responseFraming(framing, version: version, status: status.code, method: method)
            var keepAlive = version == .http1_1 ? !framing.close : framing.keepAlive && !framing.close
            if bodyFraming == .untilClose || status.code == 101 { keepAlive = false }
            startBody(bodyFraming)
            return .response(HTTPResponseHead(
                response: HTTPResponse(status: status, headerFields: fields), version: version,
                keepAlive: keepAlive, framing: bodyFraming))
        }
    }

    private mutating func startBody(_ framing: HTTPBodyFraming) {
        bodyBytes = 0
        switch framing {
        case .none, .length(0): state = .ending(nil)
        case .length(let length): state = .body(remaining: length)
        case .chunked: startChunkLine()
        case .untilClose: state = .untilClose
        }
    }

    private mutating func requestFraming(_ framing: Framing, version: HTTPVersion) throws(HTTPParseError) -> HTTPBodyFraming {
        try delimitedFraming(framing, version: version, otherwise: .none)
    }

    /// The framing the fields give (RFC 9112 §6.3): chunked, a length, or `otherwise` when neither field is
    /// there (no body for a request, the rest of the connection for a response).
    private mutating func delimitedFraming(
        _ framing: Framing, version: HTTPVersion, otherwise: HTTPBodyFraming
    ) throws(HTTPParseError) -> HTTPBodyFraming {
        if framing.hasTransferEncoding {
            if framing.contentLength != nil || framing.contentLengthInvalid { try fail(.contentLengthWithTransferEncoding) }
            if version == .http1_0 { try fail(.invalidTransferEncoding) }
            try checkChunkedOnly(framing.transferEncoding)
            return .chunked
        }
        if framing.contentLengthInvalid { try fail(.invalidContentLength) }
        if framing.contentLengthConflict { try fail(.conflictingContentLength) }
        guard let length = framing.contentLength else { return otherwise }
        if let max = limits.maxBodySize, length > max { try fail(.bodyTooLarge) }
        return .length(length)
    }

    private mutating func responseFraming(
        _ framing: Framing, version: HTTPVersion, status: Int, method: HTTPRequest.Method
    ) throws(HTTPParseError) -> HTTPBodyFraming {
        if status < 200 || status == 204 || status == 304 || method == .head { return .none }
        if method == .connect && status < 300 { return .untilClose }  // a tunnel: the rest is not HTTP
        return try delimitedFraming(framing, version: version, otherwise: .untilClose)
    }

    /// `Transfer-Encoding` (all its fields joined by commas) must end in `chunked`, name it once,
    /// and name nothing else this parser could decode.
    private mutating func checkChunkedOnly(_ value: [UInt8]) throws(HTTPParseError) {
        var codings: [ArraySlice<UInt8>] = []
        for part in value.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false) {
            let trimmed = Self.trimmed(part)
            if !trimmed.isEmpty { codings.append(trimmed) }
        }
        guard let last = codings.last, Self.equalsLowercased(last, "chunked") else { try fail(.invalidTransferEncoding) }
        let chunkedCount = codings.count(where: { Self.equalsLowercased($0, "chunked") })
        if chunkedCount > 1 { try fail(.invalidTransferEncoding) }
        if codings.count > 1 { try fail(.unsupportedTransferEncoding) }
    }

    // MARK: start lines

    private mutating func parseRequestLine(_ line: UnsafeRawBufferPointer) throws(HTTPParseError) -> (HTTPRequest.Method, String, HTTPVersion) {
        guard let firstSpace = line.firstIndex(of: 32) else { try fail(.malformedStartLine) }
        let methodBytes = UnsafeRawBufferPointer(rebasing: line[..<firstSpace])
        guard !methodBytes.isEmpty, methodBytes.allSatisfy(Self.isTokenByte) else { try fail(.malformedStartLine) }
        let rest = UnsafeRawBufferPointer(rebasing: line[(firstSpace + 1)...])
        guard let secondSpace = rest.firstIndex(of: 32) else { try fail(.malformedStartLine) }
        let target = UnsafeRawBufferPointer(rebasing: rest[..<secondSpace])
        guard !target.isEmpty, target.allSatisfy({ $0 > 32 && $0 < 127 }) else { try fail(.malformedStartLine) }
        let version = try parseVersion(UnsafeRawBufferPointer(rebasing: rest[(secondSpace + 1)...]))
        return (Self.method(methodBytes), String(decoding: target, as: UTF8.self), version)
    }

    private mutating func parseStatusLine(_ line: UnsafeRawBufferPointer) throws(HTTPParseError) -> (HTTPResponse.Status, HTTPVersion) {
        guard line.count >= 8 else { try fail(.malformedStartLine) }
        let version = try parseVersion(UnsafeRawBufferPointer(rebasing: line[..<8]))
        guard line.count >= 12, line[8] == 32 else { try fail(.invalidStatus) }
        var code = 0
        for index in 9..<12 {
            let digit = line[index]
            guard digit >= 48 && digit <= 57 else { try fail(.invalidStatus) }
            code = code * 10 + Int(digit - 48)
        }
        guard code >= 100 else { try fail(.invalidStatus) }
        var reason = ""
        if line.count > 12 {
            guard line[12] == 32 else { try fail(.invalidStatus) }
            let phrase = UnsafeRawBufferPointer(rebasing: line[13...])
            guard phrase.allSatisfy(Self.isFieldValueByte) else { try fail(.malformedStartLine) }
            reason = String(decoding: phrase, as: UTF8.self)
        }
        return (HTTPResponse.Status(code: code, reasonPhrase: reason), version)
    }

    /// `HTTP/1.1` or `HTTP/1.0`; another `HTTP/d.d` is ``HTTPParseError/Kind/unsupportedVersion``.
    private mutating func parseVersion(_ bytes: UnsafeRawBufferPointer) throws(HTTPParseError) -> HTTPVersion {
        guard bytes.count == 8, bytes[0] == 72, bytes[1] == 84, bytes[2] == 84, bytes[3] == 80, bytes[4] == 47,
              bytes[6] == 46, (48...57).contains(bytes[5]), (48...57).contains(bytes[7])
        else { try fail(.malformedStartLine) }
        guard bytes[5] == 49, bytes[7] == 48 || bytes[7] == 49 else { try fail(.unsupportedVersion) }
        return bytes[7] == 49 ? .http1_1 : .http1_0
    }

    private static func method(_ bytes: UnsafeRawBufferPointer) -> HTTPRequest.Method {
        switch bytes.count {
        case 3:
            if bytes[0] == 71 && bytes[1] == 69 && bytes[2] == 84 { return .get }
            if bytes[0] == 80 && bytes[1] == 85 && bytes[2] == 84 { return .put }
        case 4:
            if bytes[0] == 80 && bytes[1] == 79 && bytes[2] == 83 && bytes[3] == 84 { return .post }
            if bytes[0] == 72 && bytes[1] == 69 && bytes[2] == 65 && bytes[3] == 68 { return .head }
        default: break
        }
        // A token (checked): always a valid method.
        return HTTPRequest.Method(String(decoding: bytes, as: UTF8.self))!
    }

    // MARK: fields

    /// Parses one field line into `fields`, noting the framing fields; returns what is wrong with it.
    private static func parseField(_ line: UnsafeRawBufferPointer, into fields: inout HTTPFields, framing: inout Framing) -> HTTPParseError.Kind? {
        guard let first = line.first else { return .invalidHeader }
        if first == 32 || first == 9 { return .obsoleteLineFolding }
        guard let colon = line.firstIndex(of: 58), colon > 0 else { return .invalidHeader }
        let name = UnsafeRawBufferPointer(rebasing: line[..<colon])
        guard name.allSatisfy(isTokenByte) else { return .invalidHeader }
        var start = colon + 1
        var end = line.count
        while start < end && (line[start] == 32 || line[start] == 9) { start += 1 }
        while end > start && (line[end - 1] == 32 || line[end - 1] == 9) { end -= 1 }
        let value = UnsafeRawBufferPointer(rebasing: line[start..<end])
        var ascii = true
        for byte in value {
            guard isFieldValueByte(byte) else { return .invalidHeader }
            if byte >= 0x80 { ascii = false }
        }
        guard let fieldName = knownName(name) ?? HTTPField.Name(String(decoding: name, as: UTF8.self)) else {
            return .invalidHeader
        }
        noteFraming(name, value, &framing)
        // ASCII (nearly every value): a string built without validating it as UTF-8 (the bytes initialiser
        // validates, to keep bytes that are not UTF-8 as they are).
        fields.append(ascii ? HTTPField(name: fieldName, value: String(decoding: value, as: UTF8.self))
                            : HTTPField(name: fieldName, value: value))
        return nil
    }

    /// The common field names spelled as their constants are (same raw name, so the same `HTTPField.Name`
    /// as `HTTPField.Name(_:)` would make): no string built, validated and lowercased for them.
    /// `Host` (`HTTPField.Name.host` is unavailable: HTTP/2's `:authority` replaces it).
    private static let hostName = HTTPField.Name("Host")!

    private static func knownName(_ name: UnsafeRawBufferPointer) -> HTTPField.Name? {
        func matches(_ spelling: StaticString) -> Bool {
            spelling.utf8CodeUnitCount == name.count
                && memcmp(spelling.utf8Start, name.baseAddress!, name.count) == 0
        }
        switch name.count {
        case 4: if matches("Host") { return hostName }
        case 6:
            if matches("Accept") { return .accept }
            if matches("Expect") { return .expect }
            if matches("Cookie") { return .cookie }
        case 10:
            if matches("User-Agent") { return .userAgent }
            if matches("Connection") { return .connection }
        case 12: if matches("Content-Type") { return .contentType }
        case 13: if matches("Authorization") { return .authorization }
        case 14: if matches("Content-Length") { return .contentLength }
        case 15:
            if matches("Accept-Encoding") { return .acceptEncoding }
            if matches("Accept-Language") { return .acceptLanguage }
        case 17: if matches("Transfer-Encoding") { return .transferEncoding }
        default: break
        }
        return nil
    }

    private static func noteFraming(_ name: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer, _ framing: inout Framing) {
        switch name.count {
        case 4 where equalsLowercased(name, "host"):
            framing.hostCount += 1
            framing.host = String(decoding: value, as: UTF8.self)
        case 6 where equalsLowercased(name, "expect"):
            if equalsLowercased(value, "100-continue") { framing.expectsContinue = true }
        case 10 where equalsLowercased(name, "connection"):
            for token in value.split(separator: 44) {
                let token = trimmed(token)
                if equalsLowercased(token, "close") { framing.close = true }
                if equalsLowercased(token, "keep-alive") { framing.keepAlive = true }
            }
        case 14 where equalsLowercased(name, "content-length"):
            for part in value.split(separator: 44, omittingEmptySubsequences: false) {
                let digits = trimmed(part)
                guard !digits.isEmpty, digits.count <= 18, digits.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
                    framing.contentLengthInvalid = true
                    return
                }
                let length = digits.reduce(0) { $0 * 10 + Int($1 - 48) }
                if let known = framing.contentLength, known != length { framing.contentLengthConflict = true }
                framing.contentLength = length
            }
        case 17 where equalsLowercased(name, "transfer-encoding"):
            if framing.hasTransferEncoding { framing.transferEncoding.append(44) }
            framing.hasTransferEncoding = true
            framing.transferEncoding.append(contentsOf: value)
        default:
            break
        }
    }

    private mutating func parseTrailers(_ head: UnsafeRawBufferPointer) throws(HTTPParseError) -> Event {
        var fields = HTTPFields()
        var framing = Framing()
        var fieldError: HTTPParseError.Kind?
        try Self.forEachLine(head) { line in
            if fieldError == nil { fieldError = Self.parseField(line, into: &fields, framing: &framing) }
        }
        if let fieldError { try fail(fieldError) }
        state = .head
        return .end(trailers: fields.isEmpty ? nil : fields)
    }

    // MARK: chunk-size lines

    private mutating func startChunkLine() {
        state = .chunkLine
        chunkSize = 0
        chunkLineLength = 0
        chunkDigits = 0
        chunkInExtension = false
        chunkSawCR = false
    }

    /// `chunk-size [ BWS ";" chunk-ext ] CRLF`, byte by byte (the line is never kept). The size is 1 to
    /// 15 hexadecimal digits; extensions are skipped, with no control characters but tab.
    private mutating func scanChunkLine(_ input: inout UnsafeRawBufferPointer) throws(HTTPParseError) -> Event? {
        var index = 0
        let count = input.count
        while index < count {
            let byte = input[index]
            index += 1
            chunkLineLength += 1
            if chunkLineLength > limits.maxChunkLineLength + 2 { try fail(.invalidChunk) }
            if chunkSawCR {
                guard byte == 10 else { try fail(.invalidChunk) }
                guard chunkDigits > 0 else { try fail(.invalidChunk) }
                input = UnsafeRawBufferPointer(rebasing: input[index...])
                return try chunkLineComplete(&input)
            }
            if byte == 13 {
                chunkSawCR = true
            } else if chunkInExtension {
                guard byte == 9 || (byte >= 32 && byte != 127) else { try fail(.invalidChunk) }
            } else if let digit = Self.hexValue(byte), chunkLineLength == chunkDigits + 1 {
                chunkDigits += 1
                guard chunkDigits <= 15 else { try fail(.invalidChunk) }
                chunkSize = chunkSize << 4 | digit
            } else if byte == 59 || byte == 32 || byte == 9 {  // ";" or BWS before it
                guard chunkDigits > 0 else { try fail(.invalidChunk) }
                if byte == 59 { chunkInExtension = true }
            } else {
                try fail(.invalidChunk)
            }
        }
        input = UnsafeRawBufferPointer(rebasing: input[count...])
        return nil
    }

    private mutating func chunkLineComplete(_ input: inout UnsafeRawBufferPointer) throws(HTTPParseError) -> Event? {
        // Whitespace after the size must lead to an extension ("5 \r\n" is refused).
        if !chunkInExtension && chunkLineLength != chunkDigits + 2 { try fail(.invalidChunk) }
        if chunkSize == 0 {
            state = .trailers
            headBytes = 0
            lineStart = 0
            headLines = 0
            lastByte = 0
            return try next(&input)
        }
        bodyBytes += chunkSize
        if let max = limits.maxBodySize, bodyBytes > max { try fail(.bodyTooLarge) }
        state = .chunkData(remaining: chunkSize)
        return try next(&input)
    }

    // MARK: bytes

    private static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case 48...57: Int(byte - 48)
        case 65...70: Int(byte - 55)
        case 97...102: Int(byte - 87)
        default: nil
        }
    }

    /// `tchar` (RFC 9110 §5.6.2).
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case 48...57, 65...90, 97...122: true
        case 33, 35, 36, 37, 38, 39, 42, 43, 45, 46, 94, 95, 96, 124, 126: true
        default: false
        }
    }

    /// A byte allowed in a field value or reason phrase: tab, space, visible ASCII, obs-text.
    static func isFieldValueByte(_ byte: UInt8) -> Bool {
        byte == 9 || (byte >= 32 && byte != 127)
    }

    private static func trimmed<C: BidirectionalCollection<UInt8>>(_ bytes: C) -> C.SubSequence {
        var slice = bytes[...]
        while let first = slice.first, first == 32 || first == 9 { slice = slice.dropFirst() }
        while let last = slice.last, last == 32 || last == 9 { slice = slice.dropLast() }
        return slice
    }

    /// Whether `bytes`, lowercased, are `lowercase` (ASCII).
    private static func equalsLowercased<C: Collection<UInt8>>(_ bytes: C, _ lowercase: StaticString) -> Bool {
        guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
        var pointer = lowercase.utf8Start
        for byte in bytes {
            let folded = byte >= 65 && byte <= 90 ? byte | 0x20 : byte
            if folded != pointer.pointee { return false }
            pointer += 1
        }
        return true
    }
}
