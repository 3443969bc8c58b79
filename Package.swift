// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "swift-asyncio",
    products: [
        .library(name: "Asyncio", targets: ["Asyncio"]),
        .library(name: "AsyncioTesting", targets: ["AsyncioTesting"]),
        .executable(name: "asyncio-tour", targets: ["AsyncioTour"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // Tests only: the testing library's Clock interop is checked against AsyncTimerSequence.
        .package(url: "https://github.com/apple/swift-async-algorithms", from: "1.1.4"),
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
        .executableTarget(name: "AsyncioTour", dependencies: ["Asyncio", "AsyncioTesting"]),
        .testTarget(name: "AsyncioTests", dependencies: ["Asyncio", "AsyncioTesting"], exclude: ["py"]),
        .testTarget(name: "AsyncioTourTests", dependencies: ["AsyncioTour"], exclude: ["Expected"]),
        .testTarget(
            name: "AsyncioTestingTests",
            dependencies: [
                "Asyncio", "AsyncioTesting",
                .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
            ]
        ),
    ]
)
