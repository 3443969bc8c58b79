import Asyncio

/// Context variables are defined once, like module-level `ContextVar`s.
private let requestID = ContextVar<String>("request_id", default: "unknown")
private let userInfo = ContextVar<String>("user_info")

extension Tour {
    /// Context variables: each task (each request) sees its own values.
    static let contextVars = Example(name: "context-vars", title: "Asynchronous context variables") { out in
        @Sendable func log(_ message: String) {
            out("[\(requestID.get() ?? "unknown")] [\(userInfo.get() ?? "None")] \(message)")
        }
        @Sendable func processRequest(_ id: String, _ user: String) async throws {
            requestID.set(id)  // set context
            userInfo.set(user)
            log("Starting to process request")
            try await sleep(for: .seconds(0.5))
            log("Processing complete")
        }
        // Each request has its own context: gather runs each in its own task.
        _ = try await gather(
            { try await processRequest("req-001", "Alice") },
            { try await processRequest("req-002", "Bob") },
            { try await processRequest("req-003", "Charlie") })
    }
}
