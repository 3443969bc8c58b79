import Asyncio
import HTTPTypes
#if canImport(Glibc)
import Glibc
#endif

/// One request and its response on a connection: its ``HTTPRequestBody`` (which holds the exchange's
/// state, so that a request costs one object less).
typealias HTTPExchange = HTTPRequestBody

/// The protocol behind an HTTP/1.1 server connection: parses requests from libuv's read callbacks (no
/// task per read), runs the handler as one loop task per request, writes the responses in order.
///
/// One request at a time: once a request has arrived whole, the bytes after it (pipelined requests)
/// wait, unparsed, until its response is written; above 64 KiB of them, reading pauses. A request body
/// is handed to the handler as it arrives; above ``HTTPServerConfiguration/bodyBufferSize`` unread
/// bytes, reading pauses until the handler reads.
///
/// Loop-confined (libuv callbacks and the handler's task all run on the loop thread), hence
/// `@unchecked Sendable`. Its mutable state is `@exclusivity(unchecked)` (no dynamic exclusivity check,
/// about 60 instructions per access, a dozen accesses per request): every access is on the loop
/// thread, and none overlaps another — the parser and the buffers are mutated only in short calls
/// that call no handler code (a handler runs after `parser.next` has returned; heads are built in a
/// local array).
final class HTTPServerConnection: StreamProtocol, @unchecked Sendable {
    let loop: EventLoop
    let configuration: HTTPServerConfiguration
    let handler: HTTPHandler
    @exclusivity(unchecked) private var transport: StreamTransport?
    @exclusivity(unchecked) private var parser: HTTPParser
    @exclusivity(unchecked) private var exchange: HTTPExchange?
    /// Bytes received after a complete request, waiting for its response to be written.
    @exclusivity(unchecked) private var pending: [UInt8] = []
    private static let pendingLimit = 64 * 1024
    @exclusivity(unchecked) private var inParseLoop = false
    @exclusivity(unchecked) private var drainScheduled = false
    /// Closing or closed: nothing more is read or answered.
    @exclusivity(unchecked) private var closed = false
    @exclusivity(unchecked) private var peerEOF = false
    @exclusivity(unchecked) private var readingPaused = false
    /// Nothing more is read (a body timed out): the response is the last thing on the connection.
    @exclusivity(unchecked) private var readingStopped = false
    @exclusivity(unchecked) private var writingPaused = false
    @exclusivity(unchecked) private var writableWaiter: Future<Void>?
    /// The head being serialised (reused).
    @exclusivity(unchecked) private var out = ByteBuffer()
    /// Responses gathered while the parse loop runs (see `emit`).
    @exclusivity(unchecked) private var corked = ByteBuffer()
    @exclusivity(unchecked) private var dateSecond = -1
    @exclusivity(unchecked) private var dateValue: [UInt8] = []
    // Timeouts beyond the transport's (idle, write): the head and the body.
    @exclusivity(unchecked) private var headStartedAt: Double?
    @exclusivity(unchecked) private var lastByteAt: Double = 0
    @exclusivity(unchecked) private var timer: TimerHandle?

    init(loop: EventLoop, configuration: HTTPServerConfiguration, handler: @escaping HTTPHandler) {
        self.loop = loop
        self.configuration = configuration
        self.handler = handler
        self.parser = HTTPParser(.request, limits: configuration.limits)
    }

    // MARK: StreamProtocol

    func connectionMade(_ transport: StreamTransport) {
        self.transport = transport
    }

    func dataReceived(_ bytes: UnsafeRawBufferPointer) {
        guard !closed else { return }
        lastByteAt = loop.time()
        if !pending.isEmpty || exchange?.ended == true {
            // Waiting for a response: the next request waits too (behind those already waiting).
            pending.append(contentsOf: bytes)
            if exchange == nil { scheduleDrain() }
            updateReading()
            return
        }
        var input = bytes
        parse(&input)
        if !input.isEmpty && !closed { pending.append(contentsOf: input) }
        afterParse()
    }

    func eofReceived() -> Bool {
        peerEOF = true
        guard !closed else { return false }
        if let exchange, !exchange.ended {
            // The request was cut short.
            exchange.body.fail(HTTPParseError(.incompleteMessage))
            exchange.keepAlive = false
            return !exchange.responseComplete
        }
        // Requests received whole are still answered; then the connection closes.
        return exchange != nil || !pending.isEmpty
    }

    func connectionLost(_ error: (any Error)?) {
        closed = true
        timer?.cancel()
        timer = nil
        if let exchange {
            exchange.body.connection = nil
            exchange.body.fail(error ?? StreamClosedError())
            if !exchange.responseComplete { _ = exchange.task?.cancel(message: "the HTTP connection closed") }
        }
        exchange = nil
        pending = []
        wakeWriter()
        transport = nil
    }

    func pauseWriting() { writingPaused = true }

    func resumeWriting() {
        writingPaused = false
        wakeWriter()
    }

    func isIdle(_ transport: StreamTransport) -> Bool {
        exchange == nil && pending.isEmpty && !parser.hasPartialMessage && transport.writeBufferSize == 0
    }

    // MARK: parsing

    private func parse(_ input: inout UnsafeRawBufferPointer) {
        inParseLoop = true
        defer {
            inParseLoop = false
            flushCork()
        }
        while !closed {
            if let exchange, exchange.ended { return }
            let event: HTTPParser.Event?
            do {
                event = try parser.next(&input)
            } catch {
                return parseFailed(error)
            }
            guard let event else { return }
            switch event {
            case .request(let head):
                // A body that is all in this read is parsed before the handler starts: it finds it
                // whole, and reads it without waiting (no suspension, no timer).
                if case .length(let length) = head.framing, length <= input.count {
                    startExchange(head, whenBodyEnds: true)
                } else {
                    startExchange(head, whenBodyEnds: false)
                }
            case .response:
                break
            case .body(let bytes):
                exchange?.body.append(bytes)
            case .end:
                guard let exchange else { continue }
                exchange.body.finish()
                if exchange.responseComplete {
                    self.exchange = nil
                } else {
                    exchange.ended = true
                }
                if exchange.startsWhenBodyEnds {
                    exchange.startsWhenBodyEnds = false
                    startTask(exchange)
                }
            }
        }
    }

    /// After parsing: reading on or off, the head timeout armed if a head is under way.
    private func afterParse() {
        guard !closed else { return }
        if peerEOF && exchange == nil && pending.isEmpty { return closeConnection() }
        if exchange == nil && parser.hasPartialMessage {
            if headStartedAt == nil && configuration.headerTimeout != nil {
                headStartedAt = loop.time()
                armTimer()
            }
        } else {
            headStartedAt = nil
        }
        updateReading()
    }

    private func parseFailed(_ error: HTTPParseError) {
        if let exchange {
            // In a body: the handler's reads throw it; the connection closes after the response.
            exchange.body.fail(error)
            exchange.keepAlive = false
            if exchange.responseComplete { closeConnection() }
            if exchange.startsWhenBodyEnds {  // it never will: the handler starts, and its read throws
                exchange.startsWhenBodyEnds = false
                startTask(exchange)
            }
            return
        }
        writeErrorResponse(error.status)
    }

    /// Answers a request that cannot be served with `status` and closes.
    private func writeErrorResponse(_ status: HTTPResponse.Status) {
        guard let transport, !closed else { return }
        writeHead(HTTPResponse(status: status), status: status, version: .http1_1, length: 0, chunked: false, keepAlive: false)
        try? emit(out.bytes, transport)
        closeConnection()
    }

    private func closeConnection() {
        guard !closed else { return }
        flushCork()
        closed = true
        timer?.cancel()
        timer = nil
        transport?.close()
    }

    private func updateReading() {
        guard let transport, !closed else { return }
        let full = exchange?.body.isFull ?? false
        let wanted = !full && !readingStopped && pending.count < Self.pendingLimit
        if wanted && readingPaused {
            readingPaused = false
            lastByteAt = loop.time()
            transport.resumeReading()
        } else if !wanted && !readingPaused {
            readingPaused = true
            transport.pauseReading()
        }
    }

    // MARK: exchanges

    /// Starts an exchange for a request whose head arrived: its handler starts now, or — `whenBodyEnds`,
    /// for a body already all received — once the parser reached the body's end.
    private func startExchange(_ head: HTTPRequestHead, whenBodyEnds: Bool) {
        headStartedAt = nil
        let exchange = HTTPExchange(head: head, connection: self, highWaterMark: configuration.bodyBufferSize)
        self.exchange = exchange
        if whenBodyEnds {
            exchange.startsWhenBodyEnds = true
            return
        }
        if head.framing != .none && configuration.bodyTimeout != nil {
            lastByteAt = loop.time()
            armTimer()
        }
        startTask(exchange)
    }

    /// Runs the handler of `exchange` as a loop task, started at once.
    private func startTask(_ exchange: HTTPExchange) {
        do {
            exchange.task = try loop.createEagerTask(exchange)
        } catch {
            closeConnection()  // the loop is closing
        }
    }

    /// The handler asked for the body's first bytes: a client waiting for `100 Continue` gets it.
    func bodyFirstRead() {
        guard let exchange, exchange.head.expectsContinue else { return }
        sendContinue(exchange)
    }

    /// The handler read some of the body: reading may resume.
    func bodyDrained() { updateReading() }

    private func sendContinue(_ exchange: HTTPExchange) {
        guard let transport, !closed, !exchange.continueSent, !exchange.responseComplete, !exchange.ended else { return }
        exchange.continueSent = true
        try? emit(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8), transport)
    }

    /// Runs the handler and writes its response (the loop task of one request).
    nonisolated(nonsending) func respond(to request: HTTPServerRequest, _ exchange: HTTPExchange) async {
        var response: HTTPServerResponse
        do {
            response = try await handler(request)
        } catch {
            guard !closed else { return }
            if let parseError = error as? HTTPParseError {
                response = HTTPServerResponse(status: parseError.status)
                exchange.keepAlive = false
            } else if error is HTTPBodyTimeoutError {
                response = HTTPServerResponse(status: .requestTimeout)
                exchange.keepAlive = false
            } else {
                loop.callExceptionHandler(ExceptionContext(
                    message: "HTTP handler failed; answered 500", error: error,
                    source: "\(request.method) \(request.path)"))
                response = HTTPServerResponse(status: .internalServerError)
            }
        }
        guard !closed else { return }
        do {
            try await send(response, for: exchange)
        } catch {
            if !closed {
                if !(error is StreamClosedError) && !(error is IOError) {
                    loop.callExceptionHandler(ExceptionContext(
                        message: "HTTP response body failed; connection aborted", error: error,
                        source: "\(request.method) \(request.path)"))
                }
                flushCork()  // what was written before the failure goes out first, as it would have uncorked
                closed = true
                transport?.abort()
            }
            return
        }
        responseDone(exchange)
    }

    private func responseDone(_ exchange: HTTPExchange) {
        exchange.responseComplete = true
        exchange.task = nil
        exchange.body.connection = nil
        guard !closed else { return }
        if !exchange.keepAlive { return closeConnection() }
        if exchange.ended {
            self.exchange = nil
            if !pending.isEmpty {
                scheduleDrain()
            } else {
                afterParse()
            }
        } else {
            // The handler left (some of) the body unread: read it and drop it.
            exchange.body.abandon()
            updateReading()
        }
    }

    /// Parses the requests that arrived while a response was being written, in a callback of its own
    /// (not nested in the task that wrote it).
    private func scheduleDrain() {
        guard !drainScheduled else { return }
        drainScheduled = true
        do {
            _ = try loop.callSoon { [weak self] in self?.drainPending() }
        } catch {
            closeConnection()
        }
    }

    private func drainPending() {
        drainScheduled = false
        guard !closed, exchange == nil else { return }
        var bytes: [UInt8] = []
        swap(&bytes, &pending)
        bytes.withUnsafeBytes { raw in
            var input = raw
            parse(&input)
            if !input.isEmpty && !closed { pending.append(contentsOf: input) }
        }
        afterParse()
    }

    // MARK: writing

    nonisolated(nonsending) private func send(_ response: HTTPServerResponse, for exchange: HTTPExchange) async throws {
        guard let transport else { throw StreamClosedError() }
        let status = response.head.status  // parsed from a pseudo-header field each time: once
        let code = status.code
        let bodiless = code < 200 || code == 204 || code == 304
        let isHEAD = exchange.head.request.method == .head
        if exchange.head.expectsContinue && !exchange.continueSent && exchange.bodyPending {
            exchange.keepAlive = false  // the client waits for a 100 Continue that will not come
        }
        switch response.body {
        case .bytes(let bytes):
            exchange.keepAlive = writeHead(
                response.head, status: status, version: exchange.head.version, length: bodiless ? nil : bytes.count,
                chunked: false, keepAlive: exchange.keepAlive)
            if bodiless || isHEAD || bytes.isEmpty {
                try emit(out.bytes, transport)
            } else if bytes.count <= 16 * 1024 {
                out.append(bytes)
                try emit(out.bytes, transport)
            } else {
                try emit(out.bytes, transport)
                flushCork()
                var offset = 0
                while offset < bytes.count {
                    try await waitForWritable()
                    let end = min(bytes.count, offset + 64 * 1024)
                    try transport.write(bytes[offset..<end])
                    notePeak(transport)
                    offset = end
                }
            }
        case .stream(let length, let write):
            let chunked = length == nil && !bodiless && exchange.head.version == .http1_1
            if length == nil && !chunked && !bodiless && !isHEAD { exchange.keepAlive = false }
            exchange.keepAlive = writeHead(
                response.head, status: status, version: exchange.head.version, length: bodiless ? nil : length,
                chunked: chunked, keepAlive: exchange.keepAlive)
            try emit(out.bytes, transport)
            if bodiless || isHEAD { return }
            let writer = HTTPResponseBodyWriter(connection: self, chunked: chunked, length: length)
            try await write(writer)
            writer.finished = true
            if let remaining = writer.remaining, remaining > 0, let length {
                throw HTTPResponseLengthError(announced: length, written: length - remaining)
            }
            guard let transport = self.transport, !closed else { throw StreamClosedError() }
            if chunked { try emit([48, 13, 10, 13, 10], transport) }
        }
    }

    /// Writes `bytes`, or — while the parse loop runs, i.e. while pipelined requests are answered at
    /// once — gathers them (up to 64 KiB) to be written in one go when it ends: one `write` for a batch
    /// of pipelined responses instead of one each. Order is kept: what is gathered goes out before any
    /// direct write.
    private func emit(_ bytes: UnsafeRawBufferPointer, _ transport: StreamTransport) throws {
        if inParseLoop && corked.count + bytes.count <= 64 * 1024 {
            corked.append(bytes)
            return
        }
        flushCork()
        try transport.write(bytes)
    }

    private func emit(_ bytes: [UInt8], _ transport: StreamTransport) throws {
        try bytes.withUnsafeBytes { try emit($0, transport) }
    }

    private func flushCork() {
        guard !corked.isEmpty else { return }
        defer { corked.reset(keepingUpTo: 4096) }
        guard let transport, !closed else { return }
        do {
            try transport.write(corked.bytes)
        } catch {
            closed = true  // the peer is gone: nothing more to answer
            transport.abort()
        }
    }

    /// Serialises a response head into ``out``.
    /// The handler's `Connection` field is not copied: a `close` in it closes the connection after this
    /// response. Returns whether the connection stays open.
    @discardableResult
    private func writeHead(_ head: HTTPResponse, status: HTTPResponse.Status, version: HTTPVersion, length: Int?,
                           chunked: Bool, keepAlive: Bool) -> Bool {
        var keepAlive = keepAlive
        out.reset(keepingUpTo: 4096)
        if status.code == 200 && status.reasonPhrase == "OK" {
            out.append(static: "HTTP/1.1 200 OK\r\n")
        } else {
            out.append(static: "HTTP/1.1 ")
            out.appendDecimal(status.code)
            out.append(32)
            var phrase = status.reasonPhrase
            phrase.withUTF8 { out.append(UnsafeRawBufferPointer($0)) }
            out.append(static: "\r\n")
        }
        var hasDate = false
        for field in head.headerFields {
            let name = field.name
            switch name.canonicalName.utf8.count {  // compare only the names of the same length
            case 14 where name == .contentLength, 17 where name == .transferEncoding:
                continue
            case 10 where name == .connection:
                if field.value.lowercased().contains("close") { keepAlive = false }
                continue
            case 4 where name == .date: hasDate = true
            default: break
            }
            var rawName = name.rawName
            rawName.withUTF8 { out.append(UnsafeRawBufferPointer($0)) }
            out.append(static: ": ")
            field.withUnsafeBytesOfValue { out.append(UnsafeRawBufferPointer($0)) }
            out.append(static: "\r\n")
        }
        if !hasDate {
            out.append(static: "Date: ")
            appendDate()
            out.append(static: "\r\n")
        }
        if let length {
            out.append(static: "Content-Length: ")
            out.appendDecimal(length)
            out.append(static: "\r\n")
        }
        if chunked { out.append(static: "Transfer-Encoding: chunked\r\n") }
        if !keepAlive {
            out.append(static: "Connection: close\r\n")
        } else if version == .http1_0 {
            out.append(static: "Connection: keep-alive\r\n")
        }
        out.append(static: "\r\n")
        return keepAlive
    }

    /// Appends the `Date` field's value (RFC 9110 §5.6.7), formatted once per second.
    private func appendDate() {
        var now = time(nil)
        if Int(now) != dateSecond {
            dateSecond = Int(now)
            var parts = tm()
            gmtime_r(&now, &parts)
            let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
            let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
            func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
            let text = "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(1900 + parts.tm_year) "
                + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
            dateValue = Array(text.utf8)
        }
        out.append(dateValue)
    }

    /// A piece of a streamed body (``HTTPResponseBodyWriter``).
    func writeBody(_ bytes: UnsafeRawBufferPointer, writer: HTTPResponseBodyWriter) throws {
        guard !writer.finished else { throw StreamClosedError() }
        guard let transport, !closed else { throw StreamClosedError() }
        guard !bytes.isEmpty else { return }
        if let remaining = writer.remaining {
            guard bytes.count <= remaining else {
                let announced = remaining  // what is left; the total is not needed to refuse
                throw HTTPResponseLengthError(announced: announced, written: bytes.count)
            }
            writer.remaining = remaining - bytes.count
        }
        if writer.chunked {
            var frame: [UInt8] = Array(String(bytes.count, radix: 16).utf8) + [13, 10]
            frame.reserveCapacity(frame.count + bytes.count + 2)
            frame.append(contentsOf: bytes)
            frame.append(contentsOf: [13, 10])
            try emit(frame, transport)
        } else {
            try emit(bytes, transport)
        }
        notePeak(transport)
    }

    /// The most bytes the transport's write buffer held right after a body write (tests: the bound
    /// back-pressure keeps).
    private(set) var peakWriteBuffer = 0

    private func notePeak(_ transport: StreamTransport) {
        let size = transport.writeBufferSize
        if size > peakWriteBuffer { peakWriteBuffer = size }
    }

    /// Waits while the transport's write buffer is above its high-water mark.
    nonisolated(nonsending) func waitForWritable() async throws {
        while writingPaused && !closed {
            let waiter = Future<Void>(loop: loop)
            writableWaiter = waiter
            try await waiter.value
        }
        if closed || transport == nil { throw StreamClosedError() }
    }

    private func wakeWriter() {
        if let waiter = writableWaiter {
            writableWaiter = nil
            if !waiter.isDone { try? waiter.setResult(()) }
        }
    }

    // MARK: timeouts

    private func armTimer() {
        guard timer == nil, !closed else { return }
        var delay = Double.infinity
        if headStartedAt != nil, let header = configuration.headerTimeout { delay = min(delay, header.seconds) }
        if let exchange, exchange.bodyPending, let body = configuration.bodyTimeout { delay = min(delay, body.seconds) }
        guard delay.isFinite else { return }
        timer = try? loop.callLater(.seconds(delay)) { [weak self] in self?.timerFired() }
    }

    private func timerFired() {
        timer = nil
        guard !closed else { return }
        let now = loop.time()
        var next = Double.infinity
        if let started = headStartedAt, exchange == nil, parser.hasPartialMessage, let header = configuration.headerTimeout {
            if now - started >= header.seconds { return writeErrorResponse(.requestTimeout) }
            next = min(next, started + header.seconds - now)
        }
        if let exchange, exchange.bodyPending, let body = configuration.bodyTimeout {
            if readingPaused {
                next = min(next, body.seconds)  // the handler is slow, not the client
            } else if now - lastByteAt >= body.seconds {
                // The handler's read throws; it answers (408 if it lets the error through), then the
                // connection closes. Nothing more is read.
                exchange.body.fail(HTTPBodyTimeoutError())
                exchange.keepAlive = false
                if exchange.responseComplete { return closeConnection() }
                readingStopped = true
                return updateReading()
            } else {
                next = min(next, lastByteAt + body.seconds - now)
            }
        }
        if next.isFinite { timer = try? loop.callLater(.seconds(max(next, 0.001))) { [weak self] in self?.timerFired() } }
    }
}

extension Duration {
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
