import Asyncio

/// The kept-alive connections of an ``HTTPClient`` to one host and port: at most
/// ``HTTPClient/Configuration/maxConnectionsPerHost`` of them, idle ones reused most recently used
/// first, each closed after ``HTTPClient/Configuration/idleTimeout`` unused or when the server closes
/// it. Requests that find every connection busy wait in line. Loop-confined.
final class HTTPClientHostPool: @unchecked Sendable {
    let loop: EventLoop
    let host: String
    let port: Int
    private let configuration: HTTPClient.Configuration
    private var idle: [HTTPClientConnection] = []
    /// Connections open or being opened.
    private(set) var count = 0
    private var waiters: [Future<Void>] = []
    private var closed = false
    /// Connections made so far (tests check reuse with it).
    private(set) var connectionsMade = 0

    init(loop: EventLoop, host: String, port: Int, configuration: HTTPClient.Configuration) {
        self.loop = loop
        self.host = host
        self.port = port
        self.configuration = configuration
    }

    var idleCount: Int { idle.count }

    /// A connection for one exchange: an idle one (`reused`), a new one when there is room, or the
    /// first one freed. With `fresh`, never an idle one: an idle one is closed to make room if needed.
    nonisolated(nonsending) func acquire(fresh: Bool = false) async throws -> (connection: HTTPClientConnection, reused: Bool) {
        while true {
            if closed { throw HTTPClientError(.shutDown, "the client was shut down") }
            if fresh {
                if count >= configuration.maxConnectionsPerHost, let stale = idle.popLast() { retire(stale) }
            } else {
                while let connection = idle.popLast() {
                    if connection.isUsable {
                        connection.idleTimer?.cancel()
                        connection.idleTimer = nil
                        return (connection, true)
                    }
                }
            }
            if count < configuration.maxConnectionsPerHost {
                count += 1
                let connection: HTTPClientConnection
                do {
                    connection = try await HTTPClientConnection.connect(
                        host: host, port: port, configuration: configuration, pool: self, loop: loop)
                } catch {
                    count -= 1
                    wakeOne()
                    throw error
                }
                connectionsMade += 1
                if closed {
                    connection.close()
                    throw HTTPClientError(.shutDown, "the client was shut down")
                }
                return (connection, false)
            }
            let waiter = Future<Void>(loop: loop)
            waiters.append(waiter)
            try await waiter.value
        }
    }

    /// Takes `connection` out of the count at once (it is closed; its close will not count again).
    private func retire(_ connection: HTTPClientConnection) {
        guard connection.countedInPool else { return }
        connection.countedInPool = false
        count -= 1
        connection.abortNow()
    }

    /// An exchange ended and the connection may be kept: it waits, idle, for the next request.
    func release(_ connection: HTTPClientConnection) {
        guard !closed, connection.isUsable else {
            connection.close()
            return
        }
        if let limit = configuration.idleTimeout {
            connection.idleTimer = try? loop.callLater(limit) { [weak connection] in connection?.close() }
        }
        idle.append(connection)
        wakeOne()
    }

    /// A connection closed (for whatever reason): room for another.
    func connectionClosed(_ connection: HTTPClientConnection) {
        idle.removeAll { $0 === connection }
        if connection.countedInPool {
            connection.countedInPool = false
            count -= 1
        }
        wakeOne()
    }

    private func wakeOne() {
        while !waiters.isEmpty {
            let waiter = waiters.removeFirst()
            if !waiter.isDone {
                try? waiter.setResult(())
                return
            }
        }
    }

    /// Closes the idle connections; busy ones close when their exchange ends; waiting and later
    /// requests fail with ``HTTPClientError/Kind/shutDown``.
    func shutdown() {
        closed = true
        let idle = self.idle
        self.idle.removeAll()
        for connection in idle { connection.close() }
        let waiters = self.waiters
        self.waiters.removeAll()
        for waiter in waiters where !waiter.isDone { try? waiter.setResult(()) }
    }
}
