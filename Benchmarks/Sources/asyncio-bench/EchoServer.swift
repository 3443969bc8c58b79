import Asyncio

/// The tcp_echo server (`asyncio-bench echo-server --port P [--mode streams|protocol]`): binds
/// 127.0.0.1:P (backlog 1024, TCP_NODELAY on accepted sockets) and echoes every byte until killed.
/// `streams`: the streams API (read a chunk, write, drain) with a task per connection; `protocol`:
/// the protocol API, writing back from `dataReceived` with no task and no copy when the socket
/// takes the bytes at once.
func runEchoServer(port: Int, mode: String) throws {
    guard mode == "streams" || mode == "protocol" else { throw BenchError("echo-server --mode \(mode): use streams or protocol") }
    try run { () async throws -> Void in
        let loop = try EventLoop.running()
        let server: StreamServer
        if mode == "protocol" {
            server = try loop.createServer(host: "127.0.0.1", port: port, backlog: 1024) { EchoProtocol() }
        } else {
            server = try loop.startServer(host: "127.0.0.1", port: port, backlog: 1024) { reader, writer in
                while true {
                    let chunk = try await reader.read(65536)
                    if chunk.isEmpty { break }
                    try writer.write(chunk)
                    try await writer.drain()
                }
            }
        }
        try await server.serveForever()
    }
}

/// Echoes in `dataReceived` (asyncio's canonical `EchoProtocol`), with flow control: a template to
/// copy. A peer that sends faster than it reads would otherwise grow the write buffer without bound;
/// so when the transport's write buffer passes its high-water mark (`pauseWriting`), the protocol
/// stops reading — nothing more to echo arrives — until the buffer drains to its low-water mark
/// (`resumeWriting`).
final class EchoProtocol: StreamProtocol {
    var transport: StreamTransport?
    func connectionMade(_ transport: StreamTransport) { self.transport = transport }
    func dataReceived(_ bytes: UnsafeRawBufferPointer) {
        do { try transport?.write(bytes) } catch { transport?.close() }
    }
    func pauseWriting() { transport?.pauseReading() }
    func resumeWriting() { transport?.resumeReading() }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
