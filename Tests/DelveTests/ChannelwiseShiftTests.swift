import Testing
@testable import Delve

/// The channel kernel's one-pass block (`CovarianceAccumulator.kernelBlock`): centred on a shift known
/// before the block is read, corrected with the sums. Against the float64 two-pass reference entry by
/// entry, relative to √(C_ii·C_jj), on data where the shift is far from the block's mean (float64 mode
/// within 1e-12; float32 mode, whose products are float32, within 1e-5).
@Suite("Channelwise kernel: shifted one-pass blocks")
struct ChannelwiseShiftTests {
    /// NCHW batch: sample b, channel ch is offset(b, ch) + scale(b) · N(0, 1) (the channel adds a small
    /// per-channel term so channels differ).
    static func batch(_ rng: inout CovarianceTestRandom, samples: Int, channels c: Int, spatial s: Int,
                      offset: (Int) -> Double, scale: (Int) -> Double) -> [Float] {
        var x = [Float](repeating: 0, count: samples * c * s)
        for b in 0..<samples { for ch in 0..<c { for p in 0..<s {
            x[(b * c + ch) * s + p] = Float(offset(b) + Double(ch) * scale(b) + scale(b) * rng.gaussian())
        } } }
        return x
    }

    /// The worst |cov − reference| / √(ref_ii · ref_jj) over the entries.
    static func worstError(_ cov: [Double], _ reference: [Double], features d: Int) -> Double {
        var worst = 0.0
        for i in 0..<d { for j in 0..<d {
            let scale = (reference[i * d + i] * reference[j * d + j]).squareRoot()
            worst = max(worst, abs(cov[i * d + j] - reference[i * d + j]) / scale)
        } }
        return worst
    }

    /// Feeds `batches` to accumulators (both precisions, one and two workers) and checks covariance and
    /// mean against the two-pass reference of all observations.
    static func check(_ batches: [[Float]], samples: Int, channels c: Int, spatial s: Int) throws {
        #expect(CovarianceAccumulator.usesChannelKernel(channels: c, spatial: s))
        var rows: [[Double]] = []
        for x in batches {
            for b in 0..<samples { for p in 0..<s { rows.append((0..<c).map { Double(x[(b * c + $0) * s + p]) }) } }
        }
        let reference = covarianceReference(rows, features: c)
        for precision in AccumulationPrecision.allCases {
            for threads in [1, 2] {
                let acc = CovarianceAccumulator(features: c, precision: precision)
                acc.maxChannelwiseThreads = threads
                acc.channelwiseParallelWork = 0
                for x in batches {
                    try x.withUnsafeBufferPointer { try acc.updateChannelwise($0, batch: samples, channels: c, spatial: s) }
                }
                // Float32 mode: float32 products (partial sums of ≤ 256), the float32-mode tolerance.
                let error = worstError(acc.covariance(), reference.cov, features: c)
                let tolerance = precision == .float64 ? 1e-12 : 1e-5
                #expect(error < tolerance, "\(precision), \(threads) worker(s): worst relative error \(error)")
                #expect(relativeError(acc.mean, reference.mean) < 1e-13)
            }
        }
    }

    @Test("a large offset (mean 1e4, std 1e-3 of it) keeps two-pass accuracy", arguments: [12, 32])
    func largeOffset(channels: Int) throws {
        var rng = CovarianceTestRandom(seed: 31)
        let (samples, s) = (6, 1024)
        #expect(CovarianceAccumulator.channelwiseChunk(channels: channels, spatial: s, batch: samples) < samples)
        let batches = (0..<3).map { k in
            Self.batch(&rng, samples: samples, channels: channels, spatial: s,
                       offset: { _ in 1e4 + Double(k) }, scale: { _ in 10 })
        }
        try Self.check(batches, samples: samples, channels: channels, spatial: s)
    }

    @Test("a first sample 10³ σ from the rest, and later samples 10⁵ σ from the running mean, keep two-pass accuracy",
          arguments: [(12, 1024, 8), (32, 1024, 8), (32, 16, 300)])
    func farShift(channels: Int, spatial s: Int, samples: Int) throws {
        var rng = CovarianceTestRandom(seed: 32)
        // (32, 16): blocks of 128 samples, whose first sample is the first block's shift.
        let firstFar = Self.batch(&rng, samples: samples, channels: channels, spatial: s,
                                  offset: { $0 == 0 ? 1e3 : 0 }, scale: { _ in 1 })
        // The second half sits at 1e4 with σ = 0.1: the running mean of the first half is 10⁵ σ away.
        let jump = Self.batch(&rng, samples: samples, channels: channels, spatial: s,
                              offset: { $0 < samples / 2 ? 0 : 1e4 }, scale: { $0 < samples / 2 ? 1 : 1e-1 })
        try Self.check([firstFar], samples: samples, channels: channels, spatial: s)
        try Self.check([jump], samples: samples, channels: channels, spatial: s)
        try Self.check([jump, firstFar], samples: samples, channels: channels, spatial: s)
    }
}
