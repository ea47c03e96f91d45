import Delve
import Foundation

/// A synthetic run for demonstrations and output checks (`delve report --sample DIR`, the TensorBoard
/// check script, the README screenshots). It is NOT a measurement: each layer's covariance spectrum is a
/// power law λᵢ = i^(−α) whose exponent grows with depth and with the epoch, which reproduces the
/// qualitative "tail pattern" of the paper (late layers of an over-parameterized network saturate less);
/// idim, lsat, trc, erank, pr and srank are then computed exactly from those spectra.
public enum SampleRun {
    /// The layers: name and feature count, in network order.
    public static let layers: [(name: String, features: Int)] = [
        ("conv1", 32), ("conv2", 64), ("conv3", 64), ("classifier.fc1", 128), ("classifier.fc2", 64), ("classifier.out", 10),
    ]

    /// The record of `epoch` (of `epochs`), with δ = `threshold`.
    public static func record(epoch: Int, epochs: Int, threshold: Double = 0.99) -> EpochRecord {
        var entries: [LayerEpochValues] = []
        let progress = epochs > 1 ? Double(epoch) / Double(epochs - 1) : 1
        for phase in Phase.allCases {
            for (depth, layer) in layers.enumerated() {
                let depthShare = Double(depth) / Double(layers.count - 1)
                var alpha = 0.35 + 2.6 * depthShare * depthShare * (0.35 + 0.65 * progress)
                if phase == .eval { alpha *= 1.08 }
                if layer.name == "classifier.out" { alpha = 0.9 + 0.4 * progress }
                let eigenvalues = (1...layer.features).map { pow(Double($0), -alpha) * 2.5 }
                let idim = Spectrum(eigenvalues: eigenvalues, samples: 1).intrinsicDimensionality(threshold: threshold)
                let total = eigenvalues.reduce(0, +)
                let p = eigenvalues.map { $0 / total }
                let entropy = -p.reduce(0) { $0 + ($1 > 0 ? $1 * log($1) : 0) }
                entries.append(LayerEpochValues(
                    layer: layer.name, phase: phase, features: layer.features, samples: phase == .train ? 50_000 : 10_000,
                    statistics: [
                        .lsat: Double(idim) / Double(layer.features), .idim: Double(idim), .trc: total,
                        .erank: exp(entropy), .pr: total * total / eigenvalues.reduce(0) { $0 + $1 * $1 },
                        .srank: total / eigenvalues[0],
                    ],
                    eigenvalues: eigenvalues))
            }
        }
        let e = Double(epoch + 1)
        return EpochRecord(
            epoch: epoch, layers: entries,
            scalars: [
                ("train-accuracy", 0.97 - 0.6 * exp(-e / 2.2)), ("test-accuracy", 0.93 - 0.55 * exp(-e / 2.5)),
                ("train-loss", 0.08 + 2.1 * exp(-e / 2.0)), ("test-loss", 0.22 + 1.9 * exp(-e / 2.4)),
            ],
            threshold: threshold)
    }

    /// The configuration shown in the sample's report.
    public static let configuration: [RunInfo.Pair] = [
        .init("run", "synthetic sample (power-law spectra, not a measurement)"), .init("model", "6-layer CNN (synthetic)"),
        .init("dataset", "none"), .init("epochs", "10"), .init("batch size", "64"), .init("δ (threshold)", "0.99"),
        .init("statistics", "lsat, idim, trc, erank, pr, srank"),
    ]
}

extension SampleRun {
    /// Writes the synthetic sample run of `epochs` epochs into `run` through the writers `kinds`
    /// (with `run.json` and its configuration), closing them at the end.
    public static func write(to run: RunDirectory, epochs: Int, kinds: [WriterKind]) throws(WriterError) {
        guard epochs > 0 else { throw .invalidArgument("--epochs must be positive, got \(epochs)") }
        var configuration = SampleRun.configuration
        if let i = configuration.firstIndex(where: { $0.name == "epochs" }) { configuration[i].value = String(epochs) }
        let writers = try makeWriters(kinds, run: run, configuration: configuration)
        for epoch in 0..<epochs { try writers.write(record(epoch: epoch, epochs: epochs)) }
        try writers.close()
    }
}
