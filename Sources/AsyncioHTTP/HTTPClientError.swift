/// Why an ``HTTPClient`` request failed: a typed kind to match on, and a sentence for people.
///
/// ```swift
/// do {
///     _ = try await client.get("http://127.0.0.1:8080/")
/// } catch let error as HTTPClientError where error.kind == .connectionRefused {
///     print("nobody listens there")
/// }
/// ```
public struct HTTPClientError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public enum Kind: Sendable, Hashable {
        /// The URL is not `http://host[:port][/path]` (a missing host, a bad port, another scheme:
        /// `https` is not supported).
        case invalidURL
        /// Nobody listens at the address (`ECONNREFUSED`).
        case connectionRefused
        /// The connection could not be made for another reason (unknown host, unreachable network).
        case connectFailed
        /// The connection was not made within ``HTTPClient/Configuration/connectTimeout``.
        case connectTimeout
        /// The response's head did not come within ``HTTPClient/Configuration/requestTimeout``.
        case requestTimeout
        /// No byte of the response's body came for ``HTTPClient/Configuration/readTimeout``.
        case readTimeout
        /// The server closed the connection before the response was complete (EOF in the head or body).
        case connectionClosed
        /// The connection broke while the request or response was under way (`ECONNRESET`, `EPIPE`).
        case connectionReset
        /// The server's bytes are not an HTTP/1.x response (or its head is too large).
        case malformedResponse
        /// More redirects than ``HTTPClient/Configuration/maxRedirects`` (or a redirect loop).
        case tooManyRedirects
        /// ``HTTPClientResponse/Body/collect(upTo:)`` found a body larger than its limit.
        case bodyTooLarge
        /// The request cannot be sent as given: a streamed body of declared length wrote more or fewer
        /// bytes than that length (its connection is closed).
        case invalidRequest
        /// The client was shut down (``HTTPClient/shutdown()``) before or during the request.
        case shutDown
    }

    /// What went wrong.
    public var kind: Kind
    /// A sentence for people: what happened, and to which host or URL.
    public var message: String

    /// An error of `kind` with `message`.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// The kind and the message.
    public var description: String { "HTTPClientError.\(kind): \(message)" }
}
