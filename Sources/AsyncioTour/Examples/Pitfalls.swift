import Asyncio
import Logging
#if canImport(Glibc)
import Glibc
#endif

extension Tour {
    /// The article's three pitfalls, and what Swift and this loop do about each.
    static let pitfalls = Example(name: "pitfalls", title: "Common pitfalls and solutions") { out in
        let loop = try EventLoop.running()

        // 1. Blocking the event loop: debug mode names the step that blocked it.
        out("1. Blocking the event loop")
        loop.logger = Logger(label: "asyncio") { _ in TourLogHandler(out: out) }
        loop.debug = true
        let badSleep = try loop.createTask(name: "bad_sleep") { blockingSleep(microseconds: 150_000) }  // blocks: like time.sleep
        _ = try await badSleep.value
        loop.debug = false
        try await sleep(for: .seconds(1))  // correct: yields to the loop
        out("   sleep(for:) yields to the loop instead")

        // 2. Forgetting to await: in Swift this does not compile. `let result = someAsyncFunc()`
        //    is an error ("expression is 'async' but is not marked with 'await'"), so the Python bug
        //    cannot happen. What can happen is a task nobody awaits: it still runs, and if it fails,
        //    the error reaches the loop's exception handler instead of vanishing.
        out("2. Forgetting to await: a compile-time error in Swift")

        // 3. Calling async code from synchronous code: `run { }` (asyncio.run) or
        //    `EventLoop().runUntilComplete { }` from a synchronous function, on a thread of its own.
        let value = try await loop.runInExecutor { () throws -> String in
            try syncFunction()
        }
        out("3. From synchronous code: \(value)")
    }
}

/// A synchronous function that needs an async result: it runs its own loop (asyncio.run).
private func syncFunction() throws -> String {
    try run { () async throws -> String in
        try await sleep(for: .seconds(0.1))
        return "async result"
    }
}

/// Prints the loop's warnings into the tour output, without their durations (machine-dependent).
struct TourLogHandler: LogHandler {
    let out: TourOutput
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) {
        var text = "\(event.message)"
        if let range = text.firstRange(of: " took ") { text = String(text[..<range.lowerBound]) + " took too long" }
        out("   [debug mode] \(event.level): \(text)")
    }
}
