// libFuzzer drives `HTTPParser` (the file AsyncioHTTP compiles, through a symbolic link) with inputs it
// chooses, and checks what must hold for any bytes at all:
// - chunking does not matter: the input cut into pieces (where the input's first byte says) gives the
//   same events (body pieces merged) as the input given whole, and fails if and only if it does;
// - no loop: at most two events per input byte (every event but an end consumes a byte);
// - bounded memory: the parser never holds more than its head limit;
// - a parser that threw stays failed.
// The first byte picks the mode and the cut points; the rest is the stream, with bytes of 0xC0 and above
// mapped onto HTTP's own alphabet so that heads and chunk lines form often.
import HTTPTypes

private let alphabet = Array("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0123456789abcdef;: \t\n".utf8)
private let limits = HTTPParser.Limits(maxStartLineLength: 64, maxHeaderBytes: 256, maxHeaderCount: 8, maxBodySize: 1000)

/// Events in a comparable form.
private func describe(_ event: HTTPParser.Event) -> String {
    switch event {
    case .request(let head): "request \(head.request.method) \(head.request.path ?? "") \(head.version) \(head.keepAlive) \(head.framing) \(head.request.headerFields)"
    case .response(let head): "response \(head.response.status.code) \(head.version) \(head.keepAlive) \(head.framing) \(head.response.headerFields)"
    case .body(let bytes): "body \(Array(bytes))"
    case .end(let trailers): "end \(trailers.map { "\($0)" } ?? "-")"
    }
}

/// Feeds `chunks`; returns the messages' events (body pieces merged) and the error.
private func run(_ mode: HTTPParser.Mode, _ chunks: [ArraySlice<UInt8>]) -> ([String], HTTPParseError?) {
    var parser = HTTPParser(mode, limits: limits)
    if mode == .response { for _ in 0..<4 { parser.expectResponse(to: .get) } }
    var events: [String] = []
    var body: [UInt8] = []
    var count = 0
    let total = chunks.reduce(0) { $0 + $1.count }
    func flushBody() {
        if !body.isEmpty { events.append("body \(body)") }
        body = []
    }
    do {
        for chunk in chunks {
            try chunk.withUnsafeBytes { raw in
                var input = raw
                while let event = try parser.next(&input) {
                    count += 1
                    precondition(count <= 2 * total + 2, "a loop: \(count) events from \(total) bytes")
                    if case .body(let bytes) = event { body += bytes } else { flushBody(); events.append(describe(event)) }
                }
                precondition(input.isEmpty, "nil returned with input left")
            }
            precondition(parser.bufferedByteCount <= limits.maxHeaderBytes, "holds \(parser.bufferedByteCount) bytes")
        }
        flushBody()
        return (events, nil)
    } catch let error as HTTPParseError {
        flushBody()
        var again = parser
        var empty = UnsafeRawBufferPointer(start: nil, count: 0)
        do {
            _ = try again.next(&empty)
            preconditionFailure("a failed parser went on")
        } catch let repeated {
            precondition(repeated == error, "failed with \(error), then \(repeated)")
        }
        return (events, error)
    } catch {
        preconditionFailure("not an HTTPParseError: \(error)")
    }
}

public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let control = data[0]
    let mode: HTTPParser.Mode = control & 1 == 0 ? .request : .response
    let stride = Int(control >> 1) % 17 + 1
    let stream = (1..<size).map { data[$0] >= 0xC0 ? alphabet[Int(data[$0]) % alphabet.count] : data[$0] }
    var chunks: [ArraySlice<UInt8>] = []
    var start = 0
    var step = stride
    while start < stream.count {
        let end = min(stream.count, start + step)
        chunks.append(stream[start..<end])
        start = end
        step = step % 7 + stride % 5 + 1
    }
    let whole = run(mode, [stream[...]])
    let cut = run(mode, chunks)
    // Whether it fails does not depend on the cuts; which limit says so first may (a head too long
    // with a bare LF past the limit: the LF when whole, the size when cut before it).
    precondition((whole.1 == nil) == (cut.1 == nil), "error \(String(describing: whole.1)) whole, \(String(describing: cut.1)) cut")
    precondition(whole.0 == cut.0, "events differ:\n\(whole.0)\n\(cut.0)")
    return 0
}
