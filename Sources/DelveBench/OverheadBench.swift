import ArgumentParser
import Delve
import DelveNN
import DelveNNTracking
import Foundation
import LinearAlgebra

/// `delve-bench overhead`: what saturation tracking costs a training epoch.
///
/// Trains the MLP and the CNN of the training benchmark (2560 random samples, batch 128, SGD with
/// momentum) for one epoch without tracking, with tracking (`lsat`, `idim` on every Linear/Conv2d
/// layer, channelwise convolutions, float64 co-moments) and with tracking in the float32 mode; the
/// three runs are interleaved on the same model and data, each repeated, and the best epoch of each
/// kind is compared. A tracked epoch includes `endEpoch()` (the eigendecompositions). The ratios
/// are tracked / untracked epoch time (goals: MLP ≤ 1.30, CNN ≤ 1.15; float32 MLP ≤ 1.20, CNN ≤ 1.08).
enum OverheadBench: Bench {
    static let name = "overhead"
    nonisolated(unsafe) static var repeats = 3
    nonisolated(unsafe) static var models = ["mlp", "cnn"]

    static func run() throws -> BenchReport {
        var report = BenchReport(
            title: "tracking overhead (epoch time with tracking / without; OpenBLAS \(BLASKernels.coreName) kernels; best of \(repeats) interleaved epochs)",
            columns: ["model", "plain s", "float64 s", "ratio", "float32 s", "ratio f32"])
        for kind in models {
            let (plain, tracked, fast) = try measure(kind)
            report.rows.append([kind, String(format: "%.3f", plain), String(format: "%.3f", tracked),
                                String(format: "%.3f", tracked / plain), String(format: "%.3f", fast),
                                String(format: "%.3f", fast / plain)])
            report.metrics += [
                ("overhead_\(kind)_ratio", tracked / plain), ("overhead_\(kind)_f32_ratio", fast / plain),
                ("overhead_\(kind)_plain_epoch_s", plain), ("overhead_\(kind)_tracked_epoch_s", tracked),
                ("overhead_\(kind)_f32_epoch_s", fast),
            ]
        }
        report.footnotes = ["Goals: float64 MLP ≤ 1.30, CNN ≤ 1.15; float32 MLP ≤ 1.20, CNN ≤ 1.08. Delve on PyTorch costs about 2.95× (MLP) and 1.65× (CNN) while covering only the last batch."]
        return report
    }

    /// Best epoch seconds: untracked, tracked in float64, tracked in float32.
    static func measure(_ kind: String) throws -> (Double, Double, Double) {
        let (model, batches, optimizer) = try TrainBench.makeWorkload(
            kind, samples: BenchSettings.quick ? 256 : TrainBench.samples)
        func epoch(_ tracker: SaturationTracker?) throws -> Double {
            let handle = tracker.map { $0.watch(model) }
            defer { handle?.remove() }
            let start = DispatchTime.now().uptimeNanoseconds
            for (input, target) in batches {
                optimizer.zeroGrad()
                crossEntropy(logits: model(input), labels: target).backward()
                optimizer.step()
            }
            if let tracker { try tracker.endEpoch() }
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        var options = TrackerOptions(statistics: [.lsat, .idim])
        options.keepSpectra = false
        let tracked = try SaturationTracker(options: options)
        options.precision = .float32
        let fast = try SaturationTracker(options: options)
        // Warm-up: one epoch of each kind (allocates the accumulators' state and scratch).
        _ = try epoch(nil); _ = try epoch(tracked); _ = try epoch(fast)
        var best = (Double.infinity, Double.infinity, Double.infinity)
        for _ in 0..<(BenchSettings.quick ? 1 : repeats) {
            best.0 = min(best.0, try epoch(nil))
            best.1 = min(best.1, try epoch(tracked))
            best.2 = min(best.2, try epoch(fast))
        }
        return best
    }
}

/// `delve-bench overhead [--models mlp,cnn] [--repeats 3] [--json]`.
struct OverheadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "overhead",
        abstract: "Epoch time with saturation tracking / without, for the MLP and CNN benchmark models."
    )
    @Flag(help: "Print one flat JSON object of metrics instead of the table.")
    var json = false
    @Option(help: "Comma-separated models: mlp, cnn.")
    var models = "mlp,cnn"
    @Option(help: "Interleaved repetitions of each kind of epoch (the best is reported).")
    var repeats = 3
    @Option(help: "Threads for BLAS and for DelveNN's own loops.")
    var threads = 2

    func run() throws {
        let chosen = models.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        for m in chosen where !["mlp", "cnn"].contains(m) {
            throw ValidationError("--models: unknown model '\(m)'; known: mlp, cnn")
        }
        guard repeats > 0 else { throw ValidationError("--repeats must be positive, got \(repeats)") }
        guard threads > 0 else { throw ValidationError("--threads must be positive, got \(threads)") }
        BLAS.setThreadCount(threads)
        ComputeSettings.workerCount = threads
        OverheadBench.models = chosen
        OverheadBench.repeats = repeats
        printReports([try OverheadBench.run()], json: json)
    }
}
