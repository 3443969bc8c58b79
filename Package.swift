// swift-tools-version: 6.2
// 6.2: the sources use `nonisolated(nonsending)` and `Task.immediate`.
import PackageDescription

let package = Package(
    name: "swift-asyncio",
    products: [
        .library(name: "Asyncio", targets: ["Asyncio"]),
        .library(name: "AsyncioTesting", targets: ["AsyncioTesting"]),
        .library(name: "AsyncioServiceLifecycle", targets: ["AsyncioServiceLifecycle"]),
        .library(name: "AsyncioRedis", targets: ["AsyncioRedis"]),
        .library(name: "AsyncioHTTP", targets: ["AsyncioHTTP"]),
        .executable(name: "asyncio-tour", targets: ["AsyncioTour"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // Tests only: the testing library's Clock interop is checked against AsyncTimerSequence.
        .package(url: "https://github.com/apple/swift-async-algorithms", from: "1.1.4"),
        // Only AsyncioServiceLifecycle: loop groups as `Service`s of a `ServiceGroup`.
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // Tests only: the StreamReader's property test (random scripts against a model, with shrinking)
        // instead of a hand-written generator, shrinker and seed replay.
        // Only AsyncioHTTP: HTTPRequest, HTTPResponse and HTTPFields, the server ecosystem's currency types.
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        // Docs only: the `generate-documentation` command plugin behind `make docs` (DocC catalogs in
        // Sources/*/*.docc). A command plugin: it adds no code to any target and nothing at run time.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibUV",
            path: "CLibUV",
            pkgConfig: "libuv",
            providers: [.apt(["libuv1-dev"])]
        ),
        .target(
            name: "Asyncio",
            dependencies: [
                "CLibUV",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(name: "AsyncioTesting", dependencies: ["Asyncio"]),
        .target(
            name: "AsyncioServiceLifecycle",
            dependencies: ["Asyncio", .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")]
        ),
        // A RESP2/RESP3 client on the protocol API; tested against a real redis-server.
        .target(
            name: "AsyncioRedis",
            dependencies: ["Asyncio", .product(name: "DequeModule", package: "swift-collections")]
        ),
        // An HTTP/1.1 parser (pure) and server on the protocol API; tested against curl and raw sockets.
        .target(
            name: "AsyncioHTTP",
            dependencies: [
                "Asyncio", .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "DequeModule", package: "swift-collections"),
            ]
        ),
        .executableTarget(name: "AsyncioTour", dependencies: ["Asyncio", "AsyncioTesting", "AsyncioRedis", "AsyncioHTTP"]),
        .testTarget(
            name: "AsyncioTests",
            dependencies: [
                "Asyncio", "AsyncioTesting",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            exclude: ["py"]  // the CPython programs whose output the StreamReader tests expect
        ),
        .testTarget(
            name: "AsyncioServiceLifecycleTests",
            dependencies: [
                "AsyncioServiceLifecycle", "Asyncio",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "AsyncioRedisTests",
            dependencies: [
                "AsyncioRedis", "Asyncio",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        .testTarget(
            name: "AsyncioHTTPTests",
            dependencies: [
                "AsyncioHTTP", "Asyncio",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        .testTarget(name: "AsyncioTourTests", dependencies: ["AsyncioTour"], exclude: ["Expected"]),
        // Behaviours of CPython's test_asyncio; each trace in traces/ is also checked against CPython
        // by its Python twin in py/ (`make conformance-check`).
        .testTarget(
            name: "ConformanceTests",
            dependencies: ["Asyncio", "AsyncioTesting"],
            exclude: ["py", "traces", "conformance-check.sh"]
        ),
        .testTarget(
            name: "AsyncioTestingTests",
            dependencies: [
                "Asyncio", "AsyncioTesting",
                .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
