import Asyncio
import HTTPTypes

/// What an ``HTTPHandler`` answers: a status, header fields, and a body given whole or written as it
/// is produced.
///
/// The server adds `Date`, and `Content-Length` (a whole body, or a streamed one whose length is given)
/// or `Transfer-Encoding: chunked` (a streamed one without); `Content-Length` and `Transfer-Encoding`
/// fields set here are replaced. A response to `HEAD` has the same fields and no body (a streamed body's
/// writer is not called).
public struct HTTPServerResponse {
    /// How the body is given.
    public enum Body {
        /// The whole body (written with back-pressure, so a large one is never copied whole into the
        /// connection's buffer).
        case bytes([UInt8])
        /// A body written piece by piece by `write` (called once, on the loop, after the head is sent),
        /// of `length` bytes — or, when nil, of any length, sent chunked (HTTP/1.0 clients: until the
        /// connection closes). If `write` throws after writing, the connection is aborted (the client
        /// sees an incomplete response); the error goes to the loop's exception handler.
        case stream(length: Int?, (HTTPResponseBodyWriter) async throws -> Void)
    }

    /// The status and the header fields.
    public var head: HTTPResponse
    /// The body.
    public var body: Body

    /// A response with a whole body.
    public init(status: HTTPResponse.Status = .ok, headerFields: HTTPFields = [:], body: [UInt8] = []) {
        head = HTTPResponse(status: status, headerFields: headerFields)
        self.body = .bytes(body)
    }

    /// A response whose body is the UTF-8 bytes of `body`.
    public init(status: HTTPResponse.Status = .ok, headerFields: HTTPFields = [:], body: String) {
        self.init(status: status, headerFields: headerFields, body: Array(body.utf8))
    }

    /// A response whose body `write` produces (see ``Body/stream(length:_:)``).
    public init(
        status: HTTPResponse.Status = .ok, headerFields: HTTPFields = [:], contentLength: Int? = nil,
        streaming write: @escaping (HTTPResponseBodyWriter) async throws -> Void
    ) {
        head = HTTPResponse(status: status, headerFields: headerFields)
        body = .stream(length: contentLength, write)
    }
}

/// How a handler answers a request (see `EventLoop.startHTTPServer(host:port:reusePort:configuration:_:)`):
/// runs as a loop task per request, on the loop of the connection.
public typealias HTTPHandler = (HTTPServerRequest) async throws -> HTTPServerResponse

/// Writes a streamed response body (``HTTPServerResponse/Body/stream(length:_:)``), with back-pressure:
/// ``write(_:)-([UInt8])`` waits while the connection's write buffer is above its high-water mark (the
/// client reads slowly), so a producer never gets ahead of the network by more than that.
///
/// Loop-confined, hence `@unchecked Sendable`; valid only while the `write` closure runs.
public final class HTTPResponseBodyWriter: @unchecked Sendable {
    let connection: HTTPServerConnection
    let chunked: Bool
    /// Bytes still owed when a length was announced.
    var remaining: Int?
    var finished = false

    init(connection: HTTPServerConnection, chunked: Bool, length: Int?) {
        self.connection = connection
        self.chunked = chunked
        self.remaining = length
    }

    /// Writes `bytes` (a chunk, when chunked; nothing for an empty array), then waits while the
    /// connection's write buffer is full.
    /// - Throws: `StreamClosedError` or the connection's `IOError` when the client is
    ///   gone; ``HTTPResponseLengthError`` when more bytes are written than the announced length.
    nonisolated(nonsending) public func write(_ bytes: [UInt8]) async throws {
        connection.loop.preconditionOnLoopThread("HTTPResponseBodyWriter.write")
        try bytes.withUnsafeBytes { try connection.writeBody($0, writer: self) }
        try await connection.waitForWritable()
    }

    /// Writes the UTF-8 bytes of `text` (see ``write(_:)-([UInt8])``).
    nonisolated(nonsending) public func write(_ text: String) async throws {
        try await write(Array(text.utf8))
    }
}

/// A streamed response body did not match its announced `Content-Length`: the connection is aborted.
public struct HTTPResponseLengthError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The announced length.
    public var announced: Int
    /// The bytes written (so far, when too many).
    public var written: Int
    /// The error.
    public init(announced: Int, written: Int) {
        self.announced = announced
        self.written = written
    }
    /// A readable form, for logs and test failures.
    public var description: String { "HTTPResponseLengthError(announced: \(announced), written: \(written))" }
}
