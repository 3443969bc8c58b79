import CLibUV

/// Throws an ``IOError`` (the operation, no target) when `status` is a libuv error.
@inline(__always)
func uvCheck(_ status: Int32, _ operation: @autoclosure () -> String) throws {
    if status < 0 { throw IOError(operation(), "", status: status) }
}

extension EventLoop {
    /// The version of the libuv library the loop runs on (for example "1.44.2").
    public static var libuvVersion: String { String(cString: uv_version_string()) }
}
