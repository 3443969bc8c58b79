/// What went wrong, as handed to ``EventLoop/exceptionHandler`` (asyncio's exception-handler context).
public struct ExceptionContext: Sendable, CustomStringConvertible {
    /// A short description, such as "Exception in callback" or "Task exception was never retrieved".
    public var message: String
    /// The error, when there is one.
    public var error: (any Error)?
    /// The task or future involved, described, when there is one.
    public var source: String?

    /// Creates a context.
    public init(message: String, error: (any Error)? = nil, source: String? = nil) {
        self.message = message
        self.error = error
        self.source = source
    }

    public var description: String {
        var text = message
        if let source { text += " (\(source))" }
        if let error { text += ": \(error)" }
        return text
    }
}

extension EventLoop {
    /// Sends `context` to the ``exceptionHandler``, or to ``defaultExceptionHandler(_:)`` when none is set.
    public func callExceptionHandler(_ context: ExceptionContext) {
        if let handler = exceptionHandler { handler(self, context) } else { defaultExceptionHandler(context) }
    }

    /// Logs `context` at error level through ``logger``.
    public func defaultExceptionHandler(_ context: ExceptionContext) {
        logger.error("\(context.description)")
    }
}
