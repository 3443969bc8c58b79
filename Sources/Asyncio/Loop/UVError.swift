import CLibUV

extension EventLoopError {
    /// Wraps a negative libuv status code, naming the operation that failed.
    static func uv(_ code: Int32, _ operation: String) -> EventLoopError {
        .uv(code: code, name: String(cString: uv_err_name(code)),
            message: String(cString: uv_strerror(code)), operation: operation)
    }
}

/// Throws ``EventLoopError/uv(code:name:message:operation:)`` when `status` is a libuv error.
@inline(__always)
func uvCheck(_ status: Int32, _ operation: @autoclosure () -> String) throws {
    if status < 0 { throw EventLoopError.uv(status, operation()) }
}

extension EventLoop {
    /// The version of the libuv library the loop runs on (for example "1.44.2").
    public static var libuvVersion: String { String(cString: uv_version_string()) }
}
