/// The tcp_echo server (`asyncio-bench echo-server --port P [--mode streams|protocol]`).
func runEchoServer(port: Int, mode: String) throws {
    throw BenchError("echo-server needs the I/O layer of issue 6, which has not landed")
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
