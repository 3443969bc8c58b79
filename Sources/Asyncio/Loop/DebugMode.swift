#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension EventLoop {
    /// Debug mode (asyncio's `loop.set_debug`), on by default when the `ASYNCIO_DEBUG` environment
    /// variable is set to a non-empty value other than `0`.
    public var debug: Bool {
        get { debugEnabled }
        set { debugEnabled = newValue }
    }

    static var debugFromEnvironment: Bool {
        guard let raw = getenv("ASYNCIO_DEBUG") else { return false }
        let value = String(cString: raw)
        return !value.isEmpty && value != "0"
    }
}
