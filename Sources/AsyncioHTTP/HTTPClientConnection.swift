import Asyncio
import HTTPTypes

/// What a request gets back first: the head, and the stream its body arrives in.
struct HTTPClientHead: @unchecked Sendable {
    var response: HTTPResponse
    var stream: HTTPClientBodyStream
}

/// One kept-alive HTTP/1.1 connection of an ``HTTPClient``'s pool, on the protocol API: the
/// response is decoded inside the read callback and its body handed to the response's stream. One
/// exchange (request and response) at a time. Loop-confined.
final class HTTPClientConnection: StreamProtocol, @unchecked Sendable {
    let loop: EventLoop
    let host: String
    let port: Int
    private let configuration: HTTPClient.Configuration
    private weak var pool: HTTPClientHostPool?
    /// Whether the pool counts this connection (false once it was retired from the count early).
    var countedInPool = true
    private var transport: StreamTransport?
    private var parser: HTTPParser
    /// A 1xx response is under way: its end is not the exchange's.
    private var skippingInformational = false
    /// Closed, or closing: never used again.
    private(set) var isClosing = false
    private var lostReported = false
    /// Exchanges started; each writer and stream names its own, so that a late call about an earlier
    /// exchange cannot touch the current one.
    private(set) var exchangeCount = 0
    private var active = false
    private var headWaiter: Future<HTTPClientHead>?
    private weak var stream: HTTPClientBodyStream?
    private var receivingBody = false
    private var requestKeepAlive = true
    private var responseKeepAlive = true
    private var requestComplete = false
    /// Whether any byte of the current exchange's response came.
    private(set) var receivedResponseBytes = false
    /// Whether any byte of the current request was handed to the socket.
    private(set) var wroteRequestBytes = false
    private var readingPaused = false
    private var writingPaused = false
    /// The server gave its final answer (an error, or a close) while the request body was still being
    /// sent: the rest of the body is not sent (RFC 9112 §9.5).
    private var answeredEarly = false
    /// The request body will not be completed (the response came first): the connection is reset
    /// once the response has been received.
    private var requestAbandoned = false
    private var writeWaiter: Future<Void>?
    private var chunked = false
    private var remainingLength: Int?
    var idleTimer: TimerHandle?

    private init(loop: EventLoop, host: String, port: Int, configuration: HTTPClient.Configuration, pool: HTTPClientHostPool) {
        self.loop = loop
        self.host = host
        self.port = port
        self.configuration = configuration
        self.pool = pool
        parser = HTTPParser(.response, limits: .init(maxHeaderBytes: configuration.maxResponseHeadSize))
    }

    /// Connects to `host`:`port` within the configuration's connect timeout.
    nonisolated(nonsending) static func connect(
        host: String, port: Int, configuration: HTTPClient.Configuration, pool: HTTPClientHostPool, loop: EventLoop
    ) async throws -> HTTPClientConnection {
        let connection = HTTPClientConnection(loop: loop, host: host, port: port, configuration: configuration, pool: pool)
        do {
            if let limit = configuration.connectTimeout {
                try await loop.withTimeout(limit) { _ in try await connection.open() }
            } else {
                try await connection.open()
            }
        } catch is TimeoutError {
            throw HTTPClientError(.connectTimeout, "could not connect to \(host):\(port) within \(configuration.connectTimeout!)")
        } catch let error as IOError {
            if error.code == .ECONNREFUSED {
                throw HTTPClientError(.connectionRefused, "connection to \(host):\(port) refused (\(error))")
            }
            throw HTTPClientError(.connectFailed, "could not connect to \(host):\(port): \(error)")
        }
        return connection
    }

    nonisolated(nonsending) private func open() async throws {
        let (transport, _) = try await loop.createConnection(host: host, port: port) { self }
        if isClosing {  // lost at once
            throw HTTPClientError(.connectionClosed, "the connection to \(host):\(port) closed as it opened")
        }
        self.transport = transport
    }

    /// Whether a new exchange may start on it.
    var isUsable: Bool { !isClosing && !active && transport != nil }

    // MARK: the exchange

    /// Sends one request (its serialized head, then its body) and waits for the response's head.
    /// - Parameters:
    ///   - closeAfter: the request asked for `Connection: close`.
    /// - Throws: ``HTTPClientError``; `CancelledError`; what a streamed body's producer throws. After
    ///   any error the connection is closed.
    nonisolated(nonsending) func exchange(
        head: [UInt8], body: HTTPClientRequestBody?, method: HTTPRequest.Method, closeAfter: Bool
    ) async throws -> HTTPClientHead {
        precondition(!active, "HTTPClientConnection: one exchange at a time")
        idleTimer?.cancel()
        idleTimer = nil
        guard !isClosing, transport != nil else {
            throw HTTPClientError(.connectionClosed, "the connection to \(host):\(port) was closed")
        }
        exchangeCount += 1
        active = true
        requestComplete = false
        receivedResponseBytes = false
        wroteRequestBytes = false
        requestKeepAlive = !closeAfter
        responseKeepAlive = true
        skippingInformational = false
        answeredEarly = false
        requestAbandoned = false
        parser.expectResponse(to: method)
        let future = Future<HTTPClientHead>(loop: loop)
        headWaiter = future
        do {
            switch body?.storage {
            case nil:
                try write(head)
            case .bytes(let bytes)?:
                try write(head + bytes)
            case .stream(let length, let produce)?:
                chunked = length == nil
                remainingLength = length
                try write(head)
                try await produce(HTTPClientRequestBody.Writer(connection: self, exchange: exchangeCount))
                if chunked {
                    try write(Array("0\r\n\r\n".utf8))
                } else if let remainingLength, remainingLength != 0 {
                    throw HTTPClientError(.invalidRequest, "the streamed body was \(remainingLength) bytes shorter than its declared length \(length!)")
                }
            }
            requestComplete = true
            if !active { finishedExchange() }  // the whole response came before the request's end
            return try await future.value
        } catch {
            if headWaiter === future { headWaiter = nil }
            if future.isDone, let head = try? future.result(), error is HTTPClientError {
                // The server answered before the body was sent in full (a 413, say) and stopped reading
                // it: that answer is the outcome. The connection closes after it.
                requestAbandoned = true
                if !active { abortNow() }  // a flushing close would wait for a peer that reads no more
                return head
            }
            if !future.isDone { future.cancel() }
            abortNow()
            throw error
        }
    }

    private func write(_ bytes: [UInt8]) throws(HTTPClientError) {
        guard let transport, !isClosing else {
            throw HTTPClientError(.connectionClosed, "the connection to \(host):\(port) closed before the request was sent")
        }
        do {
            try transport.write(bytes)
        } catch let error as IOError {
            throw HTTPClientError(.connectionReset, "sending the request to \(host):\(port) failed: \(error)")
        } catch {
            throw HTTPClientError(.connectionClosed, "the connection to \(host):\(port) closed while the request was sent")
        }
        if !bytes.isEmpty { wroteRequestBytes = true }
    }

    /// A part of a streamed request body, from ``HTTPClientRequestBody/Writer``.
    nonisolated(nonsending) func writeBodyPart(_ bytes: [UInt8], exchange: Int) async throws {
        guard exchange == exchangeCount, !requestComplete else {
            throw HTTPClientError(.invalidRequest, "the request this body belongs to is over")
        }
        guard active, !answeredEarly else {  // the server answered (or the connection ended) before the body was complete
            throw HTTPClientError(.connectionClosed, "\(host):\(port) answered before the request body was complete")
        }
        while writingPaused && !isClosing && !answeredEarly {
            let future = Future<Void>(loop: loop)
            writeWaiter = future
            try await future.value
        }
        if answeredEarly || isClosing {
            throw HTTPClientError(.connectionClosed, "\(host):\(port) answered before the request body was complete")
        }
        guard !bytes.isEmpty else { return }
        if let remaining = remainingLength {
            guard bytes.count <= remaining else {
                throw HTTPClientError(.invalidRequest, "the streamed body is longer than its declared length")
            }
            remainingLength = remaining - bytes.count
            try write(bytes)
        } else {
            try write(Array((String(bytes.count, radix: 16) + "\r\n").utf8) + bytes + [13, 10])
        }
    }

    // MARK: the protocol's callbacks

    func connectionMade(_ transport: StreamTransport) {}

    func dataReceived(_ bytes: UnsafeRawBufferPointer) {
        guard !isClosing else { return }
        receivedResponseBytes = true
        var input = bytes
        while !isClosing {
            guard active else {  // bytes nobody asked for: the server broke the protocol
                if !input.isEmpty { abortNow() }
                return
            }
            let event: HTTPParser.Event
            do {
                guard let next = try parser.next(&input) else { return }
                event = next
            } catch {
                fail(HTTPClientError(.malformedResponse, "\(host):\(port) sent a malformed response: \(error)"))
                abortNow()
                return
            }
            switch event {
            case .request:
                abortNow()  // not in response mode
            case .response(let head):
                if head.response.status.kind == .informational {  // 100 Continue, 103 Early Hints: skipped
                    skippingInformational = true
                    continue
                }
                responseKeepAlive = head.keepAlive
                let stream = HTTPClientBodyStream(
                    loop: loop, connection: self, exchange: exchangeCount, limit: configuration.bodyBufferSize,
                    readTimeout: configuration.readTimeout)
                guard let waiter = headWaiter, !waiter.isDone else {  // the request gave up (timeout, cancellation)
                    abortNow()
                    return
                }
                headWaiter = nil
                self.stream = stream
                receivingBody = true
                if !requestComplete && (!head.keepAlive || head.response.status.code >= 400) {
                    answeredEarly = true  // the server refuses the body: stop sending it
                    if let writeWaiter, !writeWaiter.isDone { try? writeWaiter.setResult(()) }
                    writeWaiter = nil
                }
                try? waiter.setResult(HTTPClientHead(response: head.response, stream: stream))
            case .body(let bytes):
                if skippingInformational { continue }
                guard let stream else {  // the response was dropped unread
                    abortNow()
                    return
                }
                if stream.append(Array(bytes)) && !readingPaused {
                    readingPaused = true
                    transport?.pauseReading()
                }
            case .end:
                if skippingInformational {
                    skippingInformational = false
                    continue
                }
                stream?.finish()
                stream = nil
                receivingBody = false
                active = false
                if requestComplete { finishedExchange() } else if requestAbandoned { abortNow() }
            }
        }
    }

    /// The response has been received in full and the request sent in full: back to the pool if both
    /// sides keep the connection alive (and nothing more came), closed otherwise.
    private func finishedExchange() {
        if readingPaused {
            readingPaused = false
            transport?.resumeReading()
        }
        if requestKeepAlive && responseKeepAlive && !parser.hasPartialMessage && !isClosing, let pool {
            pool.release(self)
        } else {
            close()
        }
    }

    func eofReceived() -> Bool { false }

    func connectionLost(_ error: (any Error)?) {
        isClosing = true
        transport = nil
        idleTimer?.cancel()
        idleTimer = nil
        let lost: HTTPClientError
        if let error {
            lost = HTTPClientError(.connectionReset, "the connection to \(host):\(port) broke: \(error)")
        } else {
            lost = HTTPClientError(.connectionClosed, "\(host):\(port) closed the connection before the response was complete")
        }
        if active {
            if receivingBody, let stream {
                if error == nil, parser.readsUntilClose { stream.finish() } else { stream.fail(lost) }
            }
            fail(lost)
            active = false
        }
        stream = nil
        receivingBody = false
        if let writeWaiter, !writeWaiter.isDone { try? writeWaiter.setResult(()) }
        writeWaiter = nil
        if !lostReported {
            lostReported = true
            pool?.connectionClosed(self)
        }
    }

    func pauseWriting() { writingPaused = true }

    func resumeWriting() {
        writingPaused = false
        if let writeWaiter, !writeWaiter.isDone { try? writeWaiter.setResult(()) }
        writeWaiter = nil
    }

    /// Fails the waiting request and the body stream of the current exchange.
    private func fail(_ error: HTTPClientError) {
        if let waiter = headWaiter {
            headWaiter = nil
            if !waiter.isDone { try? waiter.setError(error) }
        }
        if receivingBody { stream?.fail(error) }
    }

    // MARK: from the body stream

    /// The reader consumed enough of the buffered body: read the socket again.
    func bodyConsumed(exchange: Int) {
        guard exchange == exchangeCount, readingPaused, !isClosing else { return }
        readingPaused = false
        transport?.resumeReading()
    }

    /// The body of `exchange` will not be read to its end (dropped, timed out, too large, cancelled).
    func abandon(exchange: Int) {
        guard exchange == exchangeCount, active, !isClosing else { return }
        abortNow()
    }

    // MARK: closing

    /// Closes after what was written (an idle connection, or one the response said to close).
    func close() {
        guard !isClosing else { return }
        isClosing = true
        if let transport { transport.close() } else { reportClosedWithoutTransport() }
    }

    /// Closes at once (a reset): the connection is in an unknown state.
    func abortNow() {
        guard !isClosing else { return }
        isClosing = true
        if let transport { transport.abort() } else { reportClosedWithoutTransport() }
    }

    private func reportClosedWithoutTransport() {
        if !lostReported {
            lostReported = true
            pool?.connectionClosed(self)
        }
    }
}
