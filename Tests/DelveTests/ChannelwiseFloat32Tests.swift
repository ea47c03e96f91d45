import DelveLinearAlgebra
import Testing
@testable import Delve

/// Float32 mode on the float32-product kernel's shapes (C ≤ 128, HW ≥ 128): against float64 mode and the
/// two-pass reference, and the float64 redo of blocks whose float32 products overflow.
@Suite("Channelwise float32 mode (float32 kernel)")
struct ChannelwiseFloat32Tests {
    /// NCHW batch of channel offsets 2·ch − 5 and scale `scale`.
    static func batch(_ rng: inout CovarianceTestRandom, samples: Int, channels c: Int, spatial s: Int,
                      scale: Double) -> [Float] {
        var x = [Float](repeating: 0, count: samples * c * s)
        for b in 0..<samples { for ch in 0..<c { for p in 0..<s {
            x[(b * c + ch) * s + p] = Float(Double(2 * ch - 5) + scale * rng.gaussian())
        } } }
        return x
    }

    /// The two-pass reference over all observations of `batches`.
    static func reference(_ batches: [[Float]], samples: Int, channels c: Int, spatial s: Int) -> (mean: [Double], cov: [Double]) {
        var rows: [[Double]] = []
        for x in batches {
            for b in 0..<samples { for p in 0..<s { rows.append((0..<c).map { Double(x[(b * c + $0) * s + p]) }) } }
        }
        return covarianceReference(rows, features: c)
    }

    @Test("float32 mode is within 1e-5 of the reference, really float32, with a float64-exact mean",
          arguments: [(4, 32, 1024), (6, 7, 133), (3, 128, 128), (5, 64, 49)])
    func accuracy(samples: Int, channels c: Int, spatial s: Int) throws {
        guard ChannelComoment.prefersFloat32(channels: c, spatial: s) else {
            // (5, 64, 49) takes the float32 kernel on AVX-512 only.
            #expect(s < 128 && ChannelComoment.Path.best != .avx512)
            return
        }
        var rng = CovarianceTestRandom(seed: 77)
        let batches = (0..<3).map { _ in Self.batch(&rng, samples: samples, channels: c, spatial: s, scale: 1.5) }
        let reference = Self.reference(batches, samples: samples, channels: c, spatial: s)
        let fast = CovarianceAccumulator(features: c, precision: .float32)
        let exact = CovarianceAccumulator(features: c)
        for x in batches {
            try x.withUnsafeBufferPointer { try fast.updateChannelwise($0, batch: samples, channels: c, spatial: s) }
            try x.withUnsafeBufferPointer { try exact.updateChannelwise($0, batch: samples, channels: c, spatial: s) }
        }
        let error = ChannelwiseShiftTests.worstError(fast.covariance(), reference.cov, features: c)
        #expect(error < 1e-5, "float32 mode worst relative error \(error)")
        #expect(ChannelwiseShiftTests.worstError(exact.covariance(), reference.cov, features: c) < 1e-12)
        #expect(error > 1e-10, "float32 mode error \(error): not float32 products")
        #expect(relativeError(fast.mean, reference.mean) < 1e-13)
    }

    @Test("a batch near 1e20 (float32 squares overflow) is redone in float64: finite and within 1e-5")
    func hugeValuesRedone() throws {
        var rng = CovarianceTestRandom(seed: 78)
        let (samples, c, s) = (2, 32, 128)
        #expect(ChannelComoment.prefersFloat32(channels: c, spatial: s))
        let batches = [1.0, 1e20, 1.0].map { Self.batch(&rng, samples: samples, channels: c, spatial: s, scale: $0) }
        let reference = Self.reference(batches, samples: samples, channels: c, spatial: s)
        let fast = CovarianceAccumulator(features: c, precision: .float32)
        for x in batches {
            try x.withUnsafeBufferPointer { try fast.updateChannelwise($0, batch: samples, channels: c, spatial: s) }
        }
        let cov = fast.covariance()
        #expect(cov.allSatisfy { $0.isFinite }, "float32 mode gave a non-finite covariance")
        #expect(relativeError(cov, reference.cov) < 1e-5)
        #expect(relativeError(fast.mean, reference.mean) < 1e-13)
    }
}
