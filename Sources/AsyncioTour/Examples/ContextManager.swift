import Asyncio

extension Tour {
    /// Asynchronous context managers: Swift has no `async with`; a scoped function that sets up, runs
    /// the body, and tears down (also when the body throws) is the idiomatic form.
    static let contextManager = Example(name: "context-manager", title: "Asynchronous context managers") { out in
        // `async with AsyncDBConnection("mydb") as db:` becomes:
        try await AsyncDBConnection.with("mydb", out: out) { db in
            let results = try await db.query("SELECT * FROM users")
            out("Query results: [\(results.map { "{'id': \($0.id), 'name': '\($0.name)'}" }.joined(separator: ", "))]")
        }
        out("Context exited")
    }
}

private struct User { let id: Int; let name: String }

/// A resource with asynchronous set-up and tear-down (used on the loop thread only).
private final class AsyncDBConnection: @unchecked Sendable {
    let dbName: String
    let out: TourOutput
    private(set) var connection: String?

    init(_ dbName: String, out: TourOutput) { self.dbName = dbName; self.out = out }

    func query(_ sql: String) async throws -> [User] {
        out("Executing query: \(sql)")
        try await sleep(for: .seconds(0.3))
        return [User(id: 1, name: "test")]
    }

    /// Opens the connection (`__aenter__`), runs `body`, then always closes it (`__aexit__`), also
    /// when `body` throws; the error is not suppressed.
    static func with<T>(_ name: String, out: TourOutput, _ body: (AsyncDBConnection) async throws -> T) async throws -> T {
        let db = AsyncDBConnection(name, out: out)
        out("Connecting to database \(name)...")
        try await sleep(for: .seconds(1))
        db.connection = "Connection to \(name)"
        out("Database connection successful")
        let result: Result<T, any Error>
        do { result = .success(try await body(db)) } catch { result = .failure(error) }
        out("Closing database connection...")
        try await sleep(for: .seconds(0.5))
        db.connection = nil
        out("Database connection closed")
        return try result.get()
    }
}
