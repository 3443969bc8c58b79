import CLibUV

/// The ``ConnectionTimeouts`` of one transport: one loop timer, re-armed lazily.
///
/// Reads, writes and a reader starting to wait only store the loop's time (``activity()``,
/// ``writesQueued()``, ``writeProgressed()``): no timer is created, moved or cancelled on the data path.
/// The timer is always armed at or before the earliest moment a timeout could expire — every deadline
/// is a stored time plus a timeout, stored times only grow, and a time stored later is at least the
/// moment the timer was armed. When it fires it re-checks: a timeout that expired ends the connection;
/// otherwise it re-arms for the earliest moment computed from the times stored since. A connection
/// busy with traffic thus costs one timer event per period of its shortest timeout.
///
/// Loop-confined (owned by its transport, used on the loop thread only).
final class ConnectionWatchdog {
    let timeouts: ConnectionTimeouts
    private let loop: EventLoop
    private weak var transport: StreamTransport?
    private let idle: Int64?, read: Int64?, write: Int64?
    /// The last byte received, the last write, or a reader starting to wait (loop clock, signed ns).
    private var lastActivity: Int64
    /// When buffered writes last made progress: the buffer filling from empty, a write completing, or
    /// libuv's queue found shorter when the timer fired.
    private var lastWriteProgress: Int64
    /// libuv's write queue size (bytes not yet written) at ``lastWriteProgress``.
    private var queuedAtLastProgress = 0
    private var timer: TimerHandle?
    /// The timer's callback, made once (re-arming allocates only the timer).
    private lazy var fire: () throws -> Void = { [weak self] in self?.timerFired() }

    init(_ timeouts: ConnectionTimeouts, transport: StreamTransport) {
        self.timeouts = timeouts
        self.loop = transport.loop
        self.transport = transport
        idle = timeouts.idle?.signedNanoseconds
        read = timeouts.read?.signedNanoseconds
        write = timeouts.write?.signedNanoseconds
        let now = loop.nowDeadline
        lastActivity = now
        lastWriteProgress = now
        queuedAtLastProgress = transport.queuedWriteBytes
        arm(now: now)
    }

    /// Bytes moved, or the reader began to wait for more.
    @inline(__always)
    func activity() { lastActivity = loop.nowDeadline }

    /// The write buffer went from empty to not empty.
    func writesQueued() {
        lastWriteProgress = loop.nowDeadline
        queuedAtLastProgress = transport?.queuedWriteBytes ?? 0
    }

    /// A write request completed.
    func writeProgressed() {
        lastWriteProgress = loop.nowDeadline
        queuedAtLastProgress = transport?.queuedWriteBytes ?? 0
    }

    /// Stops the timer for good (the transport closed, or its timeouts were replaced).
    func stop() {
        timer?.cancel()
        timer = nil
    }

    private func arm(now: Int64) {
        var next = Int64.max
        // A deadline already past (its timeout did not apply, e.g. the idle one while a request is
        // being worked on) can only apply after an activity stored from now on: `now + timeout` at the
        // earliest.
        func consider(_ since: Int64, _ timeout: Int64?) {
            guard let timeout else { return }
            let deadline = since &+ timeout
            next = min(next, deadline > now ? deadline : now &+ timeout)
        }
        consider(lastActivity, idle)
        consider(lastActivity, read)
        consider(lastWriteProgress, write)
        guard next != .max else { return }
        timer = loop.scheduleTimer(at: next, fire)
    }

    private func timerFired() {
        timer = nil
        guard let transport, transport.handle.isOpen else { return }
        let now = loop.nowDeadline
        if let write, transport.bufferedBytes > 0, lastWriteProgress &+ write <= now {
            let queued = transport.queuedWriteBytes
            guard queued < queuedAtLastProgress else { return transport.timedOut(.write) }
            lastWriteProgress = now  // part of a large write went out since the last look
            queuedAtLastProgress = queued
        }
        if !transport.closing {
            let isIdle = transport.isIdleForServer
            if isIdle, let idle, lastActivity &+ idle <= now { return transport.closeAfterFlush() }
            if !isIdle, let read, transport.waitsForBytes, lastActivity &+ read <= now { return transport.timedOut(.read) }
        }
        arm(now: now)
    }
}

extension StreamTransport {
    /// The limits on how long this connection may wait (see ``ConnectionTimeouts``): idle between
    /// messages, for the next byte of a message, for written bytes to go out. A server gives each
    /// accepted connection its `timeouts:`; set this to change them for one connection (a protocol in
    /// ``StreamProtocol/connectionMade(_:)``), or on a client connection. Setting it starts the new
    /// limits from now. On a closed transport it has no effect.
    public var timeouts: ConnectionTimeouts {
        get {
            loop.preconditionOnLoopThread("StreamTransport.timeouts")
            return watchdog?.timeouts ?? .none
        }
        set {
            loop.preconditionOnLoopThread("StreamTransport.timeouts")
            setTimeouts(newValue)
        }
    }

    func setTimeouts(_ timeouts: ConnectionTimeouts) {
        watchdog?.stop()
        watchdog = nil
        guard !timeouts.isNone, handle.isOpen else { return }
        watchdog = ConnectionWatchdog(timeouts, transport: self)
    }

    /// Whether the connection is between messages, by the transport's own account: nothing received
    /// since the last write, nothing left to write, not closing — and, when a ``StreamReader`` reads it,
    /// a read is waiting with nothing buffered (the handler finished a message and waits for the next).
    /// A server's graceful shutdown closes idle connections at once, and the idle timeout applies to
    /// them (``ConnectionTimeouts/idle``). In the protocol API the protocol may decide instead
    /// (``StreamProtocol/isIdle(_:)``, whose default is this).
    ///
    /// "Nothing received since the last write" keeps a message that arrives in pieces from counting as
    /// idle between two pieces (a request whose headers end exactly where a packet ends).
    public var isIdle: Bool {
        loop.preconditionOnLoopThread("StreamTransport.isIdle")
        return idleByOwnAccount
    }

    var idleByOwnAccount: Bool {
        guard !closing, !receivedSinceWrite, bufferedBytes == 0 else { return false }
        if let reader { return reader.isWaitingForData && reader.isBufferEmpty }
        return true
    }

    /// Idle as the server sees it: the protocol's say, or the transport's own account.
    var isIdleForServer: Bool {
        if let userProtocol { return userProtocol.isIdle(self) }
        return idleByOwnAccount
    }

    /// Whether more bytes are awaited: a reader waits, or (protocol API) the transport reads.
    var waitsForBytes: Bool {
        if let reader { return reader.isWaitingForData }
        return reading
    }

    /// Bytes libuv has queued and not yet written (it counts partial writes, unlike ``bufferedBytes``).
    var queuedWriteBytes: Int {
        handle.isOpen ? Int(uv_stream_get_write_queue_size(stream)) : 0
    }

    /// A read or write timeout expired: ends the connection with ``ConnectionTimeoutError``.
    func timedOut(_ kind: ConnectionTimeoutError.Kind) {
        let error = ConnectionTimeoutError(kind)
        reader?.failed(error)
        switch kind {
        case .read:
            closeReason = error
            closeAfterFlush()
        case .write:
            if connectionError == nil { connectionError = error }
            abortNow()
        }
    }

    // MARK: graceful shutdown

    /// From now on the transport closes as soon as it is idle (a server's graceful shutdown): at once if
    /// it is idle now, else at the first moment it becomes so.
    func closeWhenIdle() {
        guard !closing else { return }
        closesWhenIdle = true
        if isIdleForServer { closeAfterFlush() }
    }

    /// Something happened that may have made the transport idle (data received, a write, the write
    /// buffer emptying, a reader starting to wait): checks it in a callback of its own, after the code
    /// running now — a protocol writing a response in two calls is not closed between them.
    func noteMaybeIdle() {
        guard closesWhenIdle, !idleCheckPending, !closing else { return }
        idleCheckPending = true
        loop.enqueueCallback { [self] in
            idleCheckPending = false
            if !closing && isIdleForServer { closeAfterFlush() }
        }
    }

    /// A ``StreamReader`` is about to wait for data.
    @inline(__always)
    func readerWillWait() {
        if let watchdog { watchdog.activity() }
        if closesWhenIdle { noteMaybeIdle() }
    }
}
