import Asyncio
import AsyncioHTTP
import HTTPTypes
import Testing

/// The server against curl (a client nobody here wrote), started with the loop's subprocess API.
@Suite("HTTPServer with curl")
struct HTTPServerCurlTests {
    @Test func getWithHeadersAndKeepAliveReuse() async throws {
        let output = try await withHTTPServer(routesUnderTest) { loop, port, _ in
            try await runProgram(loop, "curl", ["-sS", "-v", "-i", "http://127.0.0.1:\(port)/", "http://127.0.0.1:\(port)/"])
        }
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.text.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(output.text.contains("Content-Length: 13\r\n"))
        #expect(output.text.contains("Date: "))
        #expect(output.text.contains("content-type: text/plain\r\n") || output.text.contains("Content-Type: text/plain\r\n"))
        #expect(output.text.components(separatedBy: "Hello, World!").count == 3)
        #expect(output.stderr.contains("Re-using existing connection"), "\(output.stderr)")
    }

    @Test func postWithContentLengthAndChunked() async throws {
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        let payload = patternBytes(300_000)
        writeFile(directory + "/payload", payload)
        let (plain, chunked) = try await withHTTPServer(routesUnderTest) { loop, port, _ in
            let plain = try await runProgram(loop, "curl", [
                "-sS", "--data-binary", "@\(directory)/payload", "-o", "\(directory)/plain", "http://127.0.0.1:\(port)/echo",
            ])
            let chunked = try await runProgram(loop, "curl", [
                "-sS", "-H", "Transfer-Encoding: chunked", "--data-binary", "@\(directory)/payload",
                "-o", "\(directory)/chunked", "http://127.0.0.1:\(port)/echo",
            ])
            return (plain, chunked)
        }
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(chunked.status == 0, "\(chunked.stderr)")
        #expect(readFile(directory + "/plain") == payload)
        #expect(readFile(directory + "/chunked") == payload)
    }

    /// 8 MiB, whole and streamed (chunked), to a client reading at 16 MB/s: back-pressure holds the
    /// writer, nothing is lost.
    @Test func eightMebibytesToASlowReader() async throws {
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        let outputs = try await withHTTPServer(routesUnderTest) { loop, port, _ in
            var outputs: [ProgramOutput] = []
            for path in ["big", "stream"] {
                outputs.append(try await runProgram(loop, "curl", [
                    "-sS", "--limit-rate", "16M", "-o", "\(directory)/\(path)", "-D", "\(directory)/\(path).head",
                    "http://127.0.0.1:\(port)/\(path)",
                ]))
            }
            return outputs
        }
        let expected = eightMebibytes
        for (output, path) in zip(outputs, ["big", "stream"]) {
            #expect(output.status == 0, "\(output.stderr)")
            #expect(readFile("\(directory)/\(path)") == expected, "\(path)")
        }
        let streamHead = String(decoding: readFile("\(directory)/stream.head") ?? [], as: UTF8.self)
        #expect(streamHead.contains("Transfer-Encoding: chunked"))
        let bigHead = String(decoding: readFile("\(directory)/big.head") ?? [], as: UTF8.self)
        #expect(bigHead.contains("Content-Length: 8388608"))
    }

    @Test func headHasTheFieldsAndNoBody() async throws {
        let output = try await withHTTPServer(routesUnderTest) { loop, port, _ in
            try await runProgram(loop, "curl", ["-sS", "-I", "http://127.0.0.1:\(port)/"])
        }
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.text.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(output.text.contains("Content-Length: 13\r\n"))
        #expect(output.text.hasSuffix("\r\n\r\n"))
    }

    @Test func aThrowingHandlerGives500AndTheNextRequestWorks() async throws {
        let output = try await withHTTPServer(routesUnderTest) { loop, port, _ in
            let errors = ErrorLog()
            loop.exceptionHandler = { _, context in errors.append(context.message) }
            let output = try await runProgram(loop, "curl", [
                "-sS", "-v", "-w", "%{http_code}\n", "http://127.0.0.1:\(port)/throw", "http://127.0.0.1:\(port)/",
            ])
            #expect(errors.messages == ["HTTP handler failed; answered 500"])
            return output
        }
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.text.hasPrefix("500\n"))
        #expect(output.text.hasSuffix("Hello, World!200\n"))
        #expect(output.stderr.contains("Re-using existing connection"), "\(output.stderr)")
    }

    @Test func expectContinueWithCurl() async throws {
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        let payload = patternBytes(2_000_000, seed: 7)
        writeFile(directory + "/payload", payload)
        let output = try await withHTTPServer(routesUnderTest) { loop, port, _ in
            try await runProgram(loop, "curl", [
                "-sS", "-v", "-H", "Expect: 100-continue", "--data-binary", "@\(directory)/payload",
                "-o", "\(directory)/echo", "http://127.0.0.1:\(port)/echo",
            ])
        }
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.stderr.contains("HTTP/1.1 100 Continue"), "\(output.stderr)")
        #expect(readFile(directory + "/echo") == payload)
    }

    /// nc writes three requests in one go and half-closes (`-N`): three responses in order, then the
    /// server closes (it answers what arrived whole before the EOF).
    @Test func pipeliningWithNetcat() async throws {
        let output = try await withHTTPServer(routesUnderTest) { loop, port, _ in
            let requests = "GET / HTTP/1.1\\r\\nHost: h\\r\\n\\r\\nPOST /echo HTTP/1.1\\r\\nHost: h\\r\\nContent-Length: 4\\r\\n\\r\\npingGET /nowhere HTTP/1.1\\r\\nHost: h\\r\\n\\r\\n"
            return try await runProgram(loop, "/bin/sh", ["-c", "printf '\(requests)' | nc -N 127.0.0.1 \(port)"])
        }
        #expect(output.status == 0, "\(output.stderr)")
        var parser = HTTPParser(.response)
        let outcome = parse([output.stdout], with: &parser, finish: true, methods: [.get, .post, .get])
        #expect(outcome.error == nil)
        #expect(outcome.messages.map(\.startLine) == ["HTTP/1.1 200 OK", "HTTP/1.1 200 OK", "HTTP/1.1 404 Not Found"])
        #expect(outcome.messages.map { String(decoding: $0.body, as: UTF8.self) } == ["Hello, World!", "ping", "no route for /nowhere"])
    }

    /// Every loop of a group serves; curl's requests are answered whichever loop accepted them.
    @Test func aGroupServes() async throws {
        let group = try EventLoopGroup(loops: 2)
        let server = try group.startHTTPServer(port: 0, routesUnderTest)
        let port = server.address!.port
        let output = try await run {
            try await runProgram(try EventLoop.running(), "curl", ["-sS", "http://127.0.0.1:\(port)/", "http://127.0.0.1:\(port)/"])
        }
        #expect(output.text == "Hello, World!Hello, World!", "\(output.stderr)")
        await group.shutdown(gracePeriod: .seconds(1))
    }
}

/// Messages of the exception handler (it runs on the loop thread).
final class ErrorLog: @unchecked Sendable {
    private(set) var messages: [String] = []
    func append(_ message: String) { messages.append(message) }
}
