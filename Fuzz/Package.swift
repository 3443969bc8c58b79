// swift-tools-version: 6.0
// The libFuzzer target of the StreamReader's parsing (`make fuzz` in the parent directory; see the
// README's "Fuzzing"). Its own package, so that the main build never links a target without `main`.
// It compiles the reader's buffer (`ReadBuffer.swift`) and the tests' model (`ReaderModel.swift`)
// through symbolic links: the very files the reader and the property test use, nothing else, no libuv.
import PackageDescription

let package = Package(
    name: "StreamReaderFuzz",
    targets: [
        .executableTarget(name: "StreamReaderFuzz", path: "Sources/StreamReaderFuzz"),
    ]
)
