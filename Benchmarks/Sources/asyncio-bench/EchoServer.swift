import Asyncio

/// The tcp_echo server (`asyncio-bench echo-server --port P [--mode streams]`): binds 127.0.0.1:P
/// and echoes every byte until killed, written with the streams API (read a chunk, write, drain).
func runEchoServer(port: Int, mode: String) throws {
    guard mode == "streams" else {
        throw BenchError("echo-server --mode \(mode): only the streams API exists (the protocol API of issue 6 is not built)")
    }
    try run { () async throws -> Void in
        let loop = try EventLoop.running()
        let server = try loop.startServer(host: "127.0.0.1", port: port) { reader, writer in
            while true {
                let chunk = try await reader.read(65536)
                if chunk.isEmpty { break }
                try writer.write(chunk)
                try await writer.drain()
            }
        }
        try await server.serveForever()
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
