import ArgumentParser
import Delve
import DelveNN
import DelveNNTracking
import Foundation
import DelveLinearAlgebra

/// `delve-bench overhead`: what saturation tracking costs a training epoch.
///
/// Trains the MLP and the CNN of the training benchmark (2560 random samples, batch 128, SGD with
/// momentum; long epochs: the MLP on 60 000 samples, the CNN on 10 000) for one epoch without
/// tracking, with tracking (`lsat`, `idim` on every Linear/Conv2d layer, channelwise convolutions,
/// float64 co-moments) and with tracking in the float32 mode; the three runs are interleaved on the
/// same model and data (taking turns to go first), each repeated, and the best epoch of each kind is
/// compared. A tracked epoch includes `endEpoch()` (the eigendecompositions). The ratios are tracked /
/// untracked epoch time (goals: MLP ≤ 1.30, CNN ≤ 1.15; float32 MLP ≤ 1.20, CNN ≤ 1.08). Next to
/// them: the share of the tracked epoch spent in `endEpoch()`, the floor ratios of ``OverheadFloor``
/// (untracked epoch + raw `syrk`s + eigenvalue solves of the same layers) / untracked, measured in the
/// same run, and the excess (ratio − floor) of every case. A fourth kind of epoch, interleaved with the
/// others in the short cases, tracks in float64 with linear CKA between all tracked layers on
/// (`TrackerOptions.cka`, train phase): `overhead_<model>_cka_ratio`; a fifth, in every case, tracks in
/// float64 with a linear probe per layer (`TrackerOptions.probes`): `overhead_<model>_probe_ratio`.
///
/// A sixth kind, after the others, tracks in float64 with the epoch end overlapping the next epoch
/// (`SaturationTracker.endEpochInBackground()`): its epochs run back to back, so each timed epoch's
/// batches share the machine with the previous epoch's solves, and its `endEpochInBackground()` waits for
/// what is left of them; the solves of the last epoch, waited for after it, are reported apart
/// (`overhead_<model>_overlap_drain_s`): a run pays them once, not per epoch.
enum OverheadBench: Bench {
    static let name = "overhead"
    nonisolated(unsafe) static var repeats = 3
    nonisolated(unsafe) static var models = ["mlp", "cnn"]
    /// Epoch lengths to measure: "short" (the training benchmark's 2560 samples, 20 batches) and "long".
    nonisolated(unsafe) static var lengths = ["short", "long"]

    /// Samples of a long epoch: what users train (MNIST-sized for the MLP; 10 000 for the CNN).
    static func longSamples(_ kind: String) -> Int {
        if BenchSettings.quick { return kind == "mlp" ? 544 : 384 }   // 544: a partial last batch, as in 60 000
        return kind == "mlp" ? 60_000 : 10_000
    }

    static func run() throws -> BenchReport {
        var report = BenchReport(
            title: "tracking overhead (epoch time with tracking / without; OpenBLAS \(BLASKernels.coreName) kernels; best of ≥ \(repeats) interleaved epochs)",
            columns: ["model", "samples", "plain s", "float64 s", "ratio", "median", "floor", "excess", "end ms",
                      "float32 s", "ratio f32", "median f32", "floor f32", "excess f32", "cka s", "ratio cka", "ratio probe",
                      "overlap s", "ratio ovl", "drain ms"])
        for kind in models {
            for length in lengths {
                let long = length == "long"
                let samples = long ? longSamples(kind) : (BenchSettings.quick ? 256 : TrainBench.samples)
                let m = try measure(kind, samples: samples, warmUpBatches: long ? 20 : nil, withCKA: !long)
                let f64Floor = (m.plain + m.coMomentFloor + m.eigenFloor) / m.plain
                let f32Floor = (m.plain + m.coMomentFloor32 + m.eigenFloor) / m.plain
                let ratio = m.tracked / m.plain, ratio32 = m.fast / m.plain
                let name = long ? "\(kind) long" : kind
                report.rows.append([name, "\(samples)", String(format: "%.3f", m.plain), String(format: "%.3f", m.tracked),
                                    String(format: "%.3f", ratio), String(format: "%.3f", m.medianRatio),
                                    String(format: "%.3f", f64Floor), String(format: "%+.3f", ratio - f64Floor),
                                    String(format: "%.1f", m.epochEnd * 1e3),
                                    String(format: "%.3f", m.fast), String(format: "%.3f", ratio32),
                                    String(format: "%.3f", m.medianRatio32), String(format: "%.3f", f32Floor),
                                    String(format: "%+.3f", ratio32 - f32Floor),
                                    long ? "-" : String(format: "%.3f", m.cka), long ? "-" : String(format: "%.3f", m.cka / m.plain),
                                    String(format: "%.3f", m.probe / m.plain),
                                    String(format: "%.3f", m.overlap), String(format: "%.3f", m.overlap / m.plain),
                                    String(format: "%.1f", m.overlapDrain * 1e3)])
                let key = long ? "overhead_\(kind)_long" : "overhead_\(kind)"
                report.metrics += [
                    ("\(key)_ratio", ratio), ("\(key)_f32_ratio", ratio32),
                    ("\(key)_plain_epoch_s", m.plain), ("\(key)_tracked_epoch_s", m.tracked),
                    ("\(key)_f32_epoch_s", m.fast),
                    ("\(key)_median_ratio", m.medianRatio), ("\(key)_f32_median_ratio", m.medianRatio32),
                    ("\(key)_floor_ratio", f64Floor), ("\(key)_f32_floor_ratio", f32Floor),
                    ("\(key)_excess", ratio - f64Floor), ("\(key)_f32_excess", ratio32 - f32Floor),
                    ("\(key)_f32_speedup", m.tracked / m.fast),
                    ("\(key)_repetitions", Double(m.repetitions)), ("\(key)_epoch_end_s", m.epochEnd), ("\(key)_syrk_floor_s", m.coMomentFloor),
                    ("\(key)_f32_syrk_floor_s", m.coMomentFloor32), ("\(key)_eigen_floor_s", m.eigenFloor),
                    ("\(key)_overlap_ratio", m.overlap / m.plain), ("\(key)_overlap_epoch_s", m.overlap),
                    ("\(key)_overlap_drain_s", m.overlapDrain),
                ]
                if !long {
                    report.metrics += [
                        ("\(key)_cka_ratio", m.cka / m.plain), ("\(key)_cka_median_ratio", m.medianRatioCKA),
                        ("\(key)_cka_epoch_s", m.cka),
                    ]
                }
                report.metrics += [
                    ("\(key)_probe_ratio", m.probe / m.plain), ("\(key)_probe_median_ratio", m.medianRatioProbe),
                    ("\(key)_probe_epoch_s", m.probe), ("\(key)_probe_epoch_end_s", m.probeEpochEnd),
                ]
            }
        }
        // The conditions every epoch ran under: OpenBLAS's idle spin (`BLASIdleSpin`, set by main; 28 = OpenBLAS's default).
        report.metrics.append(("overhead_blas_idle_spin_log2", Double(BLASIdleSpin.currentLog2Cycles ?? 28)))
        report.footnotes = [
            "blas idle spin (JSON overhead_blas_idle_spin_log2): OpenBLAS's idle workers spin 2^n cycles before they sleep; delve-bench sets 16 unless OPENBLAS_THREAD_TIMEOUT is set (OpenBLAS's default is 28).",
            "repetitions (JSON …_repetitions): each kind runs --repeats times, or more when the untracked epoch is shorter than 2.5 s (about --repeats × 2.5 s of each kind, at most five times --repeats).",
            "samples: epoch length (batch 128); long: an MNIST-sized epoch for the MLP, 10 000 samples for the CNN (warm-up: 20 batches of each kind).",
            "median: the median over the repetitions of tracked / untracked epoch within one repetition (the three kinds run back to back, taking turns to lead).",
            "f32 speedup (JSON …_f32_speedup): best float64 tracked epoch / best float32 tracked epoch; goal ≥ 1 (float32 mode never slower).",
            "end ms: best time of endEpoch() (eigenvalues, statistics) within the float64 tracked epoch.",
            "overlap: float64 tracking with endEpochInBackground(), epochs back to back (best of the repetitions): each includes the wait for what is left of the previous epoch's solves; drain ms: the wait for the last epoch's solves after it (once per run).",
            "cka: float64 tracking plus linear CKA between every pair of tracked layers (train phase; conv by spatial mean), short epochs only, interleaved with the others.",
            "probe: float64 tracking plus a linear probe per tracked layer (labels of each batch, class sums, the closed-form solve at the epoch end; train phase only), interleaved with the others in every case; goal ≤ 0.03 above the float64 ratio.",
            "floor: (plain + raw syrk of every tracked layer's rows + its eigenvalue solves) / plain, timed in this run: no BLAS-based tracker can do better here. excess = ratio − floor (negative where the channel kernel beats the raw syrk).",
            "Goals: float64 MLP ≤ 1.30, CNN ≤ 1.15; float32 MLP ≤ 1.20, CNN ≤ 1.08; long epochs MLP ≤ 1.25 / 1.15, CNN ≤ 1.08 / 1.05; excess ≤ 0.05. Delve on PyTorch costs about 2.95× (MLP) and 1.65× (CNN) while covering only the last batch.",
        ]
        return report
    }

    /// What `measure` found for one model (seconds).
    struct Measurement {
        /// Best epochs: untracked, tracked in float64, tracked in float32 mode.
        var plain, tracked, fast: Double
        /// Medians over the repetitions of tracked / untracked epoch of the same repetition (float64, float32).
        var medianRatio, medianRatio32: Double
        /// Interleaved repetitions of each kind (``repetitions(plainEpoch:)``).
        var repetitions: Int
        /// Best `endEpoch()` of the float64 tracked epochs.
        var epochEnd: Double
        /// ``OverheadFloor`` parts for the tracked layers: dsyrk, ssyrk, eigenvalue solves.
        var coMomentFloor, coMomentFloor32, eigenFloor: Double
        /// Best epoch tracked in float64 with linear CKA on, and its median ratio (NaN when not measured).
        var cka = Double.nan, medianRatioCKA = Double.nan
        /// Best epoch tracked in float64 with the epoch end in the background (epochs back to back), and
        /// the wait for the last one's solves after it.
        var overlap = Double.nan, overlapDrain = Double.nan
        /// Best epoch tracked in float64 with linear probes on, and its median ratio (NaN when not measured).
        var probe = Double.nan, medianRatioProbe = Double.nan
        /// Best `endEpoch()` of the epochs with probes (the eigenvalue and the probe solves).
        var probeEpochEnd = Double.nan
    }

    /// Repetitions of each kind of epoch: `repeats`, or more for epochs shorter than 2.5 s (up to five
    /// times as many, so that each kind runs for about `repeats` × 2.5 s): the best of three epochs of
    /// 50 ms, or of 1.3 s, on a shared machine wandered by more than the tracker's own cost.
    static func repetitions(plainEpoch seconds: Double) -> Int {
        guard seconds > 0 else { return repeats }
        return max(repeats, min(5 * repeats, Int((Double(repeats) * 2.5 / seconds).rounded(.up))))
    }

    /// Best epoch seconds of each kind on epochs of `samples` samples, and the floor of the tracked
    /// layers. The warm-up epochs use the first `warmUpBatches` batches (all when nil).
    /// With `withCKA`, a fourth kind of epoch (float64 tracking with linear CKA) joins the rotation.
    static func measure(_ kind: String, samples: Int, warmUpBatches: Int? = nil, withCKA: Bool = false) throws -> Measurement {
        let (model, batches, optimizer) = try TrainBench.makeWorkload(kind, samples: samples)
        var epochEnd = Double.infinity, probeEpochEnd = Double.infinity
        var layers: [OverheadFloor.Layer] = []
        func epoch(_ tracker: SaturationTracker?, batchCount: Int? = nil, background: Bool = false) throws -> Double {
            let handle = tracker.map { $0.watch(model) }
            defer { handle?.remove() }
            let start = DispatchTime.now().uptimeNanoseconds
            for (input, target) in batches.prefix(batchCount ?? batches.count) {
                if let tracker, tracker.options.probes != nil { tracker.setLabels(target, phase: .train) }
                optimizer.zeroGrad()
                crossEntropy(logits: model(input), labels: target).backward()
                optimizer.step()
            }
            if let tracker, background {
                try tracker.endEpochInBackground()   // waits for the previous epoch's solves first
            } else if let tracker {
                let endStart = DispatchTime.now().uptimeNanoseconds
                let record = try tracker.endEpoch()
                if tracker.options.precision == .float64 && tracker.options.cka == nil && tracker.options.probes == nil && batchCount == nil {
                    epochEnd = min(epochEnd, Double(DispatchTime.now().uptimeNanoseconds - endStart) / 1e9)
                    layers = record.layers.map { OverheadFloor.Layer(features: $0.features, rows: $0.samples) }
                }
                if tracker.options.probes != nil && batchCount == nil {
                    probeEpochEnd = min(probeEpochEnd, Double(DispatchTime.now().uptimeNanoseconds - endStart) / 1e9)
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
        let ckaTracker = withCKA ? try SaturationTracker(options: options) : nil
        options.cka = nil
        options.probes = ProbeOptions()
        let probeTracker = try SaturationTracker(options: options)
        // Warm-up: one epoch of each kind (allocates the accumulators' state and scratch).
        let warmUpPlain = try epoch(nil, batchCount: warmUpBatches)
        _ = try epoch(tracked, batchCount: warmUpBatches)
        _ = try epoch(fast, batchCount: warmUpBatches)
        if let ckaTracker { _ = try epoch(ckaTracker, batchCount: warmUpBatches) }
        _ = try epoch(probeTracker, batchCount: warmUpBatches)
        var best = (Double.infinity, Double.infinity, Double.infinity)
        var bestCKA = Double.infinity, bestProbe = Double.infinity
        var ratios: [Double] = [], ratios32: [Double] = [], ratiosCKA: [Double] = [], ratiosProbe: [Double] = []
        // Kinds: 0 plain, 1 float64, 2 float32, 3 CKA (short cases), 4 probes.
        let roster = ckaTracker == nil ? [0, 1, 2, 4] : [0, 1, 2, 3, 4]
        let kinds = roster.count
        // The kinds take turns leading (plain, float64, float32, …; float64, float32, …, plain; …), so
        // that no kind always follows the same one (e.g. starts while the previous epoch end's BLAS
        // threads still spin).
        let warmUpShare = Double(min(warmUpBatches ?? batches.count, batches.count)) / Double(max(batches.count, 1))
        let repetitions = BenchSettings.quick ? 1 : Self.repetitions(plainEpoch: warmUpPlain / warmUpShare)
        for repetition in 0..<repetitions {
            var times = (plain: 0.0, tracked: 0.0, fast: 0.0, cka: 0.0, probe: 0.0)
            for turn in 0..<kinds {
                switch roster[(repetition + turn) % kinds] {
                case 0: times.plain = try epoch(nil)
                case 1: times.tracked = try epoch(tracked)
                case 2: times.fast = try epoch(fast)
                case 3: times.cka = try epoch(ckaTracker)
                default: times.probe = try epoch(probeTracker)
                }
            }
            let (plain, withTracking, withFast) = (times.plain, times.tracked, times.fast)
            if ckaTracker != nil {
                bestCKA = min(bestCKA, times.cka)
                ratiosCKA.append(times.cka / plain)
            }
            bestProbe = min(bestProbe, times.probe)
            ratiosProbe.append(times.probe / plain)
            best = (min(best.0, plain), min(best.1, withTracking), min(best.2, withFast))
            ratios.append(withTracking / plain)
            ratios32.append(withFast / plain)
        }
        let threads = BLAS.threadCount
        var measurement = Measurement(
            plain: best.0, tracked: best.1, fast: best.2, medianRatio: median(ratios), medianRatio32: median(ratios32),
            repetitions: repetitions, epochEnd: epochEnd,
            coMomentFloor: OverheadFloor.coMomentSeconds(layers, threads: threads, float32: false),
            coMomentFloor32: OverheadFloor.coMomentSeconds(layers, threads: threads, float32: true),
            eigenFloor: try OverheadFloor.eigenSeconds(layers, threads: threads))
        if ckaTracker != nil {
            measurement.cka = bestCKA
            measurement.medianRatioCKA = median(ratiosCKA)
        }
        measurement.probe = bestProbe
        measurement.medianRatioProbe = median(ratiosProbe)
        measurement.probeEpochEnd = probeEpochEnd
        // The overlapped kind: epochs back to back (the first warms up), then the last one's solves.
        options.probes = nil
        let overlapped = try SaturationTracker(options: options)
        _ = try epoch(overlapped, batchCount: warmUpBatches, background: true)
        var bestOverlap = Double.infinity
        for _ in 0..<repetitions {
            bestOverlap = min(bestOverlap, try epoch(overlapped, background: true))
        }
        let drainStart = DispatchTime.now().uptimeNanoseconds
        _ = try overlapped.waitForPendingEpochs()
        measurement.overlapDrain = Double(DispatchTime.now().uptimeNanoseconds - drainStart) / 1e9
        measurement.overlap = bestOverlap
        try overlapped.close()
        return measurement
    }
}

/// The median of a non-empty list (the mean of the middle two for an even count).
private func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/// `delve-bench overhead [--models mlp,cnn] [--lengths short,long] [--repeats 3] [--threads 2] [--quick] [--json]`.
struct OverheadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "overhead",
        abstract: "Epoch time with saturation tracking / without, for the MLP and CNN benchmark models."
    )
    @Flag(help: "Print one flat JSON object of metrics instead of the table.")
    var json = false
    @Option(help: "Comma-separated models: mlp, cnn.")
    var models = "mlp,cnn"
    @Option(help: "Comma-separated epoch lengths: short (2560 samples), long (MLP 60 000, CNN 10 000).")
    var lengths = "short,long"
    @Option(help: "Interleaved repetitions of each kind of epoch (the best is reported); epochs under 2.5 s repeat more, up to five times as often.")
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
        let chosenLengths = lengths.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        for l in chosenLengths where !["short", "long"].contains(l) {
            throw ValidationError("--lengths: unknown length '\(l)'; known: short, long")
        }
        guard repeats > 0 else { throw ValidationError("--repeats must be positive, got \(repeats)") }
        guard threads > 0 else { throw ValidationError("--threads must be positive, got \(threads)") }
        BLAS.setThreadCount(threads)
        ComputeSettings.workerCount = threads
        OverheadBench.models = chosen
        OverheadBench.repeats = repeats
        OverheadBench.lengths = chosenLengths
        BenchSettings.quick = quick
        printReports([try OverheadBench.run()], json: json)
    }
}
