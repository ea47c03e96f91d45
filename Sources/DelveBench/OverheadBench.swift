import ArgumentParser
import Delve
import DelveNN
import DelveNNTracking
import Foundation
import DelveLinearAlgebra

/// `delve-bench overhead`: what saturation tracking costs a training epoch.
///
/// Trains the MLP and the CNN of the training benchmark (2560 random samples, batch 128, SGD with
/// momentum) for one epoch without tracking, with tracking (`lsat`, `idim` on every Linear/Conv2d
/// layer, channelwise convolutions, float64 co-moments) and with tracking in the float32 mode; the
/// three runs are interleaved on the same model and data, each repeated, and the best epoch of each
/// kind is compared. A tracked epoch includes `endEpoch()` (the eigendecompositions). The ratios
/// are tracked / untracked epoch time (goals: MLP ≤ 1.30, CNN ≤ 1.15; float32 MLP ≤ 1.20, CNN ≤ 1.08).
/// Next to them: the share of the tracked epoch spent in `endEpoch()`, and the floor ratios of
/// ``OverheadFloor`` (untracked epoch + raw `syrk`s + eigenvalue solves of the same layers) / untracked.
/// A fourth kind of epoch, interleaved with the others, tracks in float64 with linear CKA between all
/// tracked layers on (``TrackerOptions/cka``, train phase): `overhead_<model>_cka_ratio`.
enum OverheadBench: Bench {
    static let name = "overhead"
    nonisolated(unsafe) static var repeats = 3
    nonisolated(unsafe) static var models = ["mlp", "cnn"]

    static func run() throws -> BenchReport {
        var report = BenchReport(
            title: "tracking overhead (epoch time with tracking / without; OpenBLAS \(BLASKernels.coreName) kernels; best of \(repeats) interleaved epochs)",
            columns: ["model", "plain s", "float64 s", "ratio", "median", "floor", "end ms", "float32 s", "ratio f32",
                      "median f32", "floor f32", "cka s", "ratio cka"])
        for kind in models {
            let m = try measure(kind)
            let f64Floor = (m.plain + m.coMomentFloor + m.eigenFloor) / m.plain
            let f32Floor = (m.plain + m.coMomentFloor32 + m.eigenFloor) / m.plain
            report.rows.append([kind, String(format: "%.3f", m.plain), String(format: "%.3f", m.tracked),
                                String(format: "%.3f", m.tracked / m.plain), String(format: "%.3f", m.medianRatio),
                                String(format: "%.3f", f64Floor), String(format: "%.1f", m.epochEnd * 1e3),
                                String(format: "%.3f", m.fast), String(format: "%.3f", m.fast / m.plain),
                                String(format: "%.3f", m.medianRatio32), String(format: "%.3f", f32Floor),
                                String(format: "%.3f", m.cka), String(format: "%.3f", m.cka / m.plain)])
            report.metrics += [
                ("overhead_\(kind)_ratio", m.tracked / m.plain), ("overhead_\(kind)_f32_ratio", m.fast / m.plain),
                ("overhead_\(kind)_plain_epoch_s", m.plain), ("overhead_\(kind)_tracked_epoch_s", m.tracked),
                ("overhead_\(kind)_f32_epoch_s", m.fast),
                ("overhead_\(kind)_median_ratio", m.medianRatio), ("overhead_\(kind)_f32_median_ratio", m.medianRatio32),
                ("overhead_\(kind)_floor_ratio", f64Floor), ("overhead_\(kind)_f32_floor_ratio", f32Floor),
                ("overhead_\(kind)_epoch_end_s", m.epochEnd), ("overhead_\(kind)_syrk_floor_s", m.coMomentFloor),
                ("overhead_\(kind)_f32_syrk_floor_s", m.coMomentFloor32), ("overhead_\(kind)_eigen_floor_s", m.eigenFloor),
                ("overhead_\(kind)_cka_ratio", m.cka / m.plain), ("overhead_\(kind)_cka_median_ratio", m.medianRatioCKA),
                ("overhead_\(kind)_cka_epoch_s", m.cka),
            ]
        }
        report.footnotes = [
            "median: the median over the repetitions of tracked / untracked epoch within one repetition (the three kinds run back to back).",
            "end ms: best time of endEpoch() (eigenvalues, statistics) within the float64 tracked epoch.",
            "floor: (plain + raw syrk of every tracked layer's rows + its eigenvalue solves) / plain, timed in this run: no BLAS-based tracker can do better here.",
            "cka: float64 tracking plus linear CKA between every pair of tracked layers (train phase; conv by spatial mean), same epochs interleaved.",
            "Goals: float64 MLP ≤ 1.30, CNN ≤ 1.15; float32 MLP ≤ 1.20, CNN ≤ 1.08. Delve on PyTorch costs about 2.95× (MLP) and 1.65× (CNN) while covering only the last batch.",
        ]
        return report
    }

    /// What `measure` found for one model (seconds).
    struct Measurement {
        /// Best epochs: untracked, tracked in float64, tracked in float32 mode.
        var plain, tracked, fast: Double
        /// Best epoch tracked in float64 with linear CKA on, and its median ratio.
        var cka = Double.infinity, medianRatioCKA = Double.nan
        /// Medians over the repetitions of tracked / untracked epoch of the same repetition (float64, float32).
        var medianRatio, medianRatio32: Double
        /// Best `endEpoch()` of the float64 tracked epochs.
        var epochEnd: Double
        /// ``OverheadFloor`` parts for the tracked layers: dsyrk, ssyrk, eigenvalue solves.
        var coMomentFloor, coMomentFloor32, eigenFloor: Double
    }

    /// Best epoch seconds of each kind, and the floor of the tracked layers.
    static func measure(_ kind: String) throws -> Measurement {
        let (model, batches, optimizer) = try TrainBench.makeWorkload(
            kind, samples: BenchSettings.quick ? 256 : TrainBench.samples)
        var epochEnd = Double.infinity
        var layers: [OverheadFloor.Layer] = []
        func epoch(_ tracker: SaturationTracker?) throws -> Double {
            let handle = tracker.map { $0.watch(model) }
            defer { handle?.remove() }
            let start = DispatchTime.now().uptimeNanoseconds
            for (input, target) in batches {
                optimizer.zeroGrad()
                crossEntropy(logits: model(input), labels: target).backward()
                optimizer.step()
            }
            if let tracker {
                let endStart = DispatchTime.now().uptimeNanoseconds
                let record = try tracker.endEpoch()
                if tracker.options.precision == .float64 && tracker.options.cka == nil {
                    epochEnd = min(epochEnd, Double(DispatchTime.now().uptimeNanoseconds - endStart) / 1e9)
                    layers = record.layers.map { OverheadFloor.Layer(features: $0.features, rows: $0.samples) }
                }
            }
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        var options = TrackerOptions(statistics: [.lsat, .idim])
        options.keepSpectra = false
        let tracked = try SaturationTracker(options: options)
        options.precision = .float32
        let fast = try SaturationTracker(options: options)
        options.precision = .float64
        options.cka = CKAOptions(phase: .train)
        let withCKA = try SaturationTracker(options: options)
        // Warm-up: one epoch of each kind (allocates the accumulators' state and scratch).
        _ = try epoch(nil); _ = try epoch(tracked); _ = try epoch(fast); _ = try epoch(withCKA)
        var best = (Double.infinity, Double.infinity, Double.infinity)
        var bestCKA = Double.infinity
        var ratios: [Double] = [], ratios32: [Double] = [], ratiosCKA: [Double] = []
        for _ in 0..<(BenchSettings.quick ? 1 : repeats) {
            let plain = try epoch(nil), withTracking = try epoch(tracked), withFast = try epoch(fast)
            let ckaEpoch = try epoch(withCKA)
            best = (min(best.0, plain), min(best.1, withTracking), min(best.2, withFast))
            bestCKA = min(bestCKA, ckaEpoch)
            ratios.append(withTracking / plain)
            ratios32.append(withFast / plain)
            ratiosCKA.append(ckaEpoch / plain)
        }
        let threads = BLAS.threadCount
        return Measurement(
            plain: best.0, tracked: best.1, fast: best.2, cka: bestCKA, medianRatioCKA: median(ratiosCKA),
            medianRatio: median(ratios), medianRatio32: median(ratios32),
            epochEnd: epochEnd,
            coMomentFloor: OverheadFloor.coMomentSeconds(layers, threads: threads, float32: false),
            coMomentFloor32: OverheadFloor.coMomentSeconds(layers, threads: threads, float32: true),
            eigenFloor: try OverheadFloor.eigenSeconds(layers, threads: threads))
    }
}

/// The median of a non-empty list (the mean of the middle two for an even count).
private func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/// `delve-bench overhead [--models mlp,cnn] [--repeats 3] [--threads 2] [--quick] [--json]`.
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
    @Flag(help: "Smoke test: two batches per epoch, one repetition (numbers are rough, the keys are real).")
    var quick = false

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
        BenchSettings.quick = quick
        printReports([try OverheadBench.run()], json: json)
    }
}
