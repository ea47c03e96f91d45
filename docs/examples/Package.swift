// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "MyTrainer",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(url: "https://github.com/your-org/delve-swift", from: "0.1.0"),
    ],
    targets: [
        .executableTarget(name: "MyTrainer", dependencies: [
            .product(name: "Delve", package: "delve-swift"),
            .product(name: "DelveOutputs", package: "delve-swift"),
            .product(name: "DelveNN", package: "delve-swift"),
            .product(name: "DelveData", package: "delve-swift"),
            .product(name: "DelveNNTracking", package: "delve-swift"),
        ]),
    ]
)
