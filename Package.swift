// swift-tools-version:6.0
// Delve for Swift: layer saturation and spectral statistics of neural network representations.
//
// Target graph (docs/ARCHITECTURE.md lists every target's dependencies; `make test` checks that list):
//   CDelveLinearAlgebra + CDelveKernels ← DelveLinearAlgebra ← Delve ← DelveOutputs
//                                   ↖ DelveNN ← DelveData
//   Delve + DelveNN ← DelveNNTracking
//   DelveOutputs + DelveNNTracking + DelveData ← DelveTraining ← delve (DelveCLI)
//   Delve + DelveOutputs ← DelveC (libDelveC, the C interface of include/delve.h)
// Snippets/ holds the Swift examples of the README and the DocC articles: SwiftPM builds them with the
// package as executables that are not products.
import PackageDescription

let package = Package(
    name: "delve-swift",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "Delve", targets: ["Delve"]),
        .library(name: "DelveOutputs", targets: ["DelveOutputs"]),
        .library(name: "DelveLinearAlgebra", targets: ["DelveLinearAlgebra"]),
        .library(name: "DelveNN", targets: ["DelveNN"]),
        .library(name: "DelveData", targets: ["DelveData"]),
        .library(name: "DelveNNTracking", targets: ["DelveNNTracking"]),
        .library(name: "DelveTraining", targets: ["DelveTraining"]),
        // The C interface (include/delve.h), loaded by the Python package `delve_swift`.
        .library(name: "DelveC", type: .dynamic, targets: ["DelveC"]),
        .executable(name: "delve", targets: ["DelveCLI"]),
        .executable(name: "delve-bench", targets: ["DelveBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // `make docs` only (`swift package generate-documentation`); adds nothing to the libraries.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // C: BLAS (OpenBLAS) and LAPACKE on Linux; Accelerate is used instead on Apple platforms.
        .systemLibrary(
            name: "CDelveLinearAlgebra",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]
        ),
        // C: zlib, for PNG compression, CRC-32 and gzip dataset files.
        .systemLibrary(
            name: "CDelveZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // C: hand-written kernels (AVX-512 / AVX2 / portable, chosen at run time) where they beat the BLAS.
        .target(name: "CDelveKernels"),
        // The only Swift code that calls BLAS/LAPACK and the C kernels.
        .target(
            name: "DelveLinearAlgebra",
            dependencies: [
                .target(name: "CDelveLinearAlgebra", condition: .when(platforms: [.linux])),
                "CDelveKernels",
            ]
        ),
        // The statistics engine: covariance, spectrum and statistics, layouts, tracker, epoch records and
        // the writer protocol, .npy and state I/O. It knows nothing of the neural network framework or of
        // the output files.
        .target(
            name: "Delve",
            dependencies: ["DelveLinearAlgebra", "CDelveZlib"]
        ),
        // The outputs: CSV, JSONL, NPY epochs, TensorBoard, console, plots, HTML report, run directory, advice.
        .target(
            name: "DelveOutputs",
            dependencies: ["Delve", "CDelveZlib"]
        ),
        // The neural network framework: tensors, autograd, layers, optimizers.
        .target(
            name: "DelveNN",
            dependencies: ["DelveLinearAlgebra"]
        ),
        // Datasets: the embedded UCI digits set, MNIST/CIFAR/CSV readers, data loading.
        .target(
            name: "DelveData",
            dependencies: ["DelveNN", "CDelveZlib"],
            resources: [.copy("Resources")]
        ),
        // The thin adapter that attaches the statistics engine's tracker to DelveNN's forward hooks.
        .target(
            name: "DelveNNTracking",
            dependencies: ["Delve", "DelveNN"]
        ),
        // Training as a library: the model zoo, training runs, configuration, checkpoints, the run lock.
        .target(
            name: "DelveTraining",
            dependencies: ["Delve", "DelveOutputs", "DelveNN", "DelveData", "DelveNNTracking"]
        ),
        // The C interface of the engine and the outputs (include/delve.h): @_cdecl functions over opaque handles.
        .target(
            name: "DelveC",
            dependencies: ["Delve", "DelveOutputs", "DelveLinearAlgebra"]
        ),
        .executableTarget(
            name: "DelveCLI",
            dependencies: [
                "Delve",
                "DelveOutputs",
                "DelveNN",
                "DelveData",
                "DelveNNTracking",
                "DelveTraining",
                "DelveLinearAlgebra",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "DelveBench",
            dependencies: [
                "Delve",
                "DelveNN",
                "DelveNNTracking",
                "DelveLinearAlgebra",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "DelveLinearAlgebraTests", dependencies: ["DelveLinearAlgebra"]),
        .testTarget(name: "DelveTests", dependencies: ["Delve", "DelveOutputs", "DelveLinearAlgebra"]),
        .testTarget(name: "DelveOutputsTests", dependencies: ["DelveOutputs", "Delve", "CDelveZlib"],
                    exclude: ["Golden"]),   // the verdict section's golden pages, read by path
        .testTarget(name: "DelveNNTests", dependencies: ["DelveNN", "DelveLinearAlgebra"]),
        .testTarget(name: "DelveDataTests", dependencies: ["DelveData", "DelveNN"]),
        .testTarget(name: "DelveNNTrackingTests", dependencies: ["DelveNNTracking", "Delve", "DelveNN", "DelveData", "DelveTraining"]),
        .testTarget(name: "DelveTrainingTests", dependencies: ["DelveTraining", "DelveData", "DelveNN", "Delve", "DelveOutputs"]),
    ],
    swiftLanguageModes: [.v6]
)
