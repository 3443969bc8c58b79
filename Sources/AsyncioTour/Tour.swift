import Asyncio
import AsyncioTesting

/// The tour: every example of the article, in the article's order.
enum Tour {
    static let examples: [Example] = [
        coroutines,
        createTask,
        waitFor,
        contextManager,
        decorators,
        callbacks,
        runInExecutor,
        lock,
        semaphore,
        condition,
        event,
        queue,
        priorityQueue,
        asyncIterator,
        asyncGenerator,
        exceptionHandling,
        cancellation,
        httpFetch,
        files,
        database,
        customEventLoop,
        taskGroup,
        contextVars,
        signalHandling,
        performanceTips,
        pitfalls,
        debugMode,
        monitoring,
    ]

    static func example(named name: String) -> Example? { examples.first { $0.name == name } }

    /// Runs `example` on a fresh loop (real time) or on a virtual-time test loop; returns its lines.
    @discardableResult
    static func run(_ example: Example, virtualTime: Bool, echo: Bool) throws -> [String] {
        let out = TourOutput(echo: echo)
        if virtualTime {
            let test = try TestLoop()
            defer { test.close() }
            try test.run { try await example.body(out) }
        } else {
            try Asyncio.run { try await example.body(out) }
        }
        return out.lines
    }
}
