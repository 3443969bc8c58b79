import AsyncioHTTP
import HTTPTypes

/// A message as the tests see it: what a parser yielded, comparable with what a model expects.
struct ParsedMessage: Equatable, CustomStringConvertible {
    /// "GET /x HTTP/1.1" or "HTTP/1.1 200 OK" (normalised from the parsed head).
    var startLine: String
    var fields: [String]  // "name: value", lowercased names
    var keepAlive: Bool
    var body: [UInt8]
    var trailers: [String]?

    var description: String {
        "\(startLine) \(fields) keepAlive=\(keepAlive) body=\(body.count)B trailers=\(trailers ?? [])"
    }

    static func fields(_ fields: HTTPFields) -> [String] {
        fields.map { "\($0.name.canonicalName): \($0.value)" }
    }
}

/// What feeding chunks to a parser gave: the complete messages, and how it ended.
struct ParseOutcome {
    var messages: [ParsedMessage] = []
    var error: HTTPParseError?
    /// Events seen (for the no-hang check).
    var events = 0
}

/// Feeds `chunks` to `parser`, collecting messages; stops at the first error. With `finish`, ends
/// the input with ``HTTPParser/finish()``.
func parse(_ chunks: [[UInt8]], with parser: inout HTTPParser, finish: Bool = false, methods: [HTTPRequest.Method] = []) -> ParseOutcome {
    var outcome = ParseOutcome()
    var current: ParsedMessage?
    for method in methods { parser.expectResponse(to: method) }
    func handle(_ event: HTTPParser.Event) {
        outcome.events += 1
        switch event {
        case .request(let head):
            let request = head.request
            current = ParsedMessage(
                startLine: "\(request.method.rawValue) \(request.path ?? "") \(head.version)",
                fields: ParsedMessage.fields(request.headerFields), keepAlive: head.keepAlive, body: [])
        case .response(let head):
            let status = head.response.status
            current = ParsedMessage(
                startLine: "\(head.version) \(status.code) \(status.reasonPhrase)",
                fields: ParsedMessage.fields(head.response.headerFields), keepAlive: head.keepAlive, body: [])
        case .body(let bytes):
            current?.body.append(contentsOf: bytes)
        case .end(let trailers):
            current?.trailers = trailers.map(ParsedMessage.fields)
            if let current { outcome.messages.append(current) }
            current = nil
        }
    }
    do {
        for chunk in chunks {
            // Each chunk in an allocation of its own, scribbled over and freed once parsed, as a
            // connection's reused read buffer would be: a parser that kept a pointer into an earlier
            // chunk reads 0xAA here, and a use after free under AddressSanitizer.
            let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk.count, alignment: 1)
            defer {
                storage.initializeMemory(as: UInt8.self, repeating: 0xAA)
                storage.deallocate()
            }
            chunk.withUnsafeBytes { storage.copyMemory(from: $0) }
            var input = UnsafeRawBufferPointer(storage)
            while let event = try parser.next(&input) { handle(event) }
            precondition(input.isEmpty)
        }
        if finish, let event = try parser.finish() { handle(event) }
    } catch {
        outcome.error = error
    }
    return outcome
}

/// Parses `text` whole.
func parse(_ text: String, _ mode: HTTPParser.Mode = .request, limits: HTTPParser.Limits = .init(),
           finish: Bool = false, methods: [HTTPRequest.Method] = []) -> ParseOutcome {
    var parser = HTTPParser(mode, limits: limits)
    return parse([Array(text.utf8)], with: &parser, finish: finish, methods: methods)
}
