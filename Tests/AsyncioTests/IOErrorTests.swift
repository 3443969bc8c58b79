@testable import Asyncio
import CLibUV
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Issue 17: one system-error type, `IOError`, with a typed code (was: `code: String` compared as
/// `error.code == "EPIPE"`, and a second representation, `EventLoopError.uv`).
@Suite("IOError's typed code")
struct IOErrorTests {
    @Test func codesAreTypedAndCompareWithTheirPOSIXNames() {
        let error = IOError(operation: "write", target: "127.0.0.1:80", code: .EPIPE)
        #expect(error.code == .EPIPE)
        #expect(error.code != .ECONNRESET)
        #expect(error.code == IOError.Code(errno: EPIPE))     // -errno, as libuv reports it
        #expect(IOError.Code.EPIPE.rawValue == -EPIPE)
        #expect(IOError.Code.ENOENT.rawValue == UV_ENOENT.rawValue)
        #expect(IOError.Code.EPIPE.name == "EPIPE")
        #expect(IOError.Code.EOF.name == "EOF")
        #expect(IOError.Code.EAI_NONAME.name == "EAI_NONAME")
        #expect("\(IOError.Code.ECONNREFUSED)" == "ECONNREFUSED")  // interpolation prints the name
        #expect(error.message == IOError.Code.EPIPE.message)
        #expect(error.description == "write 127.0.0.1:80: EPIPE (\(error.message))")
        #expect(Set([IOError.Code.EMFILE, .EMFILE, .ENFILE]).count == 2)
    }

    @Test func aCodeWithoutAStaticMemberIsStillACode() {
        let code = IOError.Code(errno: EILSEQ)
        #expect(code.name == "EILSEQ")
        #expect(IOError.Code(rawValue: -99_999).name.contains("99999"))  // unknown to libuv: named by number
    }

    @Test func aFailedLibuvCallIsAnIOErrorNamingTheOperation() {
        #expect {
            try uvCheck(UV_EINVAL.rawValue, "uv_something")
        } throws: { error in
            guard let error = error as? IOError else { return false }
            return error.code == .EINVAL && error.operation == "uv_something" && error.target.isEmpty
                && error.description.hasPrefix("uv_something: EINVAL (")
        }
    }
}
