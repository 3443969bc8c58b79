import Asyncio
import DequeModule

/// One message delivered to a ``RedisSubscription``.
public struct RedisMessage: Sendable, Hashable {
    /// The channel it was published to.
    public var channel: String
    /// The pattern that matched the channel, for a pattern subscription (`PSUBSCRIBE`); nil for a
    /// channel subscription.
    public var pattern: String?
    /// The message's bytes.
    public var payload: [UInt8]

    /// A message published to `channel`, matched by `pattern` if any.
    public init(channel: String, pattern: String? = nil, payload: [UInt8]) {
        self.channel = channel
        self.pattern = pattern
        self.payload = payload
    }

    /// The payload as UTF-8 text.
    public var string: String { String(decoding: payload, as: UTF8.self) }
}

/// Redis pub/sub on a dedicated connection, as an `AsyncSequence` of ``RedisMessage``s.
///
/// `SUBSCRIBE`/`PSUBSCRIBE` put a connection in a mode where it only receives messages, so a
/// subscription owns its connection: open it with ``connect(host:port:configuration:channels:patterns:loop:)``
/// or ``RedisPool/subscribe(channels:patterns:)``. It works with both protocols: messages are
/// arrays in RESP2 and push frames in RESP3. ``subscribe(_:)`` and the other methods return once
/// the server has confirmed every channel or pattern.
///
/// ```swift
/// let news = try await RedisSubscription.connect(port: port, channels: ["news"])
/// for try await message in news {
///     print(message.channel, message.string)
/// }
/// ```
///
/// The sequence ends after ``close()`` (messages already received are delivered first) and throws
/// a ``RedisError`` when the connection drops. Messages wait in an unbounded buffer until read (the
/// server's `client-output-buffer-limit pubsub` cuts off a subscriber that falls far behind).
///
/// Loop-confined: every public member checks that it runs on the loop's thread, hence
/// `@unchecked Sendable`.
public final class RedisSubscription: AsyncSequence, @unchecked Sendable {
    /// What the sequence yields.
    public typealias Element = RedisMessage

    /// The connection in subscriber mode.
    private let connection: RedisConnection
    /// The loop the subscription belongs to.
    public var loop: EventLoop { connection.loop }

    private enum Item {
        case message(RedisMessage)
        case end((any Error)?)
    }

    /// Confirmations the server still owes for one (un)subscribe command.
    private final class Confirmation {
        let kind: String
        var remaining: Int
        let future: Future<Void>

        init(kind: String, remaining: Int, loop: EventLoop) {
            self.kind = kind
            self.remaining = remaining
            future = Future(loop: loop)
        }
    }

    private let items = Queue<Item>()
    private var confirmations = Deque<Confirmation>()
    private var subscribedChannels: Set<String> = []
    private var subscribedPatterns: Set<String> = []
    private var ended: RedisError?
    private var finished = false

    private init(connection: RedisConnection) {
        self.connection = connection
    }

    /// Connects to the server at `host`:`port` with `configuration` and subscribes to `channels` and
    /// `patterns` (either may be empty, and more can be added later).
    /// - Parameters:
    ///   - host: the server's host name or address.
    ///   - port: the server's port.
    ///   - configuration: the connection's configuration (RESP3 or RESP2, credentials, timeouts).
    ///   - channels: the channels to subscribe to at once.
    ///   - patterns: the glob-style patterns to subscribe to at once.
    ///   - loop: the loop to live on; nil means the loop running on this thread.
    /// - Throws: what ``RedisConnection/connect(host:port:configuration:loop:)`` throws; ``RedisError``
    ///   when the connection drops before the server confirms.
    nonisolated(nonsending) public static func connect(
        host: String = "127.0.0.1", port: Int = 6379, configuration: RedisConfiguration = RedisConfiguration(),
        channels: [String] = [], patterns: [String] = [], loop: EventLoop? = nil
    ) async throws -> RedisSubscription {
        let connection = try await RedisConnection.connect(host: host, port: port, configuration: configuration, loop: loop)
        let subscription = RedisSubscription(connection: connection)
        connection.frameHandler = { [subscription] frame in subscription.received(frame) }
        connection.closeHandler = { [subscription] error in subscription.connectionEnded(error) }
        do {
            if !channels.isEmpty { try await subscription.subscribe(channels) }
            if !patterns.isEmpty { try await subscription.psubscribe(patterns) }
        } catch {
            subscription.close()
            throw error
        }
        return subscription
    }

    /// The channels subscribed to, as the server confirmed them.
    public var channels: Set<String> {
        loop.preconditionOnLoopThread("RedisSubscription.channels")
        return subscribedChannels
    }

    /// The patterns subscribed to, as the server confirmed them.
    public var patterns: Set<String> {
        loop.preconditionOnLoopThread("RedisSubscription.patterns")
        return subscribedPatterns
    }

    /// `SUBSCRIBE channel...`: returns once the server confirmed every channel.
    /// - Throws: ``RedisError`` when the connection is closed or drops first.
    nonisolated(nonsending) public func subscribe(_ channels: [String]) async throws {
        loop.preconditionOnLoopThread("RedisSubscription.subscribe")
        try await command("subscribe", channels)
    }

    /// `PSUBSCRIBE pattern...` (glob-style: `news.*`): returns once the server confirmed every pattern.
    nonisolated(nonsending) public func psubscribe(_ patterns: [String]) async throws {
        loop.preconditionOnLoopThread("RedisSubscription.psubscribe")
        try await command("psubscribe", patterns)
    }

    /// `UNSUBSCRIBE channel...`; nil means every channel subscribed to. Messages of those channels
    /// already received are still delivered.
    nonisolated(nonsending) public func unsubscribe(_ channels: [String]? = nil) async throws {
        loop.preconditionOnLoopThread("RedisSubscription.unsubscribe")
        try await command("unsubscribe", channels ?? subscribedChannels.sorted())
    }

    /// `PUNSUBSCRIBE pattern...`; nil means every pattern subscribed to.
    nonisolated(nonsending) public func punsubscribe(_ patterns: [String]? = nil) async throws {
        loop.preconditionOnLoopThread("RedisSubscription.punsubscribe")
        try await command("punsubscribe", patterns ?? subscribedPatterns.sorted())
    }

    /// Sends `kind` with `names` and waits for one confirmation per name (the server sends one for
    /// each name given, in order).
    nonisolated(nonsending) private func command(_ kind: String, _ names: [String]) async throws {
        guard !names.isEmpty else { return }
        if let ended { throw RedisError(ended.kind, command: kind.uppercased(), message: ended.message) }
        let confirmation = Confirmation(kind: kind, remaining: names.count, loop: loop)
        try connection.sendUnanswered([kind.uppercased()] + names)
        confirmations.append(confirmation)
        try await confirmation.future.value
    }

    /// Closes the connection: the sequence ends once the messages already received are read, and
    /// pending (un)subscribe calls fail with ``RedisError/Kind/closed``. Harmless if already closed.
    public func close() {
        loop.preconditionOnLoopThread("RedisSubscription.close")
        connection.close()  // calls `connectionEnded` (once)
    }

    // MARK: frames

    private func received(_ frame: RedisReply) {
        guard let parts = frame.array, let kind = parts.first?.string?.lowercased() else { return }
        switch kind {
        case "message" where parts.count == 3:
            deliver(RedisMessage(channel: parts[1].string ?? "", payload: parts[2].bytes ?? []))
        case "pmessage" where parts.count == 4:
            deliver(RedisMessage(channel: parts[2].string ?? "", pattern: parts[1].string, payload: parts[3].bytes ?? []))
        case "subscribe", "psubscribe", "unsubscribe", "punsubscribe":
            if parts.count > 1, let name = parts[1].string {
                switch kind {
                case "subscribe": subscribedChannels.insert(name)
                case "psubscribe": subscribedPatterns.insert(name)
                case "unsubscribe": subscribedChannels.remove(name)
                default: subscribedPatterns.remove(name)
                }
            }
            if let first = confirmations.first, first.kind == kind {
                first.remaining -= 1
                if first.remaining == 0 {
                    confirmations.removeFirst()
                    if !first.future.isDone { try? first.future.setResult(()) }
                }
            }
        default:
            break  // other push frames (e.g. RESP3 client-side caching): not messages
        }
    }

    private func deliver(_ message: RedisMessage) {
        try? items.putNowait(.message(message))
    }

    private func connectionEnded(_ error: RedisError) {
        ended = error
        connection.frameHandler = nil  // breaks the connection -> handler -> subscription cycle
        for confirmation in confirmations where !confirmation.future.isDone {
            try? confirmation.future.setError(RedisError(error.kind, command: confirmation.kind.uppercased(), message: error.message))
        }
        confirmations.removeAll()
        try? items.putNowait(.end(error.kind == .closed ? nil : error))
        items.shutdown()
    }

    // MARK: AsyncSequence

    /// Reads the subscription's messages in the order they arrived.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let subscription: RedisSubscription

        /// The next message; nil once the subscription is closed and drained.
        /// - Throws: ``RedisError`` (once) when the connection dropped.
        nonisolated(nonsending) public mutating func next() async throws -> RedisMessage? {
            subscription.loop.preconditionOnLoopThread("RedisSubscription.next")
            return try await subscription.nextMessage()
        }
    }

    /// An iterator over the messages (one consumer: several iterators share the messages).
    public func makeAsyncIterator() -> AsyncIterator {
        loop.preconditionOnLoopThread("RedisSubscription.makeAsyncIterator")
        return AsyncIterator(subscription: self)
    }

    nonisolated(nonsending) private func nextMessage() async throws -> RedisMessage? {
        if finished { return nil }
        let item: Item
        do {
            item = try await items.get()
        } catch is QueueShutDown {
            finished = true
            return nil
        }
        switch item {
        case .message(let message):
            return message
        case .end(let error):
            finished = true
            if let error { throw error }
            return nil
        }
    }
}
