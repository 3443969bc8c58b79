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

    /// A description for logs and debugging.
    public var description: String {
        var text = message
        if let source { text += " (\(source))" }
        if let error { text += ": \(error)" }
        return text
    }
}

extension EventLoop {
    /// Sends `context` to the ``exceptionHandler``, or to ``defaultExceptionHandler(_:)`` when none is
    /// set (asyncio's `call_exception_handler`). Loop-confined.
    public func callExceptionHandler(_ context: ExceptionContext) {
        preconditionOnLoopThread("EventLoop.callExceptionHandler")
        report(context)
    }

    /// Logs `context` at error level through ``logger``. Loop-confined.
    public func defaultExceptionHandler(_ context: ExceptionContext) {
        preconditionOnLoopThread("EventLoop.defaultExceptionHandler")
        log.error("\(context.description)")
    }

    /// The runtime's way to report an error from any thread: on the loop thread the handler runs now;
    /// from another thread (a future freed there, say) it is handed to the loop, or logged if the loop
    /// is closed — an error is never dropped and the handler never runs off its loop.
    func report(_ context: ExceptionContext) {
        if isOnLoopThread {
            if let handler = exceptionHandlerStorage { handler(self, context) } else { log.error("\(context.description)") }
        } else if (try? forwardThreadsafe({ [self] in report(context) })) == nil {
            log.error("\(context.description)")
        }
    }
}
