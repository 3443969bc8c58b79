import Asyncio
import DequeModule

/// One connection to a Redis server, on the protocol API of an `EventLoop`: replies are
/// parsed inside the read callback (no task per read) and handed to the commands waiting for them.
///
/// Commands pipeline by themselves: every ``send(_:timeout:)-([String],_)`` writes its command and
/// waits for its reply without waiting for the replies before it, so commands sent by many tasks
/// are in flight together and their replies are matched in order. The commands sent during one loop
/// iteration go out in one write. ``pipeline(_:timeout:)`` sends a batch and waits once for all of it.
///
/// ```swift
/// let redis = try await RedisConnection.connect(host: "127.0.0.1", port: 6379)
/// try await redis.set("greeting", "hello")
/// let greeting = try await redis.get("greeting")          // "hello"
/// let reply = try await redis.send("INCRBY", "counter", "5")   // .integer(5)
/// redis.close()
/// ```
///
/// Errors: an error reply is thrown as ``RedisServerError`` and leaves the connection as it was. When
/// the connection drops, every command in flight fails with a ``RedisError`` of kind
/// ``RedisError/Kind/connectionLost`` naming it, and later commands fail at once; a ``RedisPool``
/// connects anew for new commands. A command that times out (``RedisConfiguration/commandTimeout``
/// or its own `timeout`) throws ``RedisError/Kind/timedOut``; its late reply is dropped when it comes.
///
/// Loop-confined: create and use it on its loop's thread, from tasks of that loop. Every public
/// member checks that (a precondition failure naming the call otherwise), hence `@unchecked Sendable`.
/// Close it with ``close()``.
public final class RedisConnection: RedisCommands, @unchecked Sendable {
    /// The loop the connection belongs to.
    public let loop: EventLoop
    /// The host it connected to.
    public let host: String
    /// The port it connected to.
    public let port: Int
    /// How it was configured.
    public let configuration: RedisConfiguration

    /// A reply that some command (or batch) waits for.
    private enum Awaiting {
        /// One command sent with `send`: its future, its name (for errors), its timeout timer.
        case command(Future<RedisReply>, name: String, timer: TimerHandle?)
        /// A batch sent with `pipeline`: one entry for all its replies.
        case batch(PipelineBatch)
    }

    private enum State {
        case open
        case closed(RedisError)
    }

    @exclusivity(unchecked) private var transport: StreamTransport?
    @exclusivity(unchecked) private var parser: RESPParser
    @exclusivity(unchecked) private var awaiting = Deque<Awaiting>()
    /// Replies awaited: one per command, a batch counting all of its commands.
    @exclusivity(unchecked) private var awaitedReplies = 0
    /// Commands encoded since the last write.
    @exclusivity(unchecked) private var output: [UInt8] = []
    @exclusivity(unchecked) private var flushScheduled = false
    /// How many writes the connection made (tests check that commands are batched).
    private(set) var writeCount = 0
    @exclusivity(unchecked) private var state = State.open
    private var helloReply: RedisReply?
    private var pushHandler: ((RedisReply) -> Void)?
    /// Subscriber mode (``RedisSubscription``): every frame goes here, none to `awaiting`.
    var frameHandler: ((RedisReply) -> Void)?
    /// Called once when the connection ends, with the error later commands get.
    var closeHandler: ((RedisError) -> Void)?

    private init(loop: EventLoop, host: String, port: Int, configuration: RedisConfiguration) {
        self.loop = loop
        self.host = host
        self.port = port
        self.configuration = configuration
        parser = RESPParser(limits: configuration.parserLimits)
    }

    /// Connects to the server at `host`:`port` and performs the handshake the configuration asks
    /// for (`HELLO 3`, `AUTH`, `CLIENT SETNAME`, `SELECT`), as one pipelined batch.
    /// - Parameters:
    ///   - host: the server's host name or address.
    ///   - port: the server's port.
    ///   - configuration: the protocol version, credentials, database, client name and timeouts.
    ///   - loop: the loop to live on; nil means the loop running on this thread.
    /// - Throws: `IOError` when the TCP connection fails, ``RedisServerError`` when the server
    ///   refuses the handshake (e.g. `HELLO` on Redis 5, a wrong password), `TimeoutError` after
    ///   ``RedisConfiguration/connectTimeout``, `EventLoopError.noRunningLoop` without a loop.
    nonisolated(nonsending) public static func connect(
        host: String = "127.0.0.1", port: Int = 6379, configuration: RedisConfiguration = RedisConfiguration(),
        loop: EventLoop? = nil
    ) async throws -> RedisConnection {
        let loop = try loop ?? EventLoop.running()
        loop.preconditionOnLoopThread("RedisConnection.connect")
        guard let limit = configuration.connectTimeout else {
            return try await open(host: host, port: port, configuration: configuration, loop: loop)
        }
        return try await loop.withTimeout(limit) { _ in
            try await open(host: host, port: port, configuration: configuration, loop: loop)
        }
    }

    nonisolated(nonsending) private static func open(
        host: String, port: Int, configuration: RedisConfiguration, loop: EventLoop
    ) async throws -> RedisConnection {
        let connection = RedisConnection(loop: loop, host: host, port: port, configuration: configuration)
        let (transport, _) = try await loop.createConnection(host: host, port: port) { RedisStreamHandler(connection) }
        connection.transport = transport
        do {
            try await connection.handshake()
        } catch {
            connection.close()
            throw error
        }
        return connection
    }

    /// `HELLO 3` (with `AUTH` and `SETNAME`) or RESP2's `AUTH` and `CLIENT SETNAME`, then `SELECT`.
    nonisolated(nonsending) private func handshake() async throws {
        var commands: [[String]] = []
        let auth = configuration.password.map { password in ["AUTH", configuration.username ?? "default", password] }
        if configuration.protocolVersion == .resp3 {
            var hello = ["HELLO", "3"]
            if let auth { hello += auth }
            if let name = configuration.clientName { hello += ["SETNAME", name] }
            commands.append(hello)
        } else {
            if let auth { commands.append(configuration.username == nil ? ["AUTH", auth[2]] : auth) }
            if let name = configuration.clientName { commands.append(["CLIENT", "SETNAME", name]) }
        }
        if configuration.database != 0 { commands.append(["SELECT", String(configuration.database)]) }
        guard !commands.isEmpty else { return }
        let replies = try await batch(commands, timeout: configuration.commandTimeout)
        for reply in replies {
            if case .error(let error) = reply { throw error }
        }
        if configuration.protocolVersion == .resp3 { helloReply = replies.first }
    }

    // MARK: state

    /// Whether commands can be sent: false once the connection dropped or was closed.
    public var isOpen: Bool {
        loop.preconditionOnLoopThread("RedisConnection.isOpen")
        if case .open = state { return true } else { return false }
    }

    /// How many replies are awaited (commands sent whose reply has not come, including timed-out and
    /// cancelled ones whose reply will be dropped).
    public var inFlightCount: Int {
        loop.preconditionOnLoopThread("RedisConnection.inFlightCount")
        return awaitedReplies
    }

    /// The server's reply to `HELLO 3` (a map: `server`, `version`, `proto`, `id`, `mode`, `role`,
    /// `modules`); nil on a RESP2 connection.
    public var hello: RedisReply? {
        loop.preconditionOnLoopThread("RedisConnection.hello")
        return helloReply
    }

    /// Called with every RESP3 push frame that arrives outside a ``RedisSubscription`` (client-side
    /// caching invalidations, for instance); nil drops them.
    public var onPush: ((RedisReply) -> Void)? {
        get { loop.preconditionOnLoopThread("RedisConnection.onPush"); return pushHandler }
        set { loop.preconditionOnLoopThread("RedisConnection.onPush"); pushHandler = newValue }
    }

    // MARK: sending

    /// Sends one command (its name and arguments) and returns the server's reply.
    ///
    /// The command is written on the next loop iteration together with every other command sent
    /// meanwhile; it does not wait for the replies of commands sent before it.
    /// - Parameters:
    ///   - arguments: the command and its arguments, e.g. `["SET", "key", "value"]`; not empty.
    ///   - timeout: how long to wait for the reply; nil uses ``RedisConfiguration/commandTimeout``.
    /// - Returns: the reply; never ``RedisReply/error(_:)``, which is thrown.
    /// - Throws: ``RedisServerError`` for an error reply; ``RedisError`` when the connection drops or is
    ///   closed (``RedisError/Kind/connectionLost``, ``RedisError/Kind/closed``), the reply does not
    ///   come in time (``RedisError/Kind/timedOut``) or the server breaks the protocol;
    ///   `CancelledError` when the calling task is cancelled (the reply is then dropped).
    nonisolated(nonsending) public func send(_ arguments: [String], timeout: Duration? = nil) async throws -> RedisReply {
        loop.preconditionOnLoopThread("RedisConnection.send")
        return try await command(arguments, timeout: timeout)
    }

    /// Sends one command whose arguments are bytes (binary-safe values); see ``send(_:timeout:)-([String],_)``.
    nonisolated(nonsending) public func send(_ arguments: [[UInt8]], timeout: Duration? = nil) async throws -> RedisReply {
        loop.preconditionOnLoopThread("RedisConnection.send")
        return try await command(arguments, timeout: timeout)
    }

    /// Sends a batch of commands in one write and returns their replies in order, once all have come.
    /// Error replies stay in place as ``RedisReply/error(_:)`` values (as in the results of `EXEC`), so
    /// one failing command does not hide the others' results; nothing is sent between the batch's
    /// commands, so `MULTI` ... `EXEC` in one batch is a transaction.
    /// - Parameters:
    ///   - commands: the commands, each its name and arguments; none may be empty.
    ///   - timeout: for the whole batch; nil uses ``RedisConfiguration/commandTimeout``.
    /// - Throws: ``RedisError`` when the connection drops or is closed before every reply came, or the
    ///   batch times out; `CancelledError` when the calling task is cancelled.
    nonisolated(nonsending) public func pipeline(_ commands: [[String]], timeout: Duration? = nil) async throws -> [RedisReply] {
        loop.preconditionOnLoopThread("RedisConnection.pipeline")
        return try await batch(commands, timeout: timeout)
    }

    nonisolated(nonsending) private func command<Argument: RESPArgument>(
        _ arguments: [Argument], timeout: Duration?
    ) async throws -> RedisReply {
        precondition(!arguments.isEmpty, "RedisConnection.send: a command needs at least its name")
        let name = commandName(arguments)
        if case .closed(let error) = state { throw RedisError(error.kind, command: name.uppercased(), message: error.message) }
        let future = Future<RedisReply>(loop: loop)
        var timer: TimerHandle?
        if let limit = timeout ?? configuration.commandTimeout {
            timer = try loop.callLater(limit) {
                guard !future.isDone else { return }
                try future.setError(RedisError(.timedOut, command: name.uppercased(), message: "no reply within \(limit)"))
            }
        }
        output.appendRESPCommand(arguments)
        awaiting.append(.command(future, name: name, timer: timer))
        awaitedReplies += 1
        scheduleFlush()
        return try await future.value
    }

    nonisolated(nonsending) private func batch(_ commands: [[String]], timeout: Duration?) async throws -> [RedisReply] {
        guard !commands.isEmpty else { return [] }
        for command in commands { precondition(!command.isEmpty, "RedisConnection.pipeline: a command needs at least its name") }
        let firstCommand = commandName(commands[0])
        if case .closed(let error) = state {
            throw RedisError(error.kind, command: PipelineBatch.name(count: commands.count, firstCommand: firstCommand), message: error.message)
        }
        let batch = PipelineBatch(loop: loop, count: commands.count, firstCommand: firstCommand)
        if let limit = timeout ?? configuration.commandTimeout {
            batch.timer = try loop.callLater(limit) {
                guard !batch.future.isDone else { return }
                try batch.future.setError(RedisError(.timedOut, command: batch.name, message: "no reply within \(limit)"))
            }
        }
        for command in commands { output.appendRESPCommand(command) }
        awaiting.append(.batch(batch))
        awaitedReplies += commands.count
        scheduleFlush()
        return try await batch.future.value
    }

    /// Sends a command whose replies go to the ``frameHandler`` (subscriber mode).
    func sendUnanswered(_ arguments: [String]) throws {
        if case .closed(let error) = state { throw RedisError(error.kind, command: arguments.first, message: error.message) }
        output.appendRESPCommand(arguments)
        scheduleFlush()
    }

    /// Writes what was encoded during this iteration on the next one, in one write.
    private func scheduleFlush() {
        guard !flushScheduled else { return }
        flushScheduled = true
        do {
            try loop.callSoon { [self] in flush() }
        } catch {
            end(RedisError(.connectionLost, message: "the event loop is closed (\(error))"))
        }
    }

    private func flush() {
        flushScheduled = false
        guard case .open = state, let transport, !output.isEmpty else { return }
        writeCount &+= 1
        do {
            try transport.write(output)
        } catch {
            lose("the write failed: \(error)")
            transport.abort()
            return
        }
        output.removeAll(keepingCapacity: output.capacity <= 64 * 1024)
    }

    // MARK: receiving

    /// Bytes from the transport's read callback: every complete reply goes to its command.
    fileprivate func received(_ bytes: UnsafeRawBufferPointer) {
        parser.feed(bytes)
        while case .open = state {
            let reply: RedisReply
            do {
                guard let next = try parser.next() else { return }
                reply = next
            } catch {
                lose("\(error)")
                transport?.abort()
                return
            }
            dispatch(reply)
        }
    }

    private func dispatch(_ reply: RedisReply) {
        if let frameHandler {
            frameHandler(reply)
            return
        }
        if case .push = reply {
            pushHandler?(reply)
            return
        }
        guard let waiting = awaiting.first else {
            let error = RedisError(.protocolViolation, message: "the server sent a reply no command waits for: \(reply)")
            end(error)
            transport?.abort()
            return
        }
        awaitedReplies -= 1
        switch waiting {
        case .command(let future, _, let timer):
            awaiting.removeFirst()
            timer?.cancel()
            guard !future.isDone else { return }  // timed out or cancelled: the reply is dropped
            if case .error(let error) = reply { try? future.setError(error) } else { try? future.setResult(reply) }
        case .batch(let batch):
            if batch.add(reply) { awaiting.removeFirst() }
        }
    }

    // MARK: closing

    /// Closes the connection: every command in flight fails with ``RedisError/Kind/closed`` (commands
    /// not yet written are not sent), and so does every later command. Harmless if already closed.
    public func close() {
        loop.preconditionOnLoopThread("RedisConnection.close")
        guard case .open = state else { return }
        output.removeAll()
        end(RedisError(.closed, message: "the connection to \(host):\(port) was closed before the reply came"))
        transport?.close()
    }

    /// The transport closed: a drop unless ``close()`` came first.
    fileprivate func transportClosed(_ error: (any Error)?) {
        lose(error.map { "\($0)" } ?? "the server closed the connection")
        transport = nil
    }

    private func lose(_ reason: String) {
        end(RedisError(.connectionLost, message: "the connection to \(host):\(port) was lost before the reply came "
            + "(\(reason)); the command may or may not have run"))
    }

    /// Fails every awaited reply with `error` (naming each command) and every later command too.
    private func end(_ error: RedisError) {
        guard case .open = state else { return }
        state = .closed(error)
        let failed = awaiting
        awaiting.removeAll()
        awaitedReplies = 0
        for waiting in failed {
            switch waiting {
            case .command(let future, let name, let timer):
                timer?.cancel()
                if !future.isDone { try? future.setError(RedisError(error.kind, command: name.uppercased(), message: error.message)) }
            case .batch(let batch):
                batch.fail(error)
            }
        }
        let handler = closeHandler
        closeHandler = nil
        handler?(error)
    }
}

/// The replies of one ``RedisConnection/pipeline(_:timeout:)`` batch, collected in order.
private final class PipelineBatch {
    let future: Future<[RedisReply]>
    let count: Int
    /// The first command's name as sent: the batch's name for errors is made only when one is thrown
    /// (building it for every batch cost about 2,000 instructions, a string interpolation).
    let firstCommand: String
    // Loop-confined like its connection: no dynamic exclusivity checks (they cost about 80
    // instructions per reply in `add`).
    @exclusivity(unchecked) var replies: [RedisReply] = []
    @exclusivity(unchecked) var timer: TimerHandle?

    init(loop: EventLoop, count: Int, firstCommand: String) {
        future = Future(loop: loop)
        self.count = count
        self.firstCommand = firstCommand
        replies.reserveCapacity(count)
    }

    /// What errors call the batch: its command (`GET`) when it has one, else `pipeline of N commands`.
    var name: String { Self.name(count: count, firstCommand: firstCommand) }

    static func name(count: Int, firstCommand: String) -> String {
        count == 1 ? firstCommand.uppercased() : "pipeline of \(count) commands"
    }

    /// Adds the next reply; returns whether it was the last.
    func add(_ reply: RedisReply) -> Bool {
        replies.append(reply)
        guard replies.count == count else { return false }
        timer?.cancel()
        if !future.isDone { try? future.setResult(replies) }
        return true
    }

    func fail(_ error: RedisError) {
        timer?.cancel()
        if !future.isDone { try? future.setError(RedisError(error.kind, command: name, message: error.message)) }
    }
}

/// The connection's protocol: the transport calls it from libuv's callbacks on the loop thread.
private final class RedisStreamHandler: StreamProtocol {
    let connection: RedisConnection

    init(_ connection: RedisConnection) { self.connection = connection }

    func dataReceived(_ bytes: UnsafeRawBufferPointer) { connection.received(bytes) }
    func connectionLost(_ error: (any Error)?) { connection.transportClosed(error) }
}
