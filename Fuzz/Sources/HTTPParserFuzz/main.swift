// The entry point: libFuzzer's driver, started by hand. SwiftPM links an executable's `main` to this
// file's top-level code, so libFuzzer's own `main` is not used; `LLVMFuzzerRunDriver` (libFuzzer's API
// for programs with their own `main`) takes the command line as libFuzzer's `main` would.
#if canImport(Glibc)
import Glibc
#endif

@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ testOneInput: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(runFuzzerDriver(&argc, &argv, fuzzOne))
