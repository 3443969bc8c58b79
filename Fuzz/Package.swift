// swift-tools-version: 6.0
// The libFuzzer targets (`make fuzz` and `make fuzz-http` in the parent directory; see the README's
// "Fuzzing"). Their own package, so that the main build never links a target without `main`.
// - StreamReaderFuzz compiles the reader's buffer (`ReadBuffer.swift`) and the tests' model
//   (`ReaderModel.swift`) through symbolic links: the very files the reader and the property test use,
//   nothing else, no libuv.
// - HTTPParserFuzz compiles AsyncioHTTP's parser (`HTTPParser.swift`, `HTTPParseError.swift`,
//   `HTTPMessageHead.swift`) through symbolic links, with swift-http-types, its one dependency.
import PackageDescription

let package = Package(
    name: "StreamReaderFuzz",
    dependencies: [
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
    ],
    targets: [
        .executableTarget(name: "StreamReaderFuzz", path: "Sources/StreamReaderFuzz"),
        .executableTarget(
            name: "HTTPParserFuzz",
            dependencies: [.product(name: "HTTPTypes", package: "swift-http-types")],
            path: "Sources/HTTPParserFuzz"
        ),
    ]
)
