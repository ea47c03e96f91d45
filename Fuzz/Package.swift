// swift-tools-version:6.0
// libFuzzer targets for Delve's file parsers, one executable per parser. Built only by
// `scripts/fuzz.sh` (`make fuzz`) with `-sanitize=fuzzer,address`; the main
// package's `swift build` and `swift test` never see this package.
import PackageDescription

let parser: [Target.Dependency] = [
    .product(name: "Delve", package: "delve-swift"),
    .product(name: "DelveNN", package: "delve-swift"),
    .product(name: "DelveData", package: "delve-swift"),
    "CFuzzerDriver",
]

let package = Package(
    name: "delve-fuzz",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "delve-swift", path: "..")],
    targets: [
        // The declaration of libFuzzer's LLVMFuzzerRunDriver, which each target's main.swift calls.
        .target(name: "CFuzzerDriver"),
        .executableTarget(name: "FuzzNPY", dependencies: parser),
        .executableTarget(name: "FuzzCovarianceState", dependencies: parser),
        .executableTarget(name: "FuzzSafetensors", dependencies: parser),
        .executableTarget(name: "FuzzIDX", dependencies: parser),
        .executableTarget(name: "FuzzCIFAR10", dependencies: parser),
        .executableTarget(name: "FuzzCSV", dependencies: parser),
        .executableTarget(name: "FuzzEpochRecord", dependencies: parser),
        .executableTarget(name: "FuzzGzipDataset", dependencies: parser),
        .executableTarget(name: "FuzzCheckpoint", dependencies: parser + [
            .product(name: "DelveOutputs", package: "delve-swift"),
            .product(name: "DelveTraining", package: "delve-swift"),
        ]),
    ],
    swiftLanguageModes: [.v6]
)
