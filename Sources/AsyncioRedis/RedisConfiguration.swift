/// The version of the Redis protocol a connection speaks.
public enum RedisProtocolVersion: Int, Sendable, Hashable {
    /// RESP2, every server's default: maps come as flat arrays, doubles as strings.
    case resp2 = 2
    /// RESP3 (Redis 6 and later), chosen with `HELLO 3` when connecting: typed maps, sets, doubles,
    /// booleans, and push frames for out-of-band data.
    case resp3 = 3
}

/// How a ``RedisConnection`` (and every connection of a ``RedisPool``) connects and behaves.
public struct RedisConfiguration: Sendable {
    /// The protocol version; ``RedisProtocolVersion/resp3`` sends `HELLO 3` when connecting.
    public var protocolVersion: RedisProtocolVersion
    /// The ACL user name for `AUTH` (nil: the default user).
    public var username: String?
    /// The password for `AUTH` (nil: no authentication).
    public var password: String?
    /// The database `SELECT`ed after connecting (0, the server's default, sends nothing).
    public var database: Int
    /// The name set with `CLIENT SETNAME` (shown by `CLIENT LIST`).
    public var clientName: String?
    /// How long a command waits for its reply unless its own `timeout` says otherwise; nil waits as
    /// long as the connection lives.
    public var commandTimeout: Duration?
    /// How long connecting (TCP and the handshake) may take; nil leaves it to the system.
    public var connectTimeout: Duration?
    /// The bounds of the reply parser.
    public var parserLimits: RESPParser.Limits

    /// A configuration; every parameter has the server's default behaviour as its default.
    public init(
        protocolVersion: RedisProtocolVersion = .resp2,
        username: String? = nil,
        password: String? = nil,
        database: Int = 0,
        clientName: String? = nil,
        commandTimeout: Duration? = nil,
        connectTimeout: Duration? = nil,
        parserLimits: RESPParser.Limits = RESPParser.Limits()
    ) {
        self.protocolVersion = protocolVersion
        self.username = username
        self.password = password
        self.database = database
        self.clientName = clientName
        self.commandTimeout = commandTimeout
        self.connectTimeout = connectTimeout
        self.parserLimits = parserLimits
    }
}
