/// The body of a request sent by ``HTTPClient``: bytes known in advance (sent with `Content-Length`),
/// or a stream written piece by piece (sent with `Content-Length` when its length is given, chunked
/// otherwise), with back-pressure: each ``Writer/write(_:)-([UInt8])`` waits while the socket's write buffer is full.
///
/// ```swift
/// let response = try await client.post("http://127.0.0.1:8080/upload", body: .stream { writer in
///     for part in parts { try await writer.write(part) }
/// })
/// ```
///
/// A body of bytes can be sent again: it follows a 307 or 308 redirect, and a request that met a
/// connection the server had closed while idle is retried with it. A stream cannot: a 307 or 308
/// response to a streamed request is returned as it is.
public struct HTTPClientRequestBody: Sendable {
    enum Storage: Sendable {
        case bytes([UInt8])
        case stream(length: Int?, @Sendable (Writer) async throws -> Void)
    }

    let storage: Storage

    /// A body of these bytes.
    public static func bytes(_ bytes: [UInt8]) -> HTTPClientRequestBody {
        HTTPClientRequestBody(storage: .bytes(bytes))
    }

    /// A body of the UTF-8 bytes of `text`.
    public static func string(_ text: String) -> HTTPClientRequestBody {
        HTTPClientRequestBody(storage: .bytes(Array(text.utf8)))
    }

    /// A body that `produce` writes, on the loop, once the request's head is sent. With a `length`,
    /// it is sent with `Content-Length` and must write exactly that many bytes (else the request
    /// fails with ``HTTPClientError/Kind/invalidRequest`` and its connection is closed: a message cut
    /// short cannot be repaired); without, it is sent chunked. If `produce` throws, the request fails
    /// with that error and its connection is closed.
    public static func stream(
        length: Int? = nil, _ produce: @escaping @Sendable (_ writer: Writer) async throws -> Void
    ) -> HTTPClientRequestBody {
        precondition(length.map { $0 >= 0 } ?? true, "HTTPClientRequestBody.stream: a length cannot be negative")
        return HTTPClientRequestBody(storage: .stream(length: length, produce))
    }

    /// Whether the body can be sent a second time (bytes can, a stream cannot).
    var isReplayable: Bool {
        if case .bytes = storage { return true }
        return false
    }

    /// Where a streamed body writes: each write goes to the connection (chunked or not), waiting first
    /// while the connection's write buffer is above its high-water mark.
    ///
    /// Loop-confined, like the client: use it on the loop's thread, inside the `produce` closure.
    public struct Writer: @unchecked Sendable {
        let connection: HTTPClientConnection
        let exchange: Int

        /// Writes `bytes` as the next part of the body (an empty array writes nothing).
        /// - Throws: ``HTTPClientError`` when the connection broke, or when a body of declared length
        ///   gets more bytes than that length.
        nonisolated(nonsending) public func write(_ bytes: [UInt8]) async throws {
            connection.loop.preconditionOnLoopThread("HTTPClientRequestBody.Writer.write")
            try await connection.writeBodyPart(bytes, exchange: exchange)
        }

        /// Writes the UTF-8 bytes of `text` as the next part of the body.
        nonisolated(nonsending) public func write(_ text: String) async throws {
            connection.loop.preconditionOnLoopThread("HTTPClientRequestBody.Writer.write")
            try await connection.writeBodyPart(Array(text.utf8), exchange: exchange)
        }
    }
}
