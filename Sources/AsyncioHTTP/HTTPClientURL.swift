import HTTPTypes

/// Where a request goes: an `http://` URL taken apart (internal to the client).
struct HTTPClientURL: Sendable, Equatable {
    var host: String
    var port: Int
    /// `host` or `host:port` as the `Host` header field carries it (the port only when not 80).
    var authority: String
    /// The path and query, at least `/`.
    var path: String

    /// The pool's key: one pool per host and port.
    var poolKey: String { "\(host):\(port)" }

    var description: String { "http://\(authority)\(path)" }

    /// Parses `http://host[:port][/path][?query]` (the fragment is dropped).
    static func parse(_ text: String) throws(HTTPClientError) -> HTTPClientURL {
        guard let colon = text.firstIndex(of: ":"), text[colon...].hasPrefix("://") else {
            throw HTTPClientError(.invalidURL, "\(text.debugDescription) is not an absolute http:// URL")
        }
        let scheme = text[..<colon].lowercased()
        guard scheme == "http" else {
            throw HTTPClientError(.invalidURL, "\(text.debugDescription): only http:// URLs are supported (not \(scheme)://)")
        }
        var rest = text[text.index(colon, offsetBy: 3)...]
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let authority = String(rest[..<authorityEnd])
        var path = String(rest[authorityEnd...])
        if path.isEmpty { path = "/" } else if path.first == "?" { path = "/" + path }
        return try from(authority: authority, path: path, original: text)
    }

    /// The URL of `request`: its scheme must be `http` (or absent), its authority present.
    static func from(_ request: HTTPRequest) throws(HTTPClientError) -> HTTPClientURL {
        let scheme = request.scheme?.lowercased() ?? "http"
        guard scheme == "http" else {
            throw HTTPClientError(.invalidURL, "only http requests are supported (not \(scheme))")
        }
        guard let authority = request.authority, !authority.isEmpty else {
            throw HTTPClientError(.invalidURL, "the request has no authority (host[:port])")
        }
        let path = request.path.map { $0.isEmpty ? "/" : $0 } ?? "/"
        return try from(authority: authority, path: path, original: "http://\(authority)\(path)")
    }

    private static func from(authority: String, path: String, original: String) throws(HTTPClientError) -> HTTPClientURL {
        var hostPart = Substring(authority)
        if let at = hostPart.lastIndex(of: "@") { hostPart = hostPart[hostPart.index(after: at)...] }  // no credentials in URLs
        var host: String
        var portText: Substring?
        if hostPart.first == "[" {  // [::1]:8080
            guard let close = hostPart.firstIndex(of: "]") else {
                throw HTTPClientError(.invalidURL, "\(original.debugDescription): unterminated IPv6 address")
            }
            host = String(hostPart[hostPart.index(after: hostPart.startIndex)..<close])
            let after = hostPart[hostPart.index(after: close)...]
            if after.first == ":" { portText = after.dropFirst() } else if !after.isEmpty {
                throw HTTPClientError(.invalidURL, "\(original.debugDescription): junk after the IPv6 address")
            }
        } else if let colon = hostPart.lastIndex(of: ":") {
            host = String(hostPart[..<colon])
            portText = hostPart[hostPart.index(after: colon)...]
        } else {
            host = String(hostPart)
        }
        guard !host.isEmpty else { throw HTTPClientError(.invalidURL, "\(original.debugDescription) has no host") }
        var port = 80
        if let portText, !portText.isEmpty {
            guard let value = Int(portText), (1...65535).contains(value) else {
                throw HTTPClientError(.invalidURL, "\(original.debugDescription) has an invalid port \(String(portText).debugDescription)")
            }
            port = value
        }
        let hostText = host.contains(":") ? "[\(host)]" : host
        host = host.lowercased()
        return HTTPClientURL(host: host, port: port, authority: port == 80 ? hostText : "\(hostText):\(port)", path: path)
    }

    /// Where a `Location` field sends a request made to this URL: an absolute `http://` URL, a
    /// scheme-relative `//host/path`, an absolute path, or a path relative to this one's directory.
    func resolving(location: String) throws(HTTPClientError) -> HTTPClientURL {
        if let colon = location.firstIndex(of: ":"), location[colon...].hasPrefix("://"), !location[..<colon].contains("/") { return try HTTPClientURL.parse(location) }
        if location.hasPrefix("//") { return try HTTPClientURL.parse("http:" + location) }
        var target = location
        if let hash = target.firstIndex(of: "#") { target = String(target[..<hash]) }
        if target.isEmpty { return self }
        var resolved = self
        if target.hasPrefix("/") {
            resolved.path = target
        } else if target.hasPrefix("?") {
            resolved.path = String(path.prefix { $0 != "?" }) + target
        } else {
            let currentPath = path.prefix { $0 != "?" }
            let directory = currentPath[...(currentPath.lastIndex(of: "/") ?? currentPath.startIndex)]
            resolved.path = HTTPClientURL.removingDotSegments(String(directory) + target)
        }
        return resolved
    }

    /// RFC 3986 §5.2.4 for the path part (the query is left alone).
    private static func removingDotSegments(_ path: String) -> String {
        let query = path.firstIndex(of: "?").map { String(path[$0...]) } ?? ""
        let pathOnly = path.prefix { $0 != "?" }
        var output: [Substring] = []
        let segments = pathOnly.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        for (index, segment) in segments.enumerated() {
            let isLast = index == segments.count - 1
            if segment == "." {
                if isLast { output.append("") }
            } else if segment == ".." {
                if !output.isEmpty { output.removeLast() }
                if isLast { output.append("") }
            } else {
                output.append(segment)
            }
        }
        return "/" + output.joined(separator: "/") + query
    }
}
