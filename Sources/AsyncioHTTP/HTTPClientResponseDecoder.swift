import HTTPTypes

/// The client's incremental HTTP/1.x response decoder: bytes in (as they come from the socket), events
/// out — the head, body bytes, the end. Knows the framing rules a client needs (RFC 9112 §6.3): no
/// body after a `HEAD` request or for 1xx, 204 and 304; `Transfer-Encoding: chunked`; `Content-Length`;
/// otherwise the body runs to the end of the connection. Interim 1xx responses are skipped.
struct HTTPClientResponseDecoder {
    enum Event {
        /// The head; `keepAlive` tells whether the connection may carry another request afterwards.
        case head(HTTPResponse, keepAlive: Bool)
        case body(ArraySlice<UInt8>)
        case end
    }

    struct DecodeError: Error, CustomStringConvertible {
        var description: String
    }

    private enum State {
        case head
        case fixed(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        case untilClose
        case done
    }

    let maxHeadSize: Int
    /// Set by the connection for each request: a response to `HEAD` has no body.
    var requestWasHead = false
    private var buffer: [UInt8] = []
    private var start = 0
    private var state = State.head

    init(maxHeadSize: Int) { self.maxHeadSize = maxHeadSize }

    /// Whether the decoder is between responses (no partial head).
    var isIdle: Bool {
        if case .head = state { return start == buffer.count }
        if case .done = state { return start == buffer.count }
        return false
    }

    /// Whether the body runs to the end of the connection (so EOF ends it).
    var readsUntilClose: Bool {
        if case .untilClose = state { return true }
        return false
    }

    mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        if start > 0 && start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        } else if start > 4096 && start * 2 > buffer.count {
            buffer.removeFirst(start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// Readies the decoder for the next response on the same connection.
    mutating func reset(requestWasHead: Bool) {
        self.requestWasHead = requestWasHead
        state = .head
    }

    /// The next event, or nil when more bytes are needed.
    mutating func next() throws(DecodeError) -> Event? {
        while true {
            switch state {
            case .done:
                return nil
            case .head:
                guard let (response, keepAlive, bodyState) = try decodeHead() else { return nil }
                if response.status.kind == .informational { continue }  // 100 Continue, 103 Early Hints
                state = bodyState
                return .head(response, keepAlive: keepAlive)
            case .fixed(let remaining):
                if remaining == 0 {
                    state = .done
                    return .end
                }
                let available = buffer.count - start
                guard available > 0 else { return nil }
                let count = min(available, remaining)
                state = .fixed(remaining: remaining - count)
                return .body(take(count))
            case .untilClose:
                let available = buffer.count - start
                guard available > 0 else { return nil }
                return .body(take(available))
            case .chunkSize:
                guard let line = try line(limit: 1024, what: "chunk size line") else { return nil }
                let digits = line.prefix { $0 != UInt8(ascii: ";") }  // chunk extensions are ignored
                    .filter { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }
                guard !digits.isEmpty, digits.count <= 15, let size = Int(String(decoding: digits, as: UTF8.self), radix: 16) else {
                    throw DecodeError(description: "invalid chunk size line \(String(decoding: line, as: UTF8.self).debugDescription)")
                }
                state = size == 0 ? .trailers : .chunkData(remaining: size)
            case .chunkData(let remaining):
                let available = buffer.count - start
                guard available > 0 else { return nil }
                let count = min(available, remaining)
                state = count == remaining ? .chunkDataEnd : .chunkData(remaining: remaining - count)
                return .body(take(count))
            case .chunkDataEnd:
                guard let line = try line(limit: 2, what: "chunk end") else { return nil }
                guard line.isEmpty else { throw DecodeError(description: "a chunk's data is not followed by CRLF") }
                state = .chunkSize
            case .trailers:
                guard let line = try line(limit: maxHeadSize, what: "trailer") else { return nil }
                if line.isEmpty {
                    state = .done
                    return .end
                }
            }
        }
    }

    /// At EOF: the end of a body that runs until close; nil if nothing was under way; a
    /// `DecodeError` saying what was cut short otherwise.
    func endOfInput() -> Event? {
        if case .untilClose = state { return .end }
        return nil
    }

    private mutating func take(_ count: Int) -> ArraySlice<UInt8> {
        defer { start += count }
        return buffer[start..<start + count]
    }

    /// One line ending in CRLF (or a bare LF), without its ending; nil if it has not fully arrived.
    private mutating func line(limit: Int, what: String) throws(DecodeError) -> ArraySlice<UInt8>? {
        guard let newline = buffer[start...].firstIndex(of: 10) else {
            if buffer.count - start > limit + 2 { throw DecodeError(description: "\(what) longer than \(limit) bytes") }
            return nil
        }
        var end = newline
        if end > start && buffer[end - 1] == 13 { end -= 1 }
        if end - start > limit { throw DecodeError(description: "\(what) longer than \(limit) bytes") }
        defer { start = newline + 1 }
        return buffer[start..<end]
    }

    /// The head if it has fully arrived: the response, whether the connection stays open after the
    /// body, and how the body is framed.
    private mutating func decodeHead() throws(DecodeError) -> (HTTPResponse, Bool, State)? {
        // Find the blank line ending the head (CRLF CRLF, or LF LF from lenient servers).
        var index = start
        var headEnd: Int?
        var lineStart = start
        while index < buffer.count {
            if buffer[index] == 10 {
                let lineLength = index - lineStart - (index > lineStart && buffer[index - 1] == 13 ? 1 : 0)
                if lineLength == 0 && lineStart > start {
                    headEnd = index + 1
                    break
                }
                lineStart = index + 1
            }
            index += 1
        }
        guard let headEnd else {
            if buffer.count - start > maxHeadSize { throw DecodeError(description: "response head larger than \(maxHeadSize) bytes") }
            return nil
        }
        if headEnd - start > maxHeadSize { throw DecodeError(description: "response head larger than \(maxHeadSize) bytes") }
        var lines = buffer[start..<headEnd].split(separator: 10, omittingEmptySubsequences: false).map { line in
            line.last == 13 ? line.dropLast() : line
        }
        start = headEnd
        while lines.last?.isEmpty == true { lines.removeLast() }
        guard let statusLine = lines.first else { throw DecodeError(description: "empty response head") }
        // HTTP/1.x SP 3DIGIT SP reason
        let text = String(decoding: statusLine, as: UTF8.self)
        let parts = text.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0] == "HTTP/1.1" || parts[0] == "HTTP/1.0",
              parts[1].count == 3, let code = Int(parts[1]), (100...999).contains(code)
        else {
            throw DecodeError(description: "not an HTTP/1.x status line: \(String(text.prefix(80)).debugDescription)")
        }
        let isHTTP10 = parts[0] == "HTTP/1.0"
        var fields = HTTPFields()
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
                throw DecodeError(description: "header line without a colon: \(String(decoding: line, as: UTF8.self).debugDescription)")
            }
            let name = String(decoding: line[line.startIndex..<colon], as: UTF8.self)
            let value = String(decoding: line[(colon + 1)...], as: UTF8.self).trimmingSpaces
            guard let fieldName = HTTPField.Name(name) else {
                throw DecodeError(description: "invalid header name \(name.debugDescription)")
            }
            fields.append(HTTPField(name: fieldName, value: value))
        }
        let reason = parts.count > 2 ? String(parts[2]) : ""
        let response = HTTPResponse(status: .init(code: code, reasonPhrase: reason), headerFields: fields)

        let connectionTokens = fields[values: .connection].flatMap { $0.lowercased().split(separator: ",").map { $0.trimmingSpaces } }
        var keepAlive = isHTTP10 ? connectionTokens.contains("keep-alive") : !connectionTokens.contains("close")

        if code < 200 { return (response, keepAlive, .head) }
        if requestWasHead || code == 204 || code == 304 { return (response, keepAlive, .fixed(remaining: 0)) }
        let transferCodings = fields[values: .transferEncoding].flatMap { $0.lowercased().split(separator: ",").map { $0.trimmingSpaces } }
        if !transferCodings.isEmpty {
            if transferCodings.last == "chunked" { return (response, keepAlive, .chunkSize) }
            return (response, false, .untilClose)  // RFC 9112 §6.3: read until close
        }
        let lengths = Set(fields[values: .contentLength].flatMap { $0.split(separator: ",").map { $0.trimmingSpaces } })
        if lengths.count > 1 { throw DecodeError(description: "conflicting Content-Length values \(lengths.sorted())") }
        if let length = lengths.first {
            guard length.allSatisfy(\.isASCIIDigit), length.count <= 18, let count = Int(length) else {
                throw DecodeError(description: "invalid Content-Length \(length.debugDescription)")
            }
            return (response, keepAlive, .fixed(remaining: count))
        }
        keepAlive = false
        return (response, keepAlive, .untilClose)
    }
}

fileprivate extension StringProtocol {
    /// Without leading and trailing spaces and tabs (optional whitespace around field values).
    var trimmingSpaces: String {
        var slice = Substring(self)
        while let first = slice.first, first == " " || first == "\t" { slice = slice.dropFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice = slice.dropLast() }
        return String(slice)
    }
}

fileprivate extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
