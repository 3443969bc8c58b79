import Asyncio
import HTTPTypes

/// A response received by ``HTTPClient``: its head (status and header fields, as swift-http-types'
/// `HTTPResponse`) as soon as it has arrived, and its ``body``, read as it comes.
///
/// Read the body to its end (``Body/collect(upTo:)``, or a `for try await` loop over ``body``): the
/// connection goes back to the pool once the whole response has been received. A response dropped
/// with its body unread closes its connection.
public final class HTTPClientResponse: @unchecked Sendable {
    /// The status line and header fields.
    public let head: HTTPResponse
    /// The URL that answered: the request's, or the last redirect's target.
    public let url: String
    /// The body, as an `AsyncSequence` of byte chunks.
    public let body: Body

    init(head: HTTPResponse, url: String, body: Body) {
        self.head = head
        self.url = url
        self.body = body
    }

    /// The status (code and reason phrase).
    public var status: HTTPResponse.Status { head.status }

    /// The header fields.
    public var headerFields: HTTPFields { head.headerFields }

    /// The body of a response: byte chunks in the order they arrived, read with back-pressure (when
    /// ``HTTPClient/Configuration/bodyBufferSize`` bytes wait unread, the client stops reading the
    /// socket until they are consumed). One reader at a time.
    ///
    /// Loop-confined: iterate it on the client's loop.
    public struct Body: AsyncSequence, Sendable {
        /// A chunk of the body: the bytes one read brought (or part of them).
        public typealias Element = [UInt8]
        /// The failure of a read: ``HTTPClientError`` (`CancelledError` if the reading task is cancelled).
        public typealias Failure = any Error

        let stream: HTTPClientBodyStream

        /// The iterator: each `next()` returns the next chunk, waiting for it if needed, and nil at the end.
        public struct AsyncIterator: AsyncIteratorProtocol {
            let stream: HTTPClientBodyStream

            /// The next chunk, nil after the last one.
            /// - Throws: ``HTTPClientError`` (``HTTPClientError/Kind/connectionClosed``,
            ///   ``HTTPClientError/Kind/connectionReset``, ``HTTPClientError/Kind/readTimeout``...).
            nonisolated(nonsending) public mutating func next() async throws -> [UInt8]? {
                stream.loop.preconditionOnLoopThread("HTTPClientResponse.Body.next")
                return try await stream.next()
            }
        }

        /// An iterator over the chunks.
        public func makeAsyncIterator() -> AsyncIterator {
            stream.loop.preconditionOnLoopThread("HTTPClientResponse.Body.makeAsyncIterator")
            return AsyncIterator(stream: stream)
        }

        /// Reads the whole body into one array.
        /// - Parameter maxBytes: the most bytes accepted.
        /// - Throws: ``HTTPClientError/Kind/bodyTooLarge`` when the body is larger (its connection is
        ///   then closed), or the error that ended the body early.
        nonisolated(nonsending) public func collect(upTo maxBytes: Int) async throws -> [UInt8] {
            stream.loop.preconditionOnLoopThread("HTTPClientResponse.Body.collect")
            var bytes: [UInt8] = []
            while let chunk = try await stream.next() {
                guard bytes.count + chunk.count <= maxBytes else {
                    stream.discard()
                    throw HTTPClientError(.bodyTooLarge, "the response body is larger than \(maxBytes) bytes")
                }
                bytes.append(contentsOf: chunk)
            }
            return bytes
        }

        /// Reads the whole body (at most `maxBytes`) and decodes it as UTF-8.
        nonisolated(nonsending) public func text(upTo maxBytes: Int) async throws -> String {
            stream.loop.preconditionOnLoopThread("HTTPClientResponse.Body.text")
            return String(decoding: try await collect(upTo: maxBytes), as: UTF8.self)
        }
    }
}

/// The body bytes of one response between the connection (which appends them from its read
/// callback) and the reader (which takes them); pauses the connection's reading above the buffer
/// limit. Loop-confined.
final class HTTPClientBodyStream: @unchecked Sendable {
    let loop: EventLoop
    private let connection: HTTPClientConnection?
    private let exchange: Int
    private let limit: Int
    private let readTimeout: Duration?
    private var chunks: [[UInt8]] = []
    private var firstChunk = 0
    private var buffered = 0
    /// The most bytes that waited here unread at once (tests check the back-pressure with it).
    private(set) var peakBuffered = 0
    private var ended = false
    private var failure: (any Error)?
    private var waiter: Future<Void>?

    init(loop: EventLoop, connection: HTTPClientConnection?, exchange: Int, limit: Int, readTimeout: Duration?) {
        self.loop = loop
        self.connection = connection
        self.exchange = exchange
        self.limit = limit
        self.readTimeout = readTimeout
    }

    /// A body that has already ended (no body, or one read in full elsewhere).
    static func empty(loop: EventLoop) -> HTTPClientBodyStream {
        let stream = HTTPClientBodyStream(loop: loop, connection: nil, exchange: 0, limit: 0, readTimeout: nil)
        stream.ended = true
        return stream
    }

    deinit {
        // Dropped unread: the rest of the response will never be read, so the connection cannot be reused.
        guard !ended, failure == nil, let connection else { return }
        let exchange = self.exchange
        _ = try? loop.callSoonThreadsafe { connection.abandon(exchange: exchange) }
    }

    /// Whether more bytes may be appended.
    var isOpen: Bool { !ended && failure == nil }

    /// From the connection: body bytes. Returns whether the connection should pause reading.
    func append(_ bytes: [UInt8]) -> Bool {
        guard isOpen, !bytes.isEmpty else { return false }
        chunks.append(bytes)
        buffered += bytes.count
        peakBuffered = max(peakBuffered, buffered)
        wake()
        return buffered > limit
    }

    /// From the connection: the body is complete.
    func finish() {
        guard isOpen else { return }
        ended = true
        wake()
    }

    /// From the connection: the body was cut short.
    func fail(_ error: any Error) {
        guard isOpen else { return }
        failure = error
        wake()
    }

    /// The reader gives up on the rest (too large): the connection is closed.
    func discard() {
        let wasOpen = isOpen
        chunks.removeAll()
        firstChunk = 0
        buffered = 0
        if wasOpen {
            failure = HTTPClientError(.bodyTooLarge, "the rest of the body was discarded")
            connection?.abandon(exchange: exchange)
        }
    }

    private func wake() {
        guard let waiter else { return }
        self.waiter = nil
        if !waiter.isDone { try? waiter.setResult(()) }
    }

    nonisolated(nonsending) func next() async throws -> [UInt8]? {
        while true {
            if firstChunk < chunks.count {
                let chunk = chunks[firstChunk]
                firstChunk += 1
                if firstChunk == chunks.count {
                    chunks.removeAll(keepingCapacity: true)
                    firstChunk = 0
                }
                buffered -= chunk.count
                if buffered <= limit / 4 { connection?.bodyConsumed(exchange: exchange) }
                return chunk
            }
            if let failure { throw failure }
            if ended { return nil }
            let future = Future<Void>(loop: loop)
            waiter = future
            var timer: TimerHandle?
            if let readTimeout {
                // A strong capture: the timer is cancelled when this wait ends (the `defer` below), or fires
                // once; either way it lets go of the stream.
                timer = try loop.callLater(readTimeout) { [self] in
                    guard !future.isDone else { return }
                    fail(HTTPClientError(.readTimeout, "no byte of the response body came for \(readTimeout)"))
                    connection?.abandon(exchange: exchange)
                }
            }
            defer { timer?.cancel() }
            do {
                try await future.value
            } catch {
                // The reading task was cancelled: the body is left half read, so the connection goes.
                if waiter === future { waiter = nil }
                fail(error)
                connection?.abandon(exchange: exchange)
                throw error
            }
        }
    }
}
