/// Misuse of an ``EventLoop``: what asyncio reports as `RuntimeError`. (A system or libuv failure is an
/// ``IOError``.)
public enum EventLoopError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The loop was closed with ``EventLoop/close()``; it cannot schedule or run anything.
    case closed
    /// The loop is already running (`runForever`/`runUntilComplete` re-entered, or `close` while running).
    case alreadyRunning
    /// Another event loop is already running on this thread.
    case anotherLoopRunning
    /// `runUntilComplete` returned because the loop was stopped before its work finished.
    case stoppedBeforeComplete
    /// There is no running event loop on this thread (asyncio's `get_running_loop()` failing).
    case noRunningLoop
    /// The loop's bounded inbox is full: ``EventLoop/callSoonThreadsafe(_:)`` from another thread found
    /// ``EventLoop/inboxCapacity`` items waiting (use `EventLoop.callSoonThreadsafeWaitingForRoom(_:)`
    /// to wait for room instead).
    case inboxFull

    /// The error's message.
    public var description: String {
        switch self {
        case .closed: return "Event loop is closed"
        case .alreadyRunning: return "This event loop is already running"
        case .anotherLoopRunning: return "Cannot run the event loop while another loop is running on this thread"
        case .stoppedBeforeComplete: return "Event loop stopped before the work completed"
        case .noRunningLoop: return "No running event loop on this thread"
        case .inboxFull: return "The event loop's inbox is full"
        }
    }
}
