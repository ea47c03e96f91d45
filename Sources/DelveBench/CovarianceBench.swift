import ArgumentParser
import Delve
import Foundation
import DelveLinearAlgebra

/// `delve-bench covariance`: the accumulator's update throughput against a raw BLAS `syrk` on the same data.
///
/// For every shape, the competitors run interleaved in one process (``measureSideBySide``):
/// - `syrk`: `dsyrk` of the batch already in float64 (C += XᵀX, no centring, no conversion);
/// - `acc`: ``CovarianceAccumulator/update(_:rows:)`` on the float32 batch (float64 mode: mean, centring,
///   conversion, Chan's merge row, and a share of one `dsyrk` over the batches pending together);
/// - `ssyrk` and `acc f32`: the same in float32 mode against a raw `ssyrk`.
/// `ratio` = syrk time / accumulator time (1 = no overhead). GFLOP/s counts n·d² flops per batch.
enum CovarianceBench: Bench {
    static let name = "covariance"

    static var features: [Int] { BenchSettings.quick ? [64, 256] : [64, 256, 1024] }
    static var batchSizes: [Int] { BenchSettings.quick ? [128] : [128, 1024] }
    static var conv: (batch: Int, channels: Int, spatial: Int) { (BenchSettings.quick ? 8 : 128, 32, 32 * 32) }

    static func run() throws -> BenchReport {
        var report = BenchReport(
            title: "covariance accumulation (\(LinearAlgebraInfo.backend), \(BenchSettings.clock.rawValue) clock); ratio = raw syrk time / accumulator time",
            columns: ["shape", "acc rows/s", "acc GFLOP/s", "syrk GFLOP/s", "ratio", "f32 rows/s", "f32 ratio", "f32 speedup"])
        for d in features {
            for b in batchSizes {
                let data = benchData(count: b * d, seed: UInt64(d * 7919 + b), offset: 0.5)
                let data64 = data.map(Double.init)
                let acc = CovarianceAccumulator(features: d, name: "bench")
                let fast = CovarianceAccumulator(features: d, name: "bench", precision: .float32)
                var c64 = [Double](repeating: 0, count: d * d)
                var c32 = [Float](repeating: 0, count: d * d)
                // Means, not best blocks: the accumulators' pending-row syrk runs every few batches.
                let times = measureSideBySide(mean: true, [
                    { BLAS.syrk(.upper, .transpose, n: d, k: b, alpha: 1, a: data64, lda: d, beta: 1, c: &c64, ldc: d) },
                    { try! acc.update(data, rows: b) },
                    { BLAS.syrk(.upper, .transpose, n: d, k: b, alpha: 1, a: data, lda: d, beta: 1, c: &c32, ldc: d) },
                    { try! fast.update(data, rows: b) },
                ])
                let flops = Double(b) * Double(d * d)
                let key = "cov_d\(d)_b\(b)"
                let ratio = times[0] / times[1], f32Ratio = times[2] / times[3], speedup = times[1] / times[3]
                report.metrics += [
                    ("\(key)_rows_per_s", Double(b) / times[1]),
                    ("\(key)_gflops", flops / times[1] / 1e9),
                    ("\(key)_syrk_gflops", flops / times[0] / 1e9),
                    ("\(key)_ratio", ratio),
                    ("cov_f32_d\(d)_b\(b)_rows_per_s", Double(b) / times[3]),
                    ("cov_f32_d\(d)_b\(b)_ratio", f32Ratio),
                    ("cov_f32_d\(d)_b\(b)_speedup", speedup),
                ]
                report.rows.append([
                    "D=\(d) batch=\(b)", fmt(Double(b) / times[1]), fmt(flops / times[1] / 1e9, 2),
                    fmt(flops / times[0] / 1e9, 2), fmt(ratio, 3), fmt(Double(b) / times[3]), fmt(f32Ratio, 3),
                    fmt(speedup, 2),
                ])
            }
        }

        // Conv-like NCHW batch: channelwise update vs raw dsyrk of the transposed (batch·spatial)×channels data.
        let (nb, c, s) = conv
        let nchw = benchData(count: nb * c * s, seed: 42, offset: 0.5)
        var transposed = [Double](repeating: 0, count: nchw.count)
        for i in 0..<nb { for ch in 0..<c { for p in 0..<s {
            transposed[(i * s + p) * c + ch] = Double(nchw[(i * c + ch) * s + p])
        } } }
        let obs = nb * s
        let acc = CovarianceAccumulator(features: c, name: "bench-conv")
        let fast = CovarianceAccumulator(features: c, name: "bench-conv", precision: .float32)
        var cc = [Double](repeating: 0, count: c * c)
        let times = nchw.withUnsafeBufferPointer { p in
            measureSideBySide([
                { BLAS.syrk(.upper, .transpose, n: c, k: obs, alpha: 1, a: transposed, lda: c, beta: 1, c: &cc, ldc: c) },
                { try! acc.updateChannelwise(p, batch: nb, channels: c, spatial: s) },
                { try! fast.updateChannelwise(p, batch: nb, channels: c, spatial: s) },
            ])
        }
        let flops = Double(obs) * Double(c * c)
        let key = "cov_channelwise_c\(c)_s\(s)"
        report.metrics += [
            ("\(key)_rows_per_s", Double(obs) / times[1]),
            ("\(key)_gflops", flops / times[1] / 1e9),
            ("\(key)_syrk_gflops", flops / times[0] / 1e9),
            ("\(key)_ratio", times[0] / times[1]),
            ("cov_f32_channelwise_c\(c)_s\(s)_ratio", times[0] / times[2]),
            ("cov_f32_channelwise_c\(c)_s\(s)_speedup", times[1] / times[2]),
        ]
        report.rows.append([
            "NCHW \(nb)×\(c)×\(s) channelwise", fmt(Double(obs) / times[1]), fmt(flops / times[1] / 1e9, 2),
            fmt(flops / times[0] / 1e9, 2), fmt(times[0] / times[1], 3), fmt(Double(obs) / times[2]),
            fmt(times[0] / times[2], 3), fmt(times[1] / times[2], 2),
        ])
        report.footnotes = [
            "acc: update() on float32 rows (float64 mode: batch mean, centring into float64 with Chan's merge row, a share of one dsyrk over up to 1280 pending rows; mean time per batch over all rounds).",
            "syrk: raw dsyrk of the same batch already in float64; f32: float32 mode vs raw ssyrk (ratio) and vs float64 mode (speedup).",
            "channelwise: updateChannelwise on NCHW vs raw dsyrk of the (batch·spatial)×channels transpose in float64; f32 ratio vs that dsyrk, f32 speedup = float64-mode time / float32-mode time (goal ≥ 1).",
            "Goal: ratio ≥ 0.85 for D ≥ 256.",
        ]
        CrossCovarianceBench.run(into: &report)
        return report
    }

    static func fmt(_ value: Double, _ digits: Int = 0) -> String {
        digits == 0 ? String(format: "%.0f", value) : String(format: "%.\(digits)f", value)
    }
}

/// `delve-bench covariance [--json]`.
struct CovarianceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "covariance",
        abstract: "Covariance accumulator throughput vs raw BLAS syrk (float64, float32, channelwise)."
    )
    @OptionGroup var options: BenchOptions

    func run() throws {
        options.apply()
        printReports([try CovarianceBench.run()], json: options.json)
    }
}
