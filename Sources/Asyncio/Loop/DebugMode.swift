#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension EventLoop {
    /// Debug mode (asyncio's `loop.set_debug`), on by default when the `ASYNCIO_DEBUG` environment
    /// variable is set to a non-empty value other than `0`.
    public var debug: Bool {
        get { preconditionOnLoopThread("EventLoop.debug"); return debugEnabled }
        set { preconditionOnLoopThread("EventLoop.debug"); debugEnabled = newValue }
    }

    static var debugFromEnvironment: Bool {
        guard let raw = getenv("ASYNCIO_DEBUG") else { return false }
        let value = String(cString: raw)
        return !value.isEmpty && value != "0"
    }
}

/// Nanoseconds the calling thread has spent ready to run but waiting for a CPU (the second field of
/// Linux's `/proc/thread-self/schedstat`), or nil where the kernel does not report it. Debug mode only:
/// it costs an open and a read.
func runQueueWaitNanoseconds() -> UInt64? {
    let fd = open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var buffer = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
    let count = withUnsafeMutableBytes(of: &buffer) { read(fd, $0.baseAddress, $0.count - 1) }
    guard count > 0 else { return nil }
    return withUnsafeBytes(of: &buffer) { raw -> UInt64? in
        // "<on-CPU ns> <run-queue wait ns> <timeslices>\n"
        let fields = raw.prefix(count).split(separator: UInt8(ascii: " "))
        guard fields.count >= 2 else { return nil }
        var value: UInt64 = 0
        for byte in fields[1] {
            guard byte >= 48 && byte <= 57 else { return nil }
            value = value &* 10 &+ UInt64(byte - 48)
        }
        return value
    }
}
