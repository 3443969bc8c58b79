import Asyncio
import AsyncioRedis
import Testing

/// Every public entry point of the client called from a thread that is not its loop's: a
/// precondition failure naming the call (the package's one misuse rule). Each case runs in a child
/// process (an exit test) whose objects talk to a silent local server, not to Redis.
@Suite("Confinement: AsyncioRedis")
struct RedisConfinementTests {
    @Test("Every entry point traps off its loop's thread", arguments: RedisEntryPoint.allCases)
    func entryPointOffTheLoopThreadTraps(_ entry: RedisEntryPoint) async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) { [entry] in
            try await entry.callOffItsLoop()
        }
        let standardError = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(standardError.contains("\(entry.rawValue) was called on thread"), "\(standardError)")
    }
}

enum RedisEntryPoint: String, CaseIterable, Codable, Sendable {
    case connect = "RedisConnection.connect", send = "RedisConnection.send", pipeline = "RedisConnection.pipeline"
    case close = "RedisConnection.close", isOpen = "RedisConnection.isOpen", inFlightCount = "RedisConnection.inFlightCount"
    case hello = "RedisConnection.hello", onPush = "RedisConnection.onPush"
    case poolInit = "RedisPool.init", poolSend = "RedisPool.send", poolPipeline = "RedisPool.pipeline"
    case poolConnection = "RedisPool.connection", poolSubscribe = "RedisPool.subscribe", poolClose = "RedisPool.close"
    case poolOpenConnectionCount = "RedisPool.openConnectionCount"
    case subscribe = "RedisSubscription.subscribe", unsubscribe = "RedisSubscription.unsubscribe"
    case psubscribe = "RedisSubscription.psubscribe", punsubscribe = "RedisSubscription.punsubscribe"
    case channels = "RedisSubscription.channels", subscriptionClose = "RedisSubscription.close"
    case makeAsyncIterator = "RedisSubscription.makeAsyncIterator", serverStart = "RedisServerProcess.start"

    /// Objects made on a loop (on its thread), then used from the caller's thread after it ended.
    struct Objects: Sendable {
        let loop: EventLoop
        let port: Int
        let connection: RedisConnection
        let pool: RedisPool
        let subscription: RedisSubscription
    }

    func callOffItsLoop() async throws {
        let objects = try await run { () async throws -> Objects in
            let loop = try EventLoop.running()
            let server = try loop.createServer(host: "127.0.0.1", port: 0) { SilentPeer() }
            let port = server.address!.port
            return Objects(
                loop: loop, port: port,
                connection: try await RedisConnection.connect(port: port),
                pool: try RedisPool(port: port),
                subscription: try await RedisSubscription.connect(port: port))
        }
        let (connection, pool, subscription) = (objects.connection, objects.pool, objects.subscription)
        switch self {
        case .connect: _ = try await RedisConnection.connect(port: objects.port, loop: objects.loop)
        case .send: _ = try await connection.send(["PING"])
        case .pipeline: _ = try await connection.pipeline([["PING"]])
        case .close: connection.close()
        case .isOpen: _ = connection.isOpen
        case .inFlightCount: _ = connection.inFlightCount
        case .hello: _ = connection.hello
        case .onPush: connection.onPush = { _ in }
        case .poolInit: _ = try RedisPool(port: objects.port, loop: objects.loop)
        case .poolSend: _ = try await pool.send(["PING"])
        case .poolPipeline: _ = try await pool.pipeline([["PING"]])
        case .poolConnection: _ = try await pool.connection()
        case .poolSubscribe: _ = try await pool.subscribe(channels: ["x"])
        case .poolClose: pool.close()
        case .poolOpenConnectionCount: _ = pool.openConnectionCount
        case .subscribe: try await subscription.subscribe(["x"])
        case .unsubscribe: try await subscription.unsubscribe()
        case .psubscribe: try await subscription.psubscribe(["x"])
        case .punsubscribe: try await subscription.punsubscribe()
        case .channels: _ = subscription.channels
        case .subscriptionClose: subscription.close()
        case .makeAsyncIterator: _ = subscription.makeAsyncIterator()
        case .serverStart: _ = try await RedisServerProcess.start(loop: objects.loop)
        }
    }
}

/// A peer that accepts and never answers.
final class SilentPeer: StreamProtocol {}
