import Asyncio
import HTTPTypes

/// How an HTTP server treats its connections: the parser's limits, the timeouts, the buffers.
public struct HTTPServerConfiguration: Sendable {
    /// What a request must keep to (``HTTPParser/Limits``); each one broken is answered with its status
    /// (414, 431, 413...) and a close.
    public var limits: HTTPParser.Limits
    /// How long a keep-alive connection may wait for its next request before it is closed (nil: forever).
    public var idleTimeout: Duration?
    /// How long a request head may take to arrive whole, from its first byte: then 408 and a close. What
    /// ends a slowloris client (`GET / HT` and silence, or one byte every few seconds). nil: forever.
    public var headerTimeout: Duration?
    /// How long a request body may go without a byte while the server reads it: then the handler's read
    /// throws ``HTTPBodyTimeoutError`` (let through: 408) and the connection closes after the response.
    /// nil: forever.
    public var bodyTimeout: Duration?
    /// How long a response may make no progress (the client stopped reading) before the connection is
    /// aborted (`ConnectionTimeouts.write`). nil: forever.
    public var writeTimeout: Duration?
    /// The most unread request-body bytes buffered before the connection stops reading (back-pressure).
    public var bodyBufferSize: Int
    /// The listen backlog.
    public var backlog: Int

    /// A configuration; the defaults are nginx's order of magnitude: 60 s idle, 10 s for a head, 60 s
    /// between body bytes and for write progress, 64 KiB of body buffered, limits of ``HTTPParser/Limits``.
    public init(
        limits: HTTPParser.Limits = .init(), idleTimeout: Duration? = .seconds(60), headerTimeout: Duration? = .seconds(10),
        bodyTimeout: Duration? = .seconds(60), writeTimeout: Duration? = .seconds(60), bodyBufferSize: Int = 64 * 1024,
        backlog: Int = 511
    ) {
        self.limits = limits
        self.idleTimeout = idleTimeout
        self.headerTimeout = headerTimeout
        self.bodyTimeout = bodyTimeout
        self.writeTimeout = writeTimeout
        self.bodyBufferSize = bodyBufferSize
        self.backlog = backlog
    }

    var connectionTimeouts: ConnectionTimeouts {
        ConnectionTimeouts(idle: idleTimeout, write: writeTimeout)
    }
}

extension EventLoop {
    /// Starts an HTTP/1.1 server on `host`:`port` (port 0 picks a free one: read
    /// `StreamServer.address`), answering each request with `handler`, run as a loop task per
    /// request on this loop (aiohttp's `web.Application` + `AppRunner`, in one call).
    ///
    /// ```swift
    /// let server = try loop.startHTTPServer(port: 8080) { request in
    ///     switch (request.method, request.path) {
    ///     case (.get, "/"): return HTTPServerResponse(body: "Hello, World!")
    ///     case (.post, "/echo"): return HTTPServerResponse(body: try await request.body.collect(upTo: 1 << 20))
    ///     default: return HTTPServerResponse(status: .notFound)
    ///     }
    /// }
    /// try await server.serveForever()   // or: await server.shutdown(gracePeriod: .seconds(5))
    /// ```
    ///
    /// What the server does: keep-alive (HTTP/1.1, and HTTP/1.0 with `Connection: keep-alive`);
    /// pipelined requests answered one after the other, in order; request bodies as they arrive, with
    /// back-pressure (``HTTPRequestBody``); whole or streamed responses (``HTTPServerResponse``), with
    /// `Content-Length` or chunked, and `Date`; `HEAD`; `Expect: 100-continue`. A handler that throws
    /// gets a 500 (the error goes to the loop's exception handler) and the connection goes on; a request
    /// that breaks the protocol or a limit gets its 4xx (or 501, 505) and a close. The returned server's
    /// `StreamServer.shutdown(gracePeriod:)` closes the idle keep-alive connections at once,
    /// lets the requests in flight finish, and aborts what is left at the deadline.
    /// - Parameters:
    ///   - host: the numeric address to listen on.
    ///   - port: the port; 0 picks a free one.
    ///   - reusePort: set `SO_REUSEPORT` (several loops or processes on one port).
    ///   - configuration: limits, timeouts and buffers.
    ///   - handler: answers each request.
    /// - Throws: `IOError` (`bind`, e.g. `EADDRINUSE`).
    public func startHTTPServer(
        host: String = "127.0.0.1", port: Int, reusePort: Bool = false,
        configuration: HTTPServerConfiguration = .init(), _ handler: @escaping HTTPHandler
    ) throws -> StreamServer {
        preconditionOnLoopThread("EventLoop.startHTTPServer")
        return try createServer(
            host: host, port: port, backlog: configuration.backlog, reusePort: reusePort,
            timeouts: configuration.connectionTimeouts
        ) { [self] in
            HTTPServerConnection(loop: self, configuration: configuration, handler: handler)
        }
    }
}

extension EventLoopGroup {
    /// Starts an HTTP/1.1 server on every loop of the group, sharing `port` (`SO_REUSEPORT`: the kernel
    /// spreads connections among the loops); each request runs `handler` on the loop of its connection.
    /// As `EventLoop.startHTTPServer(host:port:reusePort:configuration:_:)` otherwise; the
    /// group's graceful shutdown shuts it down.
    /// - Throws: `IOError` (`bind`); `EventLoopError.closed`.
    public func startHTTPServer(
        host: String = "127.0.0.1", port: Int, configuration: HTTPServerConfiguration = .init(),
        _ handler: @escaping @Sendable (HTTPServerRequest) async throws -> HTTPServerResponse
    ) throws -> GroupServer {
        try createServer(host: host, port: port, backlog: configuration.backlog, timeouts: configuration.connectionTimeouts) {
            let loop = EventLoop.current!  // the factory runs on the loop that accepted the connection
            return HTTPServerConnection(loop: loop, configuration: configuration, handler: handler)
        }
    }
}
