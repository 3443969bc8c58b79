import Asyncio
import HTTPTypes

/// An HTTP/1.1 client on an `EventLoop` (aiohttp's `ClientSession`), on the protocol API: responses
/// are decoded in the read callback, no task per read.
///
/// It keeps a pool of connections per host and port: kept-alive connections are reused for later
/// requests, at most ``Configuration/maxConnectionsPerHost`` are open to one host at once (more
/// requests wait for one to be free), and an idle one is closed after ``Configuration/idleTimeout``
/// or when the server closes it. A request that meets a reused connection the server had just closed
/// (no byte of a response came) is sent again, once, on a fresh connection — when its body can be
/// sent again and either its method is idempotent or none of it had been written.
///
/// ```swift
/// let client = try HTTPClient()
/// let response = try await client.get("http://127.0.0.1:8080/hello")
/// print(response.status.code, try await response.body.text(upTo: 1 << 20))
/// let created = try await client.post("http://127.0.0.1:8080/items", body: .string(#"{"name":"x"}"#))
/// for try await chunk in created.body { print(chunk.count) }   // streamed, with back-pressure
/// client.shutdown()
/// ```
///
/// Bodies: responses framed by `Content-Length`, chunked, or running to the end of the connection;
/// request bodies of bytes (`Content-Length`) or streamed (``HTTPClientRequestBody/stream(length:_:)``).
/// Redirects (301, 302, 303, 307, 308 with a `Location`) are followed up to
/// ``Configuration/maxRedirects``: 303 turns any method but `HEAD` into a bodiless `GET`, 301 and 302
/// turn a `POST` into one (as browsers do), 307 and 308 repeat the method and body. Errors are
/// ``HTTPClientError``s with a ``HTTPClientError/Kind``.
///
/// Loop-confined: create and use it on its loop's thread, from tasks of that loop (every public member
/// checks, a precondition failure naming the call otherwise), hence `@unchecked Sendable`.
public final class HTTPClient: @unchecked Sendable {
    /// The loop the client and its connections belong to.
    public let loop: EventLoop
    /// Its limits and timeouts.
    public let configuration: Configuration
    private var pools: [String: HTTPClientHostPool] = [:]
    private var isShutDown = false

    /// A client with no connection yet.
    /// - Parameters:
    ///   - configuration: limits and timeouts.
    ///   - loop: the loop to live on; nil means the loop running on this thread.
    /// - Throws: `EventLoopError.noRunningLoop` without a loop.
    public init(configuration: Configuration = Configuration(), loop: EventLoop? = nil) throws {
        let loop = try loop ?? EventLoop.running()
        loop.preconditionOnLoopThread("HTTPClient.init")
        self.loop = loop
        self.configuration = configuration
    }

    // MARK: requests

    /// Sends `GET url` and returns the response once its head has arrived (read its body then).
    /// - Parameters:
    ///   - url: an `http://host[:port][/path][?query]` URL.
    ///   - headerFields: more header fields (`Host` is added).
    /// - Throws: ``HTTPClientError``; `CancelledError` when the calling task is cancelled.
    nonisolated(nonsending) public func get(_ url: String, headerFields: HTTPFields = [:]) async throws -> HTTPClientResponse {
        loop.preconditionOnLoopThread("HTTPClient.get")
        return try await perform(Self.request(.get, url, headerFields), body: nil)
    }

    /// Sends `POST url` with `body` and returns the response once its head has arrived.
    /// - Parameters:
    ///   - url: an `http://host[:port][/path][?query]` URL.
    ///   - body: the request body (bytes, text or a stream).
    ///   - headerFields: more header fields (`Host` and the body's framing are added).
    /// - Throws: ``HTTPClientError``; what a streamed body's producer throws; `CancelledError`.
    nonisolated(nonsending) public func post(
        _ url: String, body: HTTPClientRequestBody, headerFields: HTTPFields = [:]
    ) async throws -> HTTPClientResponse {
        loop.preconditionOnLoopThread("HTTPClient.post")
        return try await perform(Self.request(.post, url, headerFields), body: body)
    }

    /// Sends `request` (its scheme `http` or none, its authority the host and port, its path the
    /// target) with `body`, and returns the response once its head has arrived. A `Connection: close`
    /// field in the request closes the connection after the response instead of keeping it.
    /// - Throws: ``HTTPClientError``; what a streamed body's producer throws; `CancelledError`.
    nonisolated(nonsending) public func request(
        _ request: HTTPRequest, body: HTTPClientRequestBody? = nil
    ) async throws -> HTTPClientResponse {
        loop.preconditionOnLoopThread("HTTPClient.request")
        return try await perform(request, body: body)
    }

    private static func request(_ method: HTTPRequest.Method, _ url: String, _ fields: HTTPFields) throws(HTTPClientError) -> HTTPRequest {
        let target = try HTTPClientURL.parse(url)
        return HTTPRequest(method: method, scheme: "http", authority: target.authority, path: target.path, headerFields: fields)
    }

    // MARK: the pool

    /// How many connections are open (or being opened), to every host.
    public var openConnectionCount: Int {
        loop.preconditionOnLoopThread("HTTPClient.openConnectionCount")
        return pools.values.reduce(0) { $0 + $1.count }
    }

    /// How many open connections wait, idle, for a request.
    public var idleConnectionCount: Int {
        loop.preconditionOnLoopThread("HTTPClient.idleConnectionCount")
        return pools.values.reduce(0) { $0 + $1.idleCount }
    }

    /// How many connections the client has made since it was created, to every host.
    public var connectionsMade: Int {
        loop.preconditionOnLoopThread("HTTPClient.connectionsMade")
        return pools.values.reduce(0) { $0 + $1.connectionsMade }
    }

    /// Closes the pool: idle connections at once, busy ones as soon as their response has been
    /// received; requests waiting for a connection, and every later request, fail with
    /// ``HTTPClientError/Kind/shutDown``. Harmless if called twice.
    public func shutdown() {
        loop.preconditionOnLoopThread("HTTPClient.shutdown")
        isShutDown = true
        for pool in pools.values { pool.shutdown() }
    }

    private func pool(for url: HTTPClientURL) -> HTTPClientHostPool {
        if let pool = pools[url.poolKey] { return pool }
        let pool = HTTPClientHostPool(loop: loop, host: url.host, port: url.port, configuration: configuration)
        pools[url.poolKey] = pool
        return pool
    }

    // MARK: sending

    /// One request with its redirects.
    nonisolated(nonsending) private func perform(_ request: HTTPRequest, body: HTTPClientRequestBody?) async throws -> HTTPClientResponse {
        var request = request
        var body = body
        var url = try HTTPClientURL.from(request)
        var redirects = 0
        while true {
            let head = try await send(request, to: url, body: body)
            let code = head.response.status.code
            guard configuration.followRedirects, [301, 302, 303, 307, 308].contains(code),
                  let location = head.response.headerFields[.location]
            else {
                return HTTPClientResponse(head: head.response, url: url.description, body: .init(stream: head.stream))
            }
            if code == 307 || code == 308, let body, !body.isReplayable {  // a stream cannot be sent again
                return HTTPClientResponse(head: head.response, url: url.description, body: .init(stream: head.stream))
            }
            redirects += 1
            if redirects > configuration.maxRedirects {
                head.stream.discard()
                throw HTTPClientError(
                    .tooManyRedirects,
                    "more than \(configuration.maxRedirects) redirects (the last from \(url.description) to \(location))")
            }
            // Read the redirect's body off the connection so that it can be reused (a large one closes it).
            if (try? await HTTPClientResponse.Body(stream: head.stream).collect(upTo: 64 * 1024)) == nil {
                head.stream.discard()
            }
            let next = try url.resolving(location: location)
            if (code == 303 && request.method != .head) || ((code == 301 || code == 302) && request.method == .post) {
                request.method = .get
                body = nil
                for name in [HTTPField.Name.contentLength, .contentType, .transferEncoding, .contentEncoding] {
                    request.headerFields[name] = nil
                }
            }
            if next.poolKey != url.poolKey {  // credentials stay with the host they were meant for
                request.headerFields[.authorization] = nil
                request.headerFields[.proxyAuthorization] = nil
                request.headerFields[.cookie] = nil
            }
            request.scheme = "http"
            request.authority = next.authority
            request.path = next.path
            url = next
        }
    }

    /// One hop: a connection from the pool, the request, the response's head, all within the request
    /// timeout; retried once on a fresh connection when a reused one turns out to be closed.
    nonisolated(nonsending) private func send(_ request: HTTPRequest, to url: HTTPClientURL, body: HTTPClientRequestBody?) async throws -> HTTPClientHead {
        if isShutDown { throw HTTPClientError(.shutDown, "the client was shut down") }
        guard let limit = configuration.requestTimeout else { return try await attempt(request, to: url, body: body) }
        do {
            return try await loop.withTimeout(limit) { _ in try await self.attempt(request, to: url, body: body) }
        } catch is TimeoutError {
            throw HTTPClientError(.requestTimeout, "no response from \(url.description) within \(limit)")
        }
    }

    nonisolated(nonsending) private func attempt(
        _ request: HTTPRequest, to url: HTTPClientURL, body: HTTPClientRequestBody?
    ) async throws -> HTTPClientHead {
        let head = Self.serialize(request, url: url, body: body)
        let closeAfter = request.headerFields[values: .connection].contains { $0.lowercased().contains("close") }
        let pool = pool(for: url)
        var fresh = false
        while true {
            let (connection, reused) = try await pool.acquire(fresh: fresh)
            do {
                return try await connection.exchange(head: head, body: body, method: request.method, closeAfter: closeAfter)
            } catch let error as HTTPClientError {
                let retry = reused && !fresh && !connection.receivedResponseBytes
                    && (error.kind == .connectionClosed || error.kind == .connectionReset)
                    && (body?.isReplayable ?? true)
                    && (request.method.isIdempotent || !connection.wroteRequestBytes)
                guard retry else { throw error }
                fresh = true
            }
        }
    }

    /// The request line and header fields, with `Host` and the body's framing added.
    static func serialize(_ request: HTTPRequest, url: HTTPClientURL, body: HTTPClientRequestBody?) -> [UInt8] {
        var text = "\(request.method.rawValue) \(url.path) HTTP/1.1\r\n"
        text += "Host: \(url.authority)\r\n"
        for field in request.headerFields where field.name != .contentLength && field.name != .transferEncoding {
            text += "\(field.name.rawName): \(field.value)\r\n"
        }
        switch body?.storage {
        case nil:
            if [.post, .put, .patch].contains(request.method) { text += "Content-Length: 0\r\n" }
        case .bytes(let bytes)?:
            text += "Content-Length: \(bytes.count)\r\n"
        case .stream(let length?, _)?:
            text += "Content-Length: \(length)\r\n"
        case .stream(nil, _)?:
            text += "Transfer-Encoding: chunked\r\n"
        }
        text += "\r\n"
        return Array(text.utf8)
    }
}

extension HTTPRequest.Method {
    /// RFC 9110 §9.2.2: a second identical request has the same effect as one.
    fileprivate var isIdempotent: Bool {
        [.get, .head, .put, .delete, .options, .trace].contains(self)
    }
}
