// swift-tools-version: 6.1
import PackageDescription

// The benchmarks live in their own package so that the main build stays light.
// - `asyncio-bench`: the shared workloads of ../shared/benchmarks/WORKLOADS.md, one JSON line each.
// - `LoopBenchmarks`: package-benchmark suites (time, instructions, allocations) for regressions.
// - `hummingbird-bench`, `nio-http-bench`: the HTTP anchors of `http-compare.sh` (Hummingbird 2 and a
//   bare NIOHTTP1 server, each on one event loop thread), serving the same two routes as
//   `asyncio-bench http-server`.
let package = Package(
    name: "swift-asyncio-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "swift-asyncio", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        // Only the HTTP anchor: none of its optional traits (swift-configuration, full Foundation).
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
    ],
    targets: [
        .executableTarget(
            name: "asyncio-bench",
            dependencies: [
                .product(name: "Asyncio", package: "swift-asyncio"),
                .product(name: "AsyncioRedis", package: "swift-asyncio"),
                .product(name: "AsyncioHTTP", package: "swift-asyncio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "hummingbird-bench",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "nio-http-bench",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // What the Swift runtime itself costs per task, yield and callback, with no asyncio semantics.
        .executableTarget(name: "runtime-floor"),
        .executableTarget(
            name: "LoopBenchmarks",
            dependencies: [
                .product(name: "Asyncio", package: "swift-asyncio"),
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Benchmarks/LoopBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
