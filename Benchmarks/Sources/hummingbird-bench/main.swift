// hummingbird-bench --port P: the Hummingbird 2 anchor of Benchmarks/http-compare.sh, with the routes
// of `asyncio-bench http-server`:
//   GET /       -> 200 "Hello, World!" (Content-Type: text/plain)
//   POST /echo  -> 200 with the request body (Content-Type: application/octet-stream)
// One NIO event loop thread (MultiThreadedEventLoopGroup(numberOfThreads: 1)); Hummingbird runs each
// connection's handlers as Swift tasks on the concurrency runtime's global executor, as it ships.
// http-compare.sh pins the whole process to one CPU, so every thread shares that core.
// Hummingbird adds a Date header to every response (it cannot be turned off); no Server header.
import Hummingbird
import Logging
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

let args = Array(CommandLine.arguments.dropFirst())
guard let i = args.firstIndex(of: "--port"), i + 1 < args.count, let port = Int(args[i + 1]) else {
    print("usage: hummingbird-bench --port P")
    exit(2)
}

let hello = ByteBuffer(string: "Hello, World!")
let router = Router()
router.get("/") { _, _ -> Response in
    Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: hello))
}
router.post("/echo") { request, _ -> Response in
    let body = try await request.body.collect(upTo: 16 << 20)
    return Response(status: .ok, headers: [.contentType: "application/octet-stream"], body: .init(byteBuffer: body))
}

var logger = Logger(label: "hummingbird-bench")
logger.logLevel = .warning
let app = Application(
    router: router,
    configuration: .init(address: .hostname("127.0.0.1", port: port), backlog: 1024),
    eventLoopGroupProvider: .shared(MultiThreadedEventLoopGroup(numberOfThreads: 1)),
    logger: logger
)
try await app.runService()
