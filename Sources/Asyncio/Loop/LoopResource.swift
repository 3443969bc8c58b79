/// Something that owns libuv handles or requests on a loop (a stream, a server, a signal handler, a
/// process...). While registered, ``EventLoop/close()`` calls ``closeForLoopShutdown()`` first, so the
/// owner can `uv_close` its handles with its own close callback (and free their memory there) before
/// the loop closes whatever handles are left.
protocol LoopResource: AnyObject {
    /// Close every libuv handle the resource owns (on the loop thread, loop not running).
    func closeForLoopShutdown()
}

extension EventLoop {
    /// Registers `resource` so that closing the loop closes it.
    func register(_ resource: some LoopResource) {
        resources[ObjectIdentifier(resource)] = resource
    }

    /// Forgets `resource` (call when it has closed its handles itself).
    func unregister(_ resource: some LoopResource) {
        resources[ObjectIdentifier(resource)] = nil
    }
}
