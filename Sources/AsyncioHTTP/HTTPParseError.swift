import HTTPTypes

/// Why ``HTTPParser`` refused a message. Every error is final: the parser stays failed, and the
/// connection must be closed (after answering with ``status`` when parsing requests), since where the
/// next message would begin is no longer known.
public struct HTTPParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What was wrong.
    public enum Kind: String, Sendable, Hashable {
        /// The request line (or status line) is longer than ``HTTPParser/Limits/maxStartLineLength``: 414
        /// for a request.
        case startLineTooLong
        /// The head (start line and header fields, or the trailer section) is longer than
        /// ``HTTPParser/Limits/maxHeaderBytes``: 431.
        case headersTooLarge
        /// More header (or trailer) fields than ``HTTPParser/Limits/maxHeaderCount``: 431.
        case tooManyHeaders
        /// The body is longer than ``HTTPParser/Limits/maxBodySize``: 413.
        case bodyTooLarge
        /// A `Transfer-Encoding` other than `chunked` (`gzip, chunked`): 501.
        case unsupportedTransferEncoding
        /// An HTTP version other than 1.0 and 1.1 (`HTTP/2.0`, `HTTP/1.2`): 505.
        case unsupportedVersion
        /// A request line or status line that does not parse (`GET /`, two spaces, a bad method token).
        case malformedStartLine
        /// A header field line that does not parse: no colon, a space before the colon, a character
        /// that is not allowed in a name or a value (a control character, a bare CR).
        case invalidHeader
        /// A header line beginning with a space or tab (obsolete line folding, RFC 9112 §5.2): refused
        /// rather than unfolded, since a proxy in front may read it otherwise.
        case obsoleteLineFolding
        /// A line ended by LF alone. RFC 9112 §2.2 allows accepting it; this parser refuses it, so that
        /// it never splits lines differently from a peer or proxy that reads the same bytes.
        case bareLineFeed
        /// A `Content-Length` that is not a plain decimal number (signs, spaces inside, overflow).
        case invalidContentLength
        /// Several `Content-Length` values that differ (identical ones are accepted, RFC 9112 §6.3).
        case conflictingContentLength
        /// Both `Content-Length` and `Transfer-Encoding`: refused, the classic request-smuggling ambiguity.
        case contentLengthWithTransferEncoding
        /// A `Transfer-Encoding` whose last coding is not `chunked`, that names `chunked` twice, or that
        /// comes in an HTTP/1.0 message.
        case invalidTransferEncoding
        /// An HTTP/1.1 request without a `Host` field, or with more than one.
        case invalidHost
        /// A chunk-size line that does not parse (not hexadecimal, too long, an overflowing size), or
        /// chunk data not followed by CRLF.
        case invalidChunk
        /// A status code that is not three digits.
        case invalidStatus
        /// The connection ended in the middle of a message (``HTTPParser/finish()``).
        case incompleteMessage
    }

    /// What was wrong.
    public var kind: Kind

    /// An error of `kind`.
    public init(_ kind: Kind) { self.kind = kind }

    /// The status a server answers with before it closes the connection: 414, 431, 413, 501, 505, or
    /// 400 for everything else.
    public var status: HTTPResponse.Status {
        switch kind {
        case .startLineTooLong: .uriTooLong
        case .headersTooLarge, .tooManyHeaders: .requestHeaderFieldsTooLarge
        case .bodyTooLarge: .contentTooLarge
        case .unsupportedTransferEncoding: .notImplemented
        case .unsupportedVersion: .httpVersionNotSupported
        default: .badRequest
        }
    }

    /// A readable form, for logs and test failures.
    public var description: String { "HTTPParseError(\(kind.rawValue))" }
}
