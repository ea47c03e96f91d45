import DelveNN
import Foundation
import DelveLinearAlgebra

/// A lower bound on what saturation tracking can add to an epoch when its heavy work goes through
/// BLAS and LAPACK: the raw `syrk`s that form every tracked layer's co-moment (on data already
/// centred, in cache-resident blocks, so no centring, conversion or bookkeeping is counted) and the
/// epoch-end eigenvalue solves, timed on their own, in the same run as the epochs they bound.
///
/// `delve-bench overhead` prints (untracked epoch + floor) / untracked epoch next to the measured
/// ratio: a goal below that ratio cannot be met by any implementation built on these libraries on
/// this machine, and the gap between the two is what the tracker's own code costs.
enum OverheadFloor {
    /// One tracked layer in one epoch: D features, `rows` observations.
    struct Layer {
        let features: Int
        let rows: Int
    }

    /// Seconds of raw co-moment work: per layer, the faster of one `syrk` on all `threads` BLAS
    /// threads and `threads` single-thread `syrk`s side by side (how the channelwise path splits a
    /// batch), timed on blocks of up to 4096 rows (best of 3) and scaled to the layer's rows.
    /// `float32` times `ssyrk` (the float32 mode), otherwise `dsyrk`.
    static func coMomentSeconds(_ layers: [Layer], threads: Int, float32: Bool) -> Double {
        layers.reduce(0) { total, layer in
            guard layer.features > 0, layer.rows > 0 else { return total }
            let block = min(layer.rows, 4096)
            let perRow = float32
                ? perRowSeconds(Float.self, features: layer.features, block: block, threads: threads)
                : perRowSeconds(Double.self, features: layer.features, block: block, threads: threads)
            return total + perRow * Double(layer.rows)
        }
    }

    /// Seconds of the eigenvalue solves (`dsyevd`, values only, one BLAS thread each) on `threads`
    /// cores: the larger of the longest solve and their sum over the cores, which no schedule beats.
    static func eigenSeconds(_ layers: [Layer], threads: Int) throws -> Double {
        var longest = 0.0, sum = 0.0
        try BLAS.withSingleThread {
            for layer in layers where layer.features > 0 {
                let d = layer.features
                var rng = SeededGenerator(seed: UInt64(d))
                // A full-rank covariance: the Gram matrix of 2D random rows.
                let x = (0..<(2 * d * d)).map { _ in Double.random(in: -1...1, using: &rng) }
                var c = [Double](repeating: 0, count: d * d)
                BLAS.syrk(.upper, .transpose, n: d, k: 2 * d, alpha: 1, a: x, lda: d, beta: 0, c: &c, ldc: d)
                var best = Double.infinity
                for _ in 0..<3 {
                    let start = wallSeconds()
                    _ = try SymmetricEigen.eigenvalues(of: c, dimension: d)
                    best = min(best, wallSeconds() - start)
                }
                longest = max(longest, best)
                sum += best
            }
        }
        return max(longest, sum / Double(max(threads, 1)))
    }

    /// Best-of-3 seconds per row of a `syrk` adding `block` rows of D values to a D×D triangle.
    private static func perRowSeconds<T: FloatingPoint & SyrkScalar>(_: T.Type, features d: Int, block: Int,
                                                                     threads: Int) -> Double {
        let parts = max(threads, 1)
        let inputs = (0..<parts).map { part in
            (0..<(block * d)).map { T(($0 * 7 + part) % 13) / T(13) - T(1) / T(2) }
        }
        let outputs = (0..<parts).map { _ in UnsafeMutablePointer<T>.allocate(capacity: d * d) }
        defer { outputs.forEach { $0.deallocate() } }
        for c in outputs { c.initialize(repeating: 0, count: d * d) }
        func best(_ body: () -> Void) -> Double {
            body()   // warm-up: brings the block into cache and starts BLAS's threads
            var best = Double.infinity
            for _ in 0..<3 {
                let start = wallSeconds()
                body()
                best = min(best, wallSeconds() - start)
            }
            return best
        }
        let shared = best {
            inputs[0].withUnsafeBufferPointer { a in
                T.syrk(n: d, k: block, a: a.baseAddress!, c: outputs[0])
            }
        } / Double(block)
        guard parts > 1 else { return shared }
        let sideBySide = best {
            BLAS.concurrentPerform(iterations: parts) { part in
                inputs[part].withUnsafeBufferPointer { a in
                    T.syrk(n: d, k: block, a: a.baseAddress!, c: outputs[part])
                }
            }
        } / Double(block * parts)
        return min(shared, sideBySide)
    }

    /// Wall-clock seconds (the floor is compared with wall-clock epochs).
    private static func wallSeconds() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
}

/// The `syrk` of one precision: C ← C + AᵀA (upper triangle) for row-major A of k rows × n.
protocol SyrkScalar {
    static func syrk(n: Int, k: Int, a: UnsafePointer<Self>, c: UnsafeMutablePointer<Self>)
}

extension Double: SyrkScalar {
    static func syrk(n: Int, k: Int, a: UnsafePointer<Double>, c: UnsafeMutablePointer<Double>) {
        BLAS.syrk(.upper, .transpose, n: n, k: k, alpha: 1, a: a, lda: n, beta: 1, c: c, ldc: n)
    }
}

extension Float: SyrkScalar {
    static func syrk(n: Int, k: Int, a: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>) {
        BLAS.syrk(.upper, .transpose, n: n, k: k, alpha: 1, a: a, lda: n, beta: 1, c: c, ldc: n)
    }
}
