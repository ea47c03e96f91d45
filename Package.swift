// swift-tools-version:6.0
// Delve for Swift: layer saturation and spectral statistics of neural network representations.
import PackageDescription

let package = Package(
    name: "delve-swift",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "Delve", targets: ["Delve"]),
        .library(name: "DelveNN", targets: ["DelveNN"]),
        .library(name: "LinearAlgebra", targets: ["LinearAlgebra"]),
        .library(name: "DelveData", targets: ["DelveData"]),
        .library(name: "DelveNNTracking", targets: ["DelveNNTracking"]),
        .executable(name: "delve", targets: ["DelveCLI"]),
        .executable(name: "delve-bench", targets: ["DelveBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // C: BLAS (OpenBLAS) and LAPACKE on Linux; Accelerate is used instead on Apple platforms.
        .systemLibrary(
            name: "CLinearAlgebra",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]
        ),
        // C: zlib, for PNG compression only.
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // The only Swift code that calls BLAS/LAPACK.
        .target(
            name: "LinearAlgebra",
            dependencies: [.target(name: "CLinearAlgebra", condition: .when(platforms: [.linux]))]
        ),
        // The statistics engine: covariance, spectra, statistics, layouts, I/O, tracker, writers, plots.
        // It does not know about the neural network framework.
        .target(
            name: "Delve",
            dependencies: ["LinearAlgebra", "CZlib"]
        ),
        // The neural network framework: tensors, autograd, layers, optimizers, data.
        .target(
            name: "DelveNN",
            dependencies: ["LinearAlgebra"]
        ),
        // Datasets: the embedded UCI digits set, MNIST/CIFAR/CSV readers, data loading.
        .target(
            name: "DelveData",
            dependencies: ["DelveNN", "CZlib"],
            resources: [.copy("Resources")]
        ),
        // The thin adapter that attaches the statistics engine's tracker to DelveNN's forward hooks.
        .target(
            name: "DelveNNTracking",
            dependencies: ["Delve", "DelveNN"]
        ),
        .executableTarget(
            name: "DelveCLI",
            dependencies: [
                "Delve",
                "DelveNN",
                "DelveData",
                "DelveNNTracking",
                "LinearAlgebra",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "DelveBench",
            dependencies: [
                "Delve",
                "DelveNN",
                "DelveNNTracking",
                "LinearAlgebra",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "LinearAlgebraTests", dependencies: ["LinearAlgebra"]),
        .testTarget(name: "DelveTests", dependencies: ["Delve", "LinearAlgebra"]),
        .testTarget(name: "DelveNNTests", dependencies: ["DelveNN"]),
        .testTarget(name: "DelveDataTests", dependencies: ["DelveData", "DelveNN"]),
        .testTarget(name: "DelveNNTrackingTests", dependencies: ["DelveNNTracking", "Delve", "DelveNN"]),
    ],
    swiftLanguageModes: [.v6]
)
