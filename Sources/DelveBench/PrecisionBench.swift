import ArgumentParser
import Delve
import Foundation

/// `delve-bench precision`: float32 mode against float64 on every layout the tracker takes (issue 19:
/// "float32 mode never slower than float64 on any benchmark shape, model or layout").
///
/// For each layout a float64 and a float32-mode tracker record the same batch, side by side
/// (``measureSideBySide(rounds:blockSeconds:_:)``); the time per recorded batch includes its share of
/// the pending-row `syrk`s. Key `precision_<layout>_f32_speedup` = float64 time / float32-mode time
/// (goal ≥ 1); `precision_min_f32_speedup` is the smallest of them.
enum PrecisionBench: Bench {
    static let name = "precision"

    /// One tracked layout at a realistic shape.
    struct Case {
        var key: String
        var layout: LayoutOptions
        var shape: [Int]
        var kind: ActivationKind
    }

    static let cases: [Case] = [
        Case(key: "dense_d64", layout: LayoutOptions(), shape: [128, 64], kind: .dense),
        Case(key: "dense_d512", layout: LayoutOptions(), shape: [128, 512], kind: .dense),
        Case(key: "dense_d1024_b1024", layout: LayoutOptions(), shape: [1024, 1024], kind: .dense),
        Case(key: "channelwise_c32_s1024", layout: LayoutOptions(), shape: [32, 32, 32, 32], kind: .convolution),
        Case(key: "channelwise_c128_s64", layout: LayoutOptions(), shape: [64, 128, 8, 8], kind: .convolution),
        Case(key: "channelwise_c256_s16", layout: LayoutOptions(), shape: [64, 256, 4, 4], kind: .convolution),
        Case(key: "channelwise_c64_s4", layout: LayoutOptions(), shape: [128, 64, 2, 2], kind: .convolution),
        Case(key: "conv_mean", layout: LayoutOptions(convMethod: .mean), shape: [64, 64, 16, 16], kind: .convolution),
        Case(key: "conv_max", layout: LayoutOptions(convMethod: .max), shape: [64, 64, 16, 16], kind: .convolution),
        Case(key: "conv_median", layout: LayoutOptions(convMethod: .median), shape: [64, 64, 8, 8], kind: .convolution),
        Case(key: "conv_flatten", layout: LayoutOptions(convMethod: .flatten), shape: [64, 8, 8, 8], kind: .convolution),
        Case(key: "conv_downsample", layout: LayoutOptions(downsample: 4), shape: [64, 32, 16, 16], kind: .convolution),
        Case(key: "sequence_last", layout: LayoutOptions(), shape: [64, 28, 128], kind: .sequence(batchFirst: true)),
        Case(key: "sequence_last_time_first", layout: LayoutOptions(), shape: [28, 64, 128], kind: .sequence(batchFirst: false)),
        Case(key: "sequence_timestep_observations", layout: LayoutOptions(timeseriesMethod: .timestepObservations),
             shape: [64, 28, 128], kind: .sequence(batchFirst: true)),
        Case(key: "sequence_flattened_time_first", layout: LayoutOptions(timeseriesMethod: .flattenedSequence),
             shape: [28, 64, 16], kind: .sequence(batchFirst: false)),
    ]

    static func run() throws -> BenchReport {
        var report = BenchReport(title: "Float32 mode against float64, per layout (tracker.record, time per batch)",
                                 columns: ["layout", "batch shape", "float64 ms", "float32 ms", "f32 speed-up"])
        var smallest = Double.infinity
        for c in cases {
            var options = TrackerOptions(statistics: [.lsat, .idim])
            options.layout = c.layout
            let wide = try SaturationTracker(options: options)
            options.precision = .float32
            let fast = try SaturationTracker(options: options)
            let batch = ArrayActivationBatch(values: benchData(count: c.shape.reduce(1, *), seed: 7, offset: 0.5),
                                             shape: c.shape, kind: c.kind)
            var failure: (any Error)?
            func record(_ tracker: SaturationTracker) {
                do { try tracker.record(layer: "layer", phase: .train, batch: batch) } catch { failure = failure ?? error }
            }
            // Means, not best blocks: the pending-row syrk runs every few batches.
            let times = measureSideBySide(mean: true, [{ record(wide) }, { record(fast) }])
            if let failure { throw failure }
            let speedup = times[0] / times[1]
            smallest = min(smallest, speedup)
            report.rows.append([c.key, c.shape.map(String.init).joined(separator: "×"),
                                String(format: "%.3f", times[0] * 1e3), String(format: "%.3f", times[1] * 1e3),
                                String(format: "%.2f", speedup)])
            report.metrics.append(("precision_\(c.key)_f32_speedup", speedup))
        }
        report.metrics.append(("precision_min_f32_speedup", smallest))
        report.footnotes = [
            "f32 speed-up = float64 time / float32-mode time for the same batch, the two interleaved (goal ≥ 1: float32 mode never slower).",
        ]
        return report
    }
}

/// `delve-bench precision [--json]`.
struct PrecisionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "precision",
        abstract: "Float32 mode against float64 per layout (time per recorded batch)."
    )
    @OptionGroup var options: BenchOptions

    func run() throws {
        options.apply()
        printReports([try PrecisionBench.run()], json: options.json)
    }
}
