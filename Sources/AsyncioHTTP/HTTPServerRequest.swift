import Asyncio
import DequeModule
import HTTPTypes

/// A request as an ``HTTPHandler`` sees it: the head, and the body as it arrives.
public struct HTTPServerRequest: Sendable {
    /// The method, the request target (`HTTPRequest.path`), the `Host` field
    /// (`HTTPRequest.authority`) and the header fields.
    public var head: HTTPRequest
    /// The HTTP version of the request line.
    public var version: HTTPVersion
    /// The body, read as it arrives (an `AsyncSequence` of byte chunks; empty for a request without one).
    public var body: HTTPRequestBody

    /// The connection it came on (tests).
    var connection: HTTPServerConnection?

    /// The method (shortcut for `head.method`).
    public var method: HTTPRequest.Method { head.method }
    /// The request target: path and query, as sent (shortcut for `head.path`).
    public var path: String { head.path ?? "" }
    /// The header fields (shortcut for `head.headerFields`).
    public var headerFields: HTTPFields { head.headerFields }
}

/// A request's body, in the chunks it arrives in: an `AsyncSequence` of `[UInt8]`, iterated once, on
/// the loop the request came in on (the handler's).
///
/// Back-pressure: the connection stops reading while more than the server's
/// ``HTTPServerConfiguration/bodyBufferSize`` bytes wait here unread, and resumes as the handler reads
/// them. A client that sent `Expect: 100-continue` gets its `100 Continue` when the handler first asks
/// for the body. A body the handler leaves unread is read and dropped after the response (so the
/// connection can carry the next request), unless the client still waits for a `100 Continue`: then the
/// connection closes after the response.
///
/// Iterating throws ``HTTPParseError`` when the body is malformed or too long (a handler that lets it
/// propagate answers with its status), ``HTTPBodyTimeoutError`` when the client stops sending it, and
/// `StreamClosedError` when the connection ends first.
///
/// Loop-confined: every member checks that it runs on the loop thread, hence `@unchecked Sendable`.
public final class HTTPRequestBody: AsyncSequence, EagerTaskBody, @unchecked Sendable {
    /// Chunks of the body.
    public typealias Element = [UInt8]
    /// The body's failures (see ``HTTPRequestBody``).
    public typealias Failure = any Error

    let loop: EventLoop
    private var chunks = Deque<[UInt8]>()
    private(set) var bufferedBytes = 0
    /// All of it arrived (or there is none).
    private(set) var isComplete: Bool
    private var error: (any Error)?
    private var waiter: Future<Void>?
    /// The handler is done with the request: what arrives now is dropped.
    private(set) var isAbandoned = false
    /// Bytes received in all.
    private(set) var receivedBytes = 0
    /// The connection, told when the handler first asks for a byte (it sends `100 Continue` if the
    /// client expects one) and when the buffer drains (it resumes reading); nil once the exchange is over
    /// (a strong reference, no closure and no weak reference per request: the connection clears it).
    var connection: HTTPServerConnection?
    private var firstRead = true
    let highWaterMark: Int

    // The exchange (one request and its response on a connection), kept here rather than in an object of
    // its own. Loop-confined, mutated in short calls: no dynamic exclusivity checks (see
    // `HTTPServerConnection`).
    /// The request's head.
    let head: HTTPRequestHead
    /// The parser reached the end of the request (its body included).
    @exclusivity(unchecked) var ended = false
    /// The response was written whole.
    @exclusivity(unchecked) var responseComplete = false
    @exclusivity(unchecked) var continueSent = false
    @exclusivity(unchecked) var keepAlive: Bool
    /// The request's loop task, until the response is written.
    @exclusivity(unchecked) var task: LoopTask<Void>?
    /// The handler starts when the parser reaches the end of the body (it was all in one read).
    @exclusivity(unchecked) var startsWhenBodyEnds = false

    init(head: HTTPRequestHead, connection: HTTPServerConnection, highWaterMark: Int) {
        self.loop = connection.loop
        self.head = head
        self.connection = connection
        self.isComplete = head.framing == .none
        self.keepAlive = head.keepAlive
        self.highWaterMark = highWaterMark
    }

    /// The body (the exchange is the body object).
    var body: HTTPRequestBody { self }

    /// A body is expected and has not all arrived.
    var bodyPending: Bool { head.framing != .none && !ended }

    /// Whether the connection should stop reading for now.
    var isFull: Bool { bufferedBytes > highWaterMark && !isAbandoned }

    func append(_ bytes: UnsafeRawBufferPointer) {
        receivedBytes += bytes.count
        guard !isAbandoned, !bytes.isEmpty else { return }
        chunks.append(Array(bytes))
        bufferedBytes += bytes.count
        wake()
    }

    func finish() {
        isComplete = true
        wake()
    }

    func fail(_ error: any Error) {
        guard !isComplete, self.error == nil else { return }
        self.error = error
        wake()
    }

    /// The handler returned: drop what is buffered and whatever comes.
    func abandon() {
        isAbandoned = true
        chunks.removeAll()
        bufferedBytes = 0
    }

    private func wake() {
        if let waiter {
            self.waiter = nil
            if !waiter.isDone { try? waiter.setResult(()) }
        }
    }

    /// The next chunk, or nil at the end of the body.
    nonisolated(nonsending) func nextChunk() async throws -> [UInt8]? {
        loop.preconditionOnLoopThread("HTTPRequestBody.next")
        while true {
            if let chunk = chunks.popFirst() {
                let wasFull = isFull
                bufferedBytes -= chunk.count
                if wasFull && !isFull || bufferedBytes <= highWaterMark / 2 { connection?.bodyDrained() }
                return chunk
            }
            if let error { throw error }
            if isComplete || isAbandoned { return nil }
            if firstRead {
                firstRead = false
                connection?.bodyFirstRead()
            }
            let waiter = Future<Void>(loop: loop)
            self.waiter = waiter
            connection?.bodyDrained()
            try await waiter.value
        }
    }

    /// Reads the whole body, at most `limit` bytes of it.
    /// - Throws: ``HTTPParseError`` (``HTTPParseError/Kind/bodyTooLarge``) beyond `limit`, and what
    ///   iterating throws.
    nonisolated(nonsending) public func collect(upTo limit: Int) async throws -> [UInt8] {
        loop.preconditionOnLoopThread("HTTPRequestBody.collect")
        var bytes: [UInt8] = []
        while let chunk = try await nextChunk() {
            guard bytes.count + chunk.count <= limit else { throw HTTPParseError(.bodyTooLarge) }
            if bytes.isEmpty { bytes = chunk } else { bytes += chunk }
        }
        return bytes
    }

    /// Runs the handler and writes its response (the request's loop task).
    nonisolated(nonsending) package func runTask() async {
        guard let connection else { return }
        let request = HTTPServerRequest(head: head.request, version: head.version, body: self, connection: connection)
        await connection.respond(to: request, self)
    }

    /// Iterates the chunks of the body.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let body: HTTPRequestBody

        /// The next chunk, or nil at the end of the body.
        public mutating func next() async throws -> [UInt8]? { try await body.nextChunk() }
    }

    /// An iterator over the chunks of the body (one iteration per body: the chunks are consumed).
    public func makeAsyncIterator() -> AsyncIterator {
        loop.preconditionOnLoopThread("HTTPRequestBody.makeAsyncIterator")
        return AsyncIterator(body: self)
    }
}

/// A request body stopped arriving: no byte for the server's ``HTTPServerConfiguration/bodyTimeout``.
/// The connection reads no more; a handler that lets this error through answers 408, and the connection
/// closes after the response.
public struct HTTPBodyTimeoutError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The error.
    public init() {}
    /// A readable form, for logs and test failures.
    public var description: String { "HTTPBodyTimeoutError" }
}
