// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "swift-asyncio",
    products: [
        .library(name: "Asyncio", targets: ["Asyncio"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
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
        .testTarget(name: "AsyncioTests", dependencies: ["Asyncio"]),
    ]
)
