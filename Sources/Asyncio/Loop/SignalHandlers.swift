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
    public var description: String { "signal \(signal): \(reason)" }
}

/// One `uv_signal_t` and its handler; closed with the loop (loop-confined, hence `@unchecked Sendable`).
final class SignalWatcher: LoopResource, @unchecked Sendable {
    let handle = UnsafeMutablePointer<uv_signal_t>.allocate(capacity: 1)
    var handler: () throws -> Void
    unowned let loop: EventLoop

    init(loop: EventLoop, signal: Int32, handler: @escaping () throws -> Void) throws {
        self.loop = loop
        self.handler = handler
        uv_signal_init(loop.uvLoop, handle)
        handle.pointee.data = Unmanaged.passUnretained(self).toOpaque()
        let status = uv_signal_start(handle, { raw, _ in
            guard let raw else { return }
            let watcher = Unmanaged<SignalWatcher>.fromOpaque(raw.pointee.data).takeUnretainedValue()
            // The handler runs as a callback of the loop (asyncio: through call_soon).
            let body = watcher.handler
            watcher.loop.enqueueCallback(body)
        }, signal)
        if status < 0 {
            close()
            throw EventLoopError.uv(status, "uv_signal_start(\(signal))")
        }
        // Unreferenced: a signal watcher neither keeps the loop polling on every busy iteration nor
        // counts as I/O in flight; a busy loop still polls it every 128 iterations (see runOnce).
        uv_unref(UnsafeMutableRawPointer(handle).assumingMemoryBound(to: uv_handle_t.self))
    }

    func close() {
        guard uv_is_closing(UnsafeMutableRawPointer(handle).assumingMemoryBound(to: uv_handle_t.self)) == 0 else { return }
        uv_close(UnsafeMutableRawPointer(handle).assumingMemoryBound(to: uv_handle_t.self)) { raw in
            raw?.deallocate()
        }
    }

    func closeForLoopShutdown() { close() }
}

extension EventLoop {
    /// Runs `handler` on the loop thread, as a callback, whenever the process receives `signal`
    /// (asyncio's `loop.add_signal_handler`). Replaces an earlier handler for the same signal.
    /// - Throws: ``SignalHandlerError`` for an invalid number or for `SIGKILL`/`SIGSTOP`, which cannot
    ///   be caught; ``EventLoopError/closed``. Off the loop thread it traps.
    public func addSignalHandler(_ signal: Int32, _ handler: @escaping () throws -> Void) throws {
        try checkUsable("addSignalHandler")
        guard signal > 0 && signal < 65 else { throw SignalHandlerError(signal: signal, reason: "invalid signal number") }
        guard signal != SIGKILL && signal != SIGSTOP else {
            throw SignalHandlerError(signal: signal, reason: "SIGKILL and SIGSTOP cannot be caught")
        }
        _ = removeSignalHandler(signal)
        let watcher = try SignalWatcher(loop: self, signal: signal, handler: ExecutionContext.bind(handler))
        signalWatchers[signal] = watcher
        register(watcher)
    }

    /// Removes the handler for `signal`; returns whether there was one (asyncio's
    /// `remove_signal_handler`).
    @discardableResult
    public func removeSignalHandler(_ signal: Int32) -> Bool {
        guard let watcher = signalWatchers.removeValue(forKey: signal) else { return false }
        unregister(watcher)
        watcher.close()
        return true
    }
}
