import HTTPTypes

/// An HTTP/1 protocol version (the start line's `HTTP/1.1`).
public struct HTTPVersion: Sendable, Hashable, CustomStringConvertible {
    /// The major version (1).
    public var major: Int
    /// The minor version (0 or 1).
    public var minor: Int

    /// The version `major`.`minor`.
    public init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }

    /// HTTP/1.0: no persistent connections unless `Connection: keep-alive`, no chunked encoding.
    public static let http1_0 = HTTPVersion(major: 1, minor: 0)
    /// HTTP/1.1.
    public static let http1_1 = HTTPVersion(major: 1, minor: 1)

    /// A readable form, for logs and test failures.
    public var description: String { "HTTP/\(major).\(minor)" }
}

/// How the body of a message is delimited (RFC 9112 §6.3).
public enum HTTPBodyFraming: Sendable, Hashable {
    /// No body (no `Content-Length` nor `Transfer-Encoding` in a request; a response to `HEAD`; a 1xx,
    /// 204 or 304 response).
    case none
    /// `Content-Length` bytes.
    case length(Int)
    /// `Transfer-Encoding: chunked`.
    case chunked
    /// A response with neither: the body is everything until the server closes the connection.
    case untilClose
}

/// A parsed request head: the request, and what HTTP/1 says about the connection and the body.
public struct HTTPRequestHead: Sendable, Hashable {
    /// The method, the request target (as `HTTPRequest.path`), the `Host` field as
    /// `HTTPRequest.authority`, and the header fields (the scheme is nil: HTTP/1 does not send it).
    public var request: HTTPRequest
    /// The version of the request line.
    public var version: HTTPVersion
    /// Whether the connection may carry another request after this one: HTTP/1.1 unless
    /// `Connection: close`, HTTP/1.0 only with `Connection: keep-alive`.
    public var keepAlive: Bool
    /// How the body is delimited.
    public var framing: HTTPBodyFraming
    /// Whether the client sent `Expect: 100-continue` (HTTP/1.1) and waits for `100 Continue` before
    /// sending its body.
    public var expectsContinue: Bool
}

/// A parsed response head: the response, and what HTTP/1 says about the connection and the body.
public struct HTTPResponseHead: Sendable, Hashable {
    /// The status (with its reason phrase) and the header fields.
    public var response: HTTPResponse
    /// The version of the status line.
    public var version: HTTPVersion
    /// Whether the connection may carry another request after this response: HTTP/1.1 unless
    /// `Connection: close`, HTTP/1.0 only with `Connection: keep-alive`; never when the body is
    /// delimited by the connection's end.
    public var keepAlive: Bool
    /// How the body is delimited.
    public var framing: HTTPBodyFraming
}
