// nio-http-bench --port P: the SwiftNIO anchor of Benchmarks/http-compare.sh, a minimal NIOHTTP1
// server (`configureHTTPServerPipeline`: HTTP/1.1 parser, pipelining assistance, error handling) on
// one event loop thread, with the routes of `asyncio-bench http-server`:
//   GET /       -> 200 "Hello, World!" (Content-Type: text/plain)
//   POST /echo  -> 200 with the request body (Content-Type: application/octet-stream)
//   anything else -> 404
// Responses are written as a request ends and flushed once per read batch (channelReadComplete),
// NIO's idiomatic way, so a pipelined batch goes out in one write.
import NIOCore
import NIOHTTP1
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

let args = Array(CommandLine.arguments.dropFirst())
guard let i = args.firstIndex(of: "--port"), i + 1 < args.count, let port = Int(args[i + 1]) else {
    print("usage: nio-http-bench --port P")
    exit(2)
}

final class BenchHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private enum Route { case hello, echo, notFound }
    private var route = Route.notFound
    private var keepAlive = true
    private var body: ByteBuffer?
    private let hello = ByteBuffer(string: "Hello, World!")

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            keepAlive = head.isKeepAlive
            body = nil
            switch (head.method, head.uri) {
            case (.GET, "/"): route = .hello
            case (.POST, "/echo"): route = .echo
            default: route = .notFound
            }
        case .body(var chunk):
            guard route == .echo else { return }
            if body == nil { body = chunk } else { body!.writeBuffer(&chunk) }
        case .end:
            let payload: ByteBuffer
            var headers = HTTPHeaders()
            let status: HTTPResponseStatus
            switch route {
            case .hello:
                status = .ok
                payload = hello
                headers.add(name: "Content-Type", value: "text/plain")
            case .echo:
                status = .ok
                payload = body ?? ByteBuffer()
                headers.add(name: "Content-Type", value: "application/octet-stream")
            case .notFound:
                status = .notFound
                payload = ByteBuffer()
            }
            headers.add(name: "Content-Length", value: String(payload.readableBytes))
            if !keepAlive { headers.add(name: "Connection", value: "close") }
            body = nil
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(payload))), promise: nil)
            if keepAlive {
                context.write(wrapOutboundOut(.end(nil)), promise: nil)
            } else {
                let channel = context.channel
                context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }
}

let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let bootstrap = ServerBootstrap(group: group)
    .serverChannelOption(.backlog, value: 1024)
    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
    .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
    .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
            try channel.pipeline.syncOperations.addHandler(BenchHandler())
        }
    }
let server = try bootstrap.bind(host: "127.0.0.1", port: port).wait()
try server.closeFuture.wait()
