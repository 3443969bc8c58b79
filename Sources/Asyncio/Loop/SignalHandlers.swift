import CLibUV
#if canImport(Glibc)
import Glibc
#endif

/// An invalid signal for ``EventLoop/addSignalHandler(_:_:)`` (asyncio's `ValueError`/`RuntimeError`).
public struct SignalHandlerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The signal number.
    public var signal: Int32
    /// Why it was refused.
    public var reason: String
    /// The error's message.
    public var description: String { "signal \(signal): \(reason)" }
}

/// One `uv_signal_t` (owned by its ``UVHandle``, closed with the loop) and its handler
/// (loop-confined, hence `@unchecked Sendable`).
final class SignalWatcher: UVHandleOwner, @unchecked Sendable {
    private let handle: UVHandle
    var handler: () throws -> Void
    unowned let loop: EventLoop

    /// - Throws: ``IOError`` (`uv_signal_init`, `uv_signal_start`) when libuv refuses.
    init(loop: EventLoop, signal: Int32, handler: @escaping () throws -> Void) throws(IOError) {
        self.loop = loop
        self.handler = handler
        handle = try UVHandle("uv_signal_init", "signal \(signal)", type: UV_SIGNAL, loop: loop) { raw in
            uv_signal_init(loop.uvLoop, raw.assumingMemoryBound(to: uv_signal_t.self))
        }
        handle.attach(self)
        let status = uv_signal_start(handle.pointer.assumingMemoryBound(to: uv_signal_t.self), { raw, _ in
            let watcher = UVHandle.owner(of: raw, as: SignalWatcher.self)
            // The handler runs as a callback of the loop (asyncio: through call_soon).
            watcher.loop.enqueueCallback(watcher.handler)
        }, signal)
        if status < 0 {
            handle.close()
            throw IOError("uv_signal_start", "signal \(signal)", status: status)
        }
        // Unreferenced: a signal watcher neither keeps the loop polling on every busy iteration nor
        // counts as I/O in flight; a busy loop still polls it every 128 iterations (see runOnce).
        uv_unref(handle.handle)
    }

    func close() { handle.close() }

    func handleDidClose(_ handle: UVHandle) {}
}

extension EventLoop {
    /// Runs `handler` on the loop thread, as a callback, whenever the process receives `signal`
    /// (asyncio's `loop.add_signal_handler`). Replaces an earlier handler for the same signal.
    /// - Throws: ``SignalHandlerError`` for an invalid number or for `SIGKILL`/`SIGSTOP`, which cannot
    ///   be caught; ``EventLoopError/closed``; ``IOError`` when libuv cannot watch it (`uv_signal_init`,
    ///   e.g. `EMFILE`). Off the loop thread it traps.
    public func addSignalHandler(_ signal: Int32, _ handler: @escaping () throws -> Void) throws {
        try checkUsable("EventLoop.addSignalHandler")
        guard signal > 0 && signal < 65 else { throw SignalHandlerError(signal: signal, reason: "invalid signal number") }
        guard signal != SIGKILL && signal != SIGSTOP else {
            throw SignalHandlerError(signal: signal, reason: "SIGKILL and SIGSTOP cannot be caught")
        }
        let watcher = try SignalWatcher(loop: self, signal: signal, handler: ExecutionContext.bind(handler))
        signalWatchers.removeValue(forKey: signal)?.close()
        signalWatchers[signal] = watcher
    }

    /// Removes the handler for `signal`; returns whether there was one (asyncio's
    /// `remove_signal_handler`).
    @discardableResult
    public func removeSignalHandler(_ signal: Int32) -> Bool {
        preconditionOnLoopThread("EventLoop.removeSignalHandler")
        guard let watcher = signalWatchers.removeValue(forKey: signal) else { return false }
        watcher.close()
        return true
    }
}
