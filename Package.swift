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
        .executableTarget(
            name: "DelveCLI",
            dependencies: [
                "Delve",
                "DelveNN",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "DelveBench",
            dependencies: [
                "Delve",
                "DelveNN",
                "LinearAlgebra",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "LinearAlgebraTests", dependencies: ["LinearAlgebra"]),
        .testTarget(name: "DelveTests", dependencies: ["Delve", "LinearAlgebra"]),
        .testTarget(name: "DelveNNTests", dependencies: ["DelveNN"]),
        .testTarget(name: "DelveCLITests", dependencies: ["DelveCLI"]),
    ],
    swiftLanguageModes: [.v6]
)
