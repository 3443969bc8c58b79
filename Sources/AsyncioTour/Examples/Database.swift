import Asyncio

extension Tour {
    /// aiomysql / redis: the pattern of an asynchronous database client — connect, send a command,
    /// await the reply, close — against a tiny key-value server of ours on 127.0.0.1 speaking a
    /// line protocol (a real MySQL or Redis driver is beyond this package; any such driver written on
    /// `openConnection` looks like the client below).
    static let database = Example(name: "database", title: "aiomysql / redis: an asynchronous database client") { out in
        let loop = try EventLoop.running()
        let table = KeyValueTable()
        let server = try loop.startServer(host: "127.0.0.1", port: 0) { reader, writer in
            for try await line in reader {
                let parts = String(decoding: line, as: UTF8.self).trimmingNewline.split(separator: " ", maxSplits: 2).map(String.init)
                switch parts.first {
                case "SET" where parts.count == 3: table.values[parts[1]] = parts[2]; try writer.write("OK\n")
                case "GET" where parts.count == 2: try writer.write("\(table.values[parts[1]] ?? "(nil)")\n")
                case "KEYS": try writer.write("\(table.values.keys.sorted().joined(separator: ","))\n")
                default: try writer.write("ERR unknown command\n")
                }
                try await writer.drain()
            }
        }

        // The client: one connection, commands awaited one by one.
        let (reader, writer) = try await loop.openConnection(host: "127.0.0.1", port: server.address!.port)
        @Sendable func execute(_ command: String) async throws -> String {
            try writer.write(command + "\n")
            return String(decoding: try await reader.readLine(), as: UTF8.self).trimmingNewline
        }
        out("SET user:1 Alice -> \(try await execute("SET user:1 Alice"))")
        out("SET user:2 Bob -> \(try await execute("SET user:2 Bob"))")
        out("GET user:1 -> \(try await execute("GET user:1"))")
        out("KEYS -> \(try await execute("KEYS"))")
        out("DROP -> \(try await execute("DROP"))")
        writer.close()
        server.close()
        try await server.waitClosed()
    }
}

/// The server's data (loop thread only).
private final class KeyValueTable: @unchecked Sendable {
    var values: [String: String] = [:]
}

private extension String {
    var trimmingNewline: String { hasSuffix("\n") ? String(dropLast()) : self }
}
