import Delve
import DelveLinearAlgebra
import Foundation

/// The cross-covariance part of `delve-bench covariance` (linear CKA, ``LayerSimilarityAccumulator``).
///
/// Two layers X (rows × d) and Y (rows × d) seen on the same rows. CKA needs Σ_xy and also Σ_xx and
/// Σ_yy (under the same reduction), so the raw BLAS work for one batch is a `dgemm` XᵀY plus a `dsyrk`
/// of each layer — the same flops as the `dsyrk` of [X | Y] that the accumulator runs. Competitors,
/// interleaved (``measureSideBySide``), on the same float64 rows:
/// - `raw`: `dgemm` XᵀY + `dsyrk` XᵀX + `dsyrk` YᵀY (no centring, no conversion);
/// - `gemm`: the `dgemm` XᵀY alone (half of the raw flops);
/// - `acc`: ``LayerSimilarityAccumulator/update(_:rows:)`` on the float32 blocks (copy into the joint
///   float64 rows, batch mean, centring with Chan's merge row, a share of one `dsyrk` over pending rows).
/// `cov_cross_ratio` = raw time / accumulator time (1 = no overhead), at D = 256 per layer, batch 1024
/// (quick: 64, 128); `cov_cross_gemm_ratio` = gemm time / accumulator time.
enum CrossCovarianceBench {
    static var shapes: [(d: Int, b: Int)] { BenchSettings.quick ? [(64, 128)] : [(64, 1024), (256, 1024)] }

    static func run(into report: inout BenchReport) {
        for (d, b) in shapes {
            let x = benchData(count: b * d, seed: UInt64(d * 31 + b), offset: 0.5)
            let y = benchData(count: b * d, seed: UInt64(d * 37 + b + 1), offset: -0.25)
            let x64 = x.map(Double.init), y64 = y.map(Double.init)
            var cxy = [Double](repeating: 0, count: d * d), cxx = cxy, cyy = cxy
            let accumulator = LayerSimilarityAccumulator(layers: ["x", "y"], features: [d, d])
            let times = x.withUnsafeBufferPointer { px in
                y.withUnsafeBufferPointer { py in
                    measureSideBySide(mean: true, [   // means: the joint accumulator's pending rows
                        {
                            BLAS.gemm(.transpose, .none, m: d, n: d, k: b, alpha: 1, a: x64, lda: d, b: y64, ldb: d,
                                      beta: 1, c: &cxy, ldc: d)
                            BLAS.syrk(.upper, .transpose, n: d, k: b, alpha: 1, a: x64, lda: d, beta: 1, c: &cxx, ldc: d)
                            BLAS.syrk(.upper, .transpose, n: d, k: b, alpha: 1, a: y64, lda: d, beta: 1, c: &cyy, ldc: d)
                        },
                        {
                            BLAS.gemm(.transpose, .none, m: d, n: d, k: b, alpha: 1, a: x64, lda: d, b: y64, ldb: d,
                                      beta: 1, c: &cxy, ldc: d)
                        },
                        { try! accumulator.update([px, py], rows: b) },
                    ])
                }
            }
            let ratio = times[0] / times[2], gemmRatio = times[1] / times[2]
            let key = "cov_cross_d\(d)_b\(b)"
            report.metrics += [("\(key)_ratio", ratio), ("\(key)_gemm_ratio", gemmRatio),
                               ("\(key)_rows_per_s", Double(b) / times[2])]
            if d == shapes.last!.d && b == shapes.last!.b {
                report.metrics += [("cov_cross_ratio", ratio), ("cov_cross_gemm_ratio", gemmRatio)]
            }
            let flops = 4 * Double(b) * Double(d * d)   // dgemm 2·b·d² + two dsyrk b·d² each
            report.rows.append([
                "CKA 2×D=\(d) batch=\(b)", CovarianceBench.fmt(Double(b) / times[2]), CovarianceBench.fmt(flops / times[2] / 1e9, 2),
                CovarianceBench.fmt(flops / times[0] / 1e9, 2), CovarianceBench.fmt(ratio, 3), "–",
                "gemm only " + CovarianceBench.fmt(gemmRatio, 3), "–",
            ])
        }
        report.footnotes.append("CKA: LayerSimilarityAccumulator.update on two float32 layers of D features vs raw dgemm XᵀY + dsyrk XᵀX + dsyrk YᵀY "
                                + "on the same float64 rows (syrk GFLOP/s column: that raw work); 'gemm only': vs the dgemm XᵀY alone (half the flops). "
                                + "cov_cross_ratio is the last shape's ratio.")
    }
}
