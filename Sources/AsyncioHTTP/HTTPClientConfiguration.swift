extension HTTPClient {
    /// The limits and timeouts of an ``HTTPClient``; every timeout may be nil for none.
    public struct Configuration: Sendable {
        /// The most connections open to one host (`host:port`) at once; requests beyond wait for one
        /// to be free, in the order they came. Default 8.
        public var maxConnectionsPerHost: Int
        /// How long an idle kept-alive connection stays in the pool before the client closes it.
        /// Default 60 seconds.
        public var idleTimeout: Duration?
        /// How long making a connection may take. Default 10 seconds.
        public var connectTimeout: Duration?
        /// How long one request may take from the moment it asks the pool for a connection until the
        /// response's head has arrived (each hop of a redirect has its own). Default 30 seconds.
        public var requestTimeout: Duration?
        /// How long reading a response's body may wait for more bytes. Default 30 seconds.
        public var readTimeout: Duration?
        /// How many redirects one request follows before it throws
        /// ``HTTPClientError/Kind/tooManyRedirects``; 0 follows none and returns the 3xx response.
        /// Default 5.
        public var maxRedirects: Int
        /// Whether 301, 302, 303, 307 and 308 responses are followed at all. Default true.
        public var followRedirects: Bool
        /// The largest response head (status line and header fields) accepted. Default 64 KiB.
        public var maxResponseHeadSize: Int
        /// How many body bytes may wait in memory, unread, before the client stops reading the socket
        /// (the response body's back-pressure). Default 256 KiB.
        public var bodyBufferSize: Int

        /// The defaults, with any of them changed.
        public init(
            maxConnectionsPerHost: Int = 8, idleTimeout: Duration? = .seconds(60),
            connectTimeout: Duration? = .seconds(10), requestTimeout: Duration? = .seconds(30),
            readTimeout: Duration? = .seconds(30), maxRedirects: Int = 5, followRedirects: Bool = true,
            maxResponseHeadSize: Int = 64 * 1024, bodyBufferSize: Int = 256 * 1024
        ) {
            precondition(maxConnectionsPerHost > 0, "HTTPClient.Configuration: maxConnectionsPerHost must be at least 1")
            self.maxConnectionsPerHost = maxConnectionsPerHost
            self.idleTimeout = idleTimeout
            self.connectTimeout = connectTimeout
            self.requestTimeout = requestTimeout
            self.readTimeout = readTimeout
            self.maxRedirects = maxRedirects
            self.followRedirects = followRedirects
            self.maxResponseHeadSize = maxResponseHeadSize
            self.bodyBufferSize = bodyBufferSize
        }
    }
}
