import CLibUV

/// What a ``UVHandle`` serves: a transport, a server's listener, a process, a signal watcher...
protocol UVHandleOwner: AnyObject {
    /// libuv's close callback for the owner's handle: the last callback the handle ever gets (pending
    /// write and shutdown requests have been called back before it). The handle's memory is freed
    /// right after this returns.
    func handleDidClose(_ handle: UVHandle)
}

/// The one owner of one libuv handle (`uv_tcp_t`, `uv_pipe_t`, `uv_udp_t`, `uv_process_t`,
/// `uv_signal_t`...), as uvloop's `UVHandle`:
///
/// - **Checked init.** ``init(_:_:type:loop:initializedOnFailure:_:)`` allocates the handle's memory and
///   calls the `uv_*_init` function. When it fails, the abort path frees the memory and throws: a
///   handle whose init failed is never `uv_close`d (libuv already took it off the loop's handle queue,
///   or never put it there). The one exception is `uv_spawn`, which leaves the handle initialised
///   when it fails: `initializedOnFailure` closes it the regular way before throwing.
/// - **Kept alive until libuv lets go.** While the handle is open, `handle.data` holds a retain on
///   this object and this object holds its ``owner`` strongly: a connection nobody references goes on
///   working, and no callback can reach freed memory. libuv's close callback drops both.
/// - **Closed exactly once.** ``close()`` and ``closeReset()`` do nothing after the first call, from
///   whichever path it came (user close, abort, peer close, loop close).
/// - **Freed in the close callback**, after the owner's ``UVHandleOwner/handleDidClose(_:)``.
///
/// Every open handle is a ``LoopResource``: closing the loop closes it through this same path, so its
/// memory is freed and its owner told, whatever the owner did or forgot.
///
/// Callbacks reach the owner through `handle.data` → this object → ``owner``
/// (``owner(of:as:)``, two loads and no reference counting in optimized builds).
/// Loop-confined: created, used and closed on the loop thread (the owners check it).
final class UVHandle: LoopResource {
    enum State { case open, closing, closed }

    /// The `uv_*_t` memory (sized by `uv_handle_size`); valid until the close callback.
    let pointer: UnsafeMutableRawPointer
    let loop: EventLoop
    /// Where the handle is, for its owner's libuv calls and errors.
    private(set) var state: State = .open
    /// Where callbacks go; set once by ``attach(_:)``, dropped in the close callback.
    private(set) var owner: (any UVHandleOwner)?

    /// The handle as libuv's base type.
    @inline(__always)
    var handle: UnsafeMutablePointer<uv_handle_t> { pointer.assumingMemoryBound(to: uv_handle_t.self) }

    /// Whether the handle is open: neither closing nor closed. Every libuv call on it must check this.
    @inline(__always)
    var isOpen: Bool { state == .open }

    /// Allocates a handle of `type` and initialises it with `initialize` (which calls `uv_*_init`,
    /// `uv_spawn`...). Must run on `loop`'s thread.
    /// - Parameters:
    ///   - operation, target: what a failure is reported as (`IOError(operation, target, status)`).
    ///   - initializedOnFailure: the init function leaves the handle on the loop even when it fails
    ///     (`uv_spawn`): then a failure closes it (memory freed in the close callback) before throwing.
    /// - Throws: ``IOError`` with libuv's status when `initialize` fails (`EMFILE`, `EINVAL`...).
    init(
        _ operation: @autoclosure () -> String, _ target: @autoclosure () -> String,
        type: uv_handle_type, loop: EventLoop, initializedOnFailure: Bool = false,
        _ initialize: (UnsafeMutableRawPointer) -> Int32
    ) throws(IOError) {
        let pointer = UnsafeMutableRawPointer.allocate(byteCount: uv_handle_size(type), alignment: 16)
        self.pointer = pointer
        self.loop = loop
        let status = initialize(pointer)
        if status < 0 && !initializedOnFailure {
            // The abort path: libuv does not know this handle; it must never see uv_close.
            pointer.deallocate()
            state = .closed
            throw IOError(operation(), target(), status: status)
        }
        handle.pointee.data = Unmanaged.passRetained(self).toOpaque()
        loop.register(self)
        if status < 0 {
            close()
            throw IOError(operation(), target(), status: status)
        }
    }

    /// Connects the handle to the object its callbacks serve; kept alive until the close callback.
    func attach(_ owner: some UVHandleOwner) {
        precondition(self.owner == nil && state == .open, "a handle has exactly one owner")
        self.owner = owner
    }

    /// The owner of the handle whose `data` is `raw`'s, for libuv callbacks: `Owner` must be the type
    /// attached (checked in debug builds).
    @inline(__always)
    static func owner<Owner: AnyObject, Raw>(of raw: UnsafeMutablePointer<Raw>?, as _: Owner.Type) -> Owner {
        let data = UnsafeMutableRawPointer(raw.unsafelyUnwrapped).assumingMemoryBound(to: uv_handle_t.self).pointee.data
        let handle = Unmanaged<UVHandle>.fromOpaque(data.unsafelyUnwrapped).takeUnretainedValue()
        return unsafeDowncast(handle.owner.unsafelyUnwrapped, to: Owner.self)
    }

    /// Closes the handle (`uv_close`), once: later calls, from any path, do nothing.
    func close() {
        guard state == .open else { return }
        state = .closing
        loop.unregister(self)
        uv_close(handle, UVHandle.closeCallback)
    }

    /// Closes a TCP handle with a reset (`uv_tcp_close_reset`: the peer gets `ECONNRESET`), once; a
    /// plain close when a reset is not possible (a shutdown is in flight).
    func closeReset() {
        guard state == .open else { return }
        state = .closing
        loop.unregister(self)
        if handle.pointee.type != UV_TCP
            || uv_tcp_close_reset(pointer.assumingMemoryBound(to: uv_tcp_t.self), UVHandle.closeCallback) < 0 {
            uv_close(handle, UVHandle.closeCallback)
        }
    }

    func closeForLoopShutdown() { close() }

    /// libuv's close callback of every handle: tells the owner, breaks the owner <-> handle cycle,
    /// releases the retain taken at init and frees the memory.
    private static let closeCallback: uv_close_cb = { raw in
        let handle = Unmanaged<UVHandle>.fromOpaque(raw.unsafelyUnwrapped.pointee.data.unsafelyUnwrapped).takeRetainedValue()
        handle.state = .closed
        let owner = handle.owner
        handle.owner = nil
        owner?.handleDidClose(handle)
        handle.pointer.deallocate()
    }
}
