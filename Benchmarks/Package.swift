// swift-tools-version: 6.1
import PackageDescription

// The benchmarks live in their own package so that the main build stays light.
// - `asyncio-bench`: the shared workloads of ../shared/benchmarks/WORKLOADS.md, one JSON line each.
// - `LoopBenchmarks`: package-benchmark suites (time, instructions, allocations) for regressions.
let package = Package(
    name: "swift-asyncio-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "swift-asyncio", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
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
