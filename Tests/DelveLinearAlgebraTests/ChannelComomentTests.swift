import Foundation
import Testing
@testable import DelveLinearAlgebra

/// The channel co-moment kernel against the float64 two-pass reference and against `dsyrk` of the
/// centred (samples·HW) × C transpose, on every path the CPU runs (AVX-512 reads in place up to 16
/// channels and packs chunks of positions above; AVX2 always packs; portable reads in place).
@Suite("Channel co-moment kernel")
struct ChannelComomentTests {
    /// Deterministic values with a per-channel offset (so centring matters) from a 64-bit LCG.
    static func data(samples: Int, channels: Int, spatial: Int, seed: UInt64) -> [Float] {
        var state = seed &* 6364136223846793005 &+ 1442695040888963407
        var x = [Float](repeating: 0, count: samples * channels * spatial)
        for b in 0..<samples { for ch in 0..<channels { for p in 0..<spatial {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let u = Double(state >> 11) / Double(1 << 53)
            x[(b * channels + ch) * spatial + p] = Float(Double(ch) * 3.5 - 20 + 4 * (u - 0.5))
        } } }
        return x
    }

    /// Two-pass float64 reference: means, then Σ (x − μ)(x − μ)ᵀ over every (sample, position).
    static func reference(_ x: [Float], samples: Int, channels c: Int, spatial s: Int) -> (mean: [Double], moment: [Double]) {
        var mean = [Double](repeating: 0, count: c)
        for b in 0..<samples { for ch in 0..<c { for p in 0..<s { mean[ch] += Double(x[(b * c + ch) * s + p]) } } }
        let n = Double(samples * s)
        for ch in 0..<c { mean[ch] /= n }
        var moment = [Double](repeating: 0, count: c * c)
        for b in 0..<samples { for p in 0..<s { for i in 0..<c {
            let u = Double(x[(b * c + i) * s + p]) - mean[i]
            for j in i..<c { moment[i * c + j] += u * (Double(x[(b * c + j) * s + p]) - mean[j]) }
        } } }
        return (mean, moment)
    }

    static let paths = ChannelComoment.Path.allCases.filter { $0.rawValue <= ChannelComoment.Path.best.rawValue }

    @Test("equals the two-pass reference and dsyrk on random shapes (odd C, odd HW, tails)",
          arguments: [(1, 1, 1), (3, 1, 17), (2, 5, 7), (3, 4, 8), (2, 7, 33), (4, 9, 16), (1, 13, 1),
                      (3, 17, 15), (2, 32, 64), (2, 33, 49), (1, 64, 23), (2, 65, 9), (1, 128, 19), (1, 131, 16),
                      // Chunks of positions that end inside a sample and span sample boundaries (the
                      // packed paths take about 65 536 values per chunk), and many tiny samples per chunk.
                      (3, 40, 2000), (3, 128, 300), (2, 97, 1031), (9, 3, 5), (40, 24, 3)])
    func matchesReference(shape: (Int, Int, Int)) {
        let (samples, c, s) = shape
        let x = Self.data(samples: samples, channels: c, spatial: s, seed: UInt64(samples * 10_007 + c * 101 + s))
        let (mean, expected) = Self.reference(x, samples: samples, channels: c, spatial: s)
        // dsyrk of the centred (samples·HW) × C transpose.
        let n = samples * s
        var centred = [Double](repeating: 0, count: n * c)
        for b in 0..<samples { for p in 0..<s { for ch in 0..<c {
            centred[(b * s + p) * c + ch] = Double(x[(b * c + ch) * s + p]) - mean[ch]
        } } }
        var syrk = [Double](repeating: 0, count: c * c)
        BLAS.syrk(.upper, .transpose, n: c, k: n, alpha: 1, a: centred, lda: c, beta: 0, c: &syrk, ldc: c)
        for path in Self.paths {
            // Start from a non-zero M (the kernel adds); the lower triangle must stay untouched.
            var moment = [Double](repeating: 0, count: c * c)
            for i in 0..<c { for j in 0..<c { moment[i * c + j] = j >= i ? 1 : -7 } }
            x.withUnsafeBufferPointer { xp in
                ChannelComoment.add(xp.baseAddress!, samples: samples, channels: c, spatial: s, mean: mean,
                                    moment: &moment, ldm: c, path: path)
            }
            var worst = 0.0, worstSyrk = 0.0
            for i in 0..<c {
                for j in 0..<c {
                    if j < i { #expect(moment[i * c + j] == -7, "lower triangle written at (\(i), \(j)), \(path)"); continue }
                    let got = moment[i * c + j] - 1
                    let scale = (expected[i * c + i] * expected[j * c + j]).squareRoot() + 1e-300
                    worst = max(worst, abs(got - expected[i * c + j]) / scale)
                    worstSyrk = max(worstSyrk, abs(got - syrk[i * c + j]) / scale)
                }
            }
            #expect(worst < 1e-12, "\(path) \(shape): relative error \(worst) against the two-pass reference")
            #expect(worstSyrk < 1e-12, "\(path) \(shape): relative difference \(worstSyrk) against dsyrk")
        }
    }

    @Test("a prefetch range (`ahead`: the next block, or a chunk inside the call) leaves the results bit for bit the same")
    func aheadChangesNothing() {
        for (samples, c, s) in [(2, 32, 1024), (3, 128, 300), (2, 20, 16)] {
            let x = Self.data(samples: samples + 2, channels: c, spatial: s, seed: UInt64(c + s))
            let mean = Self.reference(x, samples: samples, channels: c, spatial: s).mean
            for path in Self.paths {
                var plain = [Double](repeating: 0, count: c * c), hinted = plain
                var plainSums = [Double](repeating: 0, count: c), hintedSums = plainSums
                x.withUnsafeBufferPointer { xp in
                    let base = xp.baseAddress!
                    ChannelComoment.add(base, samples: samples, channels: c, spatial: s, mean: mean, moment: &plain, ldm: c,
                                        sums: &plainSums, path: path)
                    ChannelComoment.add(base, samples: samples, channels: c, spatial: s, mean: mean, moment: &hinted, ldm: c,
                                        sums: &hintedSums, ahead: UnsafeBufferPointer(rebasing: xp[(samples * c * s)...]),
                                        path: path)
                }
                #expect(plain == hinted && plainSums == hintedSums, "C=\(c) HW=\(s) \(path)")
                #expect(plain[0] > 0)
            }
        }
    }

    @Test("a leading dimension larger than C leaves the padding alone; empty shapes do nothing")
    func strideAndEmpty() {
        let (samples, c, s) = (2, 5, 19), ldm = 8
        let x = Self.data(samples: samples, channels: c, spatial: s, seed: 3)
        let (mean, expected) = Self.reference(x, samples: samples, channels: c, spatial: s)
        for path in Self.paths {
            var moment = [Double](repeating: 0.5, count: c * ldm)
            x.withUnsafeBufferPointer { xp in
                ChannelComoment.add(xp.baseAddress!, samples: samples, channels: c, spatial: s, mean: mean,
                                    moment: &moment, ldm: ldm, path: path)
                ChannelComoment.add(xp.baseAddress!, samples: 0, channels: c, spatial: s, mean: mean,
                                    moment: &moment, ldm: ldm, path: path)
            }
            for i in 0..<c {
                for j in 0..<ldm {
                    let v = moment[i * ldm + j]
                    if j >= i && j < c {
                        #expect(abs(v - 0.5 - expected[i * c + j]) <= 1e-12 * expected[i * c + i].magnitude + 1e-12)
                    } else {
                        #expect(v == 0.5, "(\(i), \(j)) written, \(path)")
                    }
                }
            }
        }
    }

    @Test("with sums: centred on a shift s, the kernel adds S = Σ (x − s)(x − s)ᵀ and t = Σ (x − s); S − t tᵀ/n is the two-pass co-moment",
          arguments: [(3, 5, 37), (2, 16, 64), (2, 21, 1023), (3, 64, 130), (1, 128, 77)])
    func shiftedWithSums(samples: Int, c: Int, s: Int) {
        let x = Self.data(samples: samples, channels: c, spatial: s, seed: UInt64(7 * c + s))
        let expected = Self.reference(x, samples: samples, channels: c, spatial: s)
        // A shift a few σ (≈ 1.2) from each channel's mean; the sums start non-zero (the kernel adds).
        let shift = expected.mean.enumerated().map { $0.element + 3 + 0.25 * Double($0.offset % 4) }
        var sumsRef = [Double](repeating: 0.5, count: c)
        for b in 0..<samples { for ch in 0..<c { for p in 0..<s { sumsRef[ch] += Double(x[(b * c + ch) * s + p]) - shift[ch] } } }
        let n = Double(samples * s)
        for path in Self.paths {
            var moment = [Double](repeating: 0, count: c * c), sums = [Double](repeating: 0.5, count: c)
            x.withUnsafeBufferPointer { xp in
                ChannelComoment.add(xp.baseAddress!, samples: samples, channels: c, spatial: s, mean: shift,
                                    moment: &moment, ldm: c, sums: &sums, path: path)
            }
            for ch in 0..<c {
                #expect(abs(sums[ch] - sumsRef[ch]) <= 1e-12 * n * 4, "t[\(ch)] \(sums[ch]) vs \(sumsRef[ch]), \(path)")
            }
            var worst = 0.0
            for i in 0..<c {
                for j in i..<c {
                    let ti = sums[i] - 0.5, tj = sums[j] - 0.5
                    let centred = moment[i * c + j] - ti * tj / n
                    let scale = (expected.moment[i * c + i] * expected.moment[j * c + j]).squareRoot()
                    worst = max(worst, abs(centred - expected.moment[i * c + j]) / scale)
                }
            }
            #expect(worst < 1e-12, "C=\(c) HW=\(s) samples=\(samples) \(path): worst relative error \(worst)")
        }
    }

    @Test("threads at once, each with its own shape, get the single-thread results (per-thread scratch)")
    func concurrentCalls() {
        let shapes = [(2, 48, 700), (3, 128, 129), (4, 20, 333), (2, 77, 257)]
        let inputs = shapes.enumerated().map { k, shape in
            Self.data(samples: shape.0, channels: shape.1, spatial: shape.2, seed: UInt64(91 + k))
        }
        let means = zip(shapes, inputs).map { shape, x in Self.reference(x, samples: shape.0, channels: shape.1, spatial: shape.2).mean }
        @Sendable func run(_ k: Int) -> [Double] {
            let (samples, c, s) = shapes[k]
            var moment = [Double](repeating: 0, count: c * c)
            inputs[k].withUnsafeBufferPointer { xp in
                ChannelComoment.add(xp.baseAddress!, samples: samples, channels: c, spatial: s, mean: means[k],
                                    moment: &moment, ldm: c)
            }
            return moment
        }
        let alone = shapes.indices.map(run)
        let results = ResultBox(count: 3 * shapes.count)
        DispatchQueue.concurrentPerform(iterations: 3 * shapes.count) { i in results.set(i, run(i % shapes.count)) }
        for i in 0..<(3 * shapes.count) {
            #expect(results.get(i) == alone[i % shapes.count], "call \(i), shape \(shapes[i % shapes.count])")
        }
    }

    /// Results written by concurrent iterations, one slot each.
    final class ResultBox: @unchecked Sendable {
        private var slots: [[Double]]
        private let lock = NSLock()
        init(count: Int) { slots = Array(repeating: [], count: count) }
        func set(_ i: Int, _ v: [Double]) { lock.withLock { slots[i] = v } }
        func get(_ i: Int) -> [Double] { lock.withLock { slots[i] } }
    }

    @Test("the run-time choice is a path this CPU has; the engine's shape rule")
    func dispatch() {
        #expect(Self.paths.contains(.portable) && Self.paths.last == .best)
        #expect(ChannelComoment.accepts(channels: 32, spatial: 1024))
        #expect(ChannelComoment.accepts(channels: 1, spatial: 16))
        #expect(ChannelComoment.accepts(channels: 128, spatial: 16))
        #expect(!ChannelComoment.accepts(channels: 129, spatial: 1024))
        #expect(!ChannelComoment.accepts(channels: 32, spatial: 15))
        // Float32 mode's float32-product kernel: from HW = 128 on, within the kernel's shapes.
        #expect(ChannelComoment.prefersFloat32(channels: 32, spatial: 1024))
        #expect(ChannelComoment.prefersFloat32(channels: 128, spatial: 128))
        #expect(!ChannelComoment.prefersFloat32(channels: 32, spatial: 127, path: .avx2))
        #expect(ChannelComoment.prefersFloat32(channels: 32, spatial: 64, path: .avx512))
        #expect(!ChannelComoment.prefersFloat32(channels: 32, spatial: 63, path: .avx512))
        #expect(!ChannelComoment.prefersFloat32(channels: 8, spatial: 127, path: .portable))
        #expect(!ChannelComoment.prefersFloat32(channels: 129, spatial: 1024))
        #expect(!ChannelComoment.accepts(channels: 0, spatial: 64))
    }
}

/// Float32 mode's kernel (`ChannelComoment.addInFloat32`): float32 products, float64 sums, against the
/// float64 two-pass reference at float32 mode's tolerance (1e-5 relative to √(M_ii·M_jj)), on every path.
@Suite("Channel co-moment kernel, float32 products")
struct ChannelComomentFloat32Tests {
    typealias Base = ChannelComomentTests

    @Test("S − t tᵀ/n equals the two-pass co-moment within 1e-5; t equals Σ (x − s) in float64",
          arguments: [(1, 1, 1), (3, 1, 17), (2, 5, 7), (2, 7, 33), (4, 9, 16), (3, 17, 15), (2, 32, 64),
                      (2, 33, 49), (1, 64, 23), (2, 65, 9), (1, 128, 19), (1, 131, 16), (2, 32, 1024),
                      // More than 256 products per lane on every path (flushes inside a sample and at its end).
                      (3, 9, 2000), (2, 12, 4096 + 37), (40, 24, 3),
                      // More channels than the kernel keeps float32 shifts for on the stack.
                      (1, 300, 20),
                      // AVX-512 packs rows shorter than 128: a flush inside a chunk, several chunks.
                      (60, 1, 100), (9, 128, 100)])
    func matchesReference(shape: (Int, Int, Int)) {
        let (samples, c, s) = shape
        let x = Base.data(samples: samples, channels: c, spatial: s, seed: UInt64(samples * 7919 + c * 31 + s))
        let expected = Base.reference(x, samples: samples, channels: c, spatial: s)
        // A float32-representable shift near each channel's mean.
        let shift = expected.mean.enumerated().map { Double(Float($0.element + 0.1 * Double($0.offset % 3))) }
        var sumsRef = [Double](repeating: 0, count: c)
        for b in 0..<samples { for ch in 0..<c { for p in 0..<s { sumsRef[ch] += Double(x[(b * c + ch) * s + p]) - shift[ch] } } }
        let n = Double(samples * s)
        var worstAll = 0.0
        for path in Base.paths {
            var moment = [Double](repeating: 0, count: c * c), sums = [Double](repeating: 0.5, count: c)
            for i in 0..<c { for j in 0..<c { moment[i * c + j] = j >= i ? 1 : -7 } }
            let ok = x.withUnsafeBufferPointer { xp in
                ChannelComoment.addInFloat32(xp.baseAddress!, samples: samples, channels: c, spatial: s, shift: shift,
                                             moment: &moment, ldm: c, sums: &sums, path: path)
            }
            #expect(ok, "\(path) \(shape) reported a non-finite partial")
            var worst = 0.0
            for i in 0..<c {
                #expect(abs(sums[i] - 0.5 - sumsRef[i]) <= 1e-12 * n * 4, "t[\(i)] \(sums[i] - 0.5) vs \(sumsRef[i]), \(path)")
                for j in 0..<c {
                    if j < i { #expect(moment[i * c + j] == -7, "lower triangle written at (\(i), \(j)), \(path)"); continue }
                    let ti = sums[i] - 0.5, tj = sums[j] - 0.5
                    let centred = moment[i * c + j] - 1 - ti * tj / n
                    let scale = (expected.moment[i * c + i] * expected.moment[j * c + j]).squareRoot() + 1e-300
                    worst = max(worst, abs(centred - expected.moment[i * c + j]) / scale)
                }
            }
            #expect(worst < 1e-5, "\(path) \(shape): relative error \(worst) against the two-pass reference")
            worstAll = max(worstAll, worst)
        }
        // The products really are float32 (float64 would be within 1e-13 here).
        if samples * s >= 64 { #expect(worstAll > 1e-10, "\(shape): error \(worstAll) looks like float64") }
    }

    @Test("threads at once (AVX-512 packs short rows into the per-thread scratch) get the single-thread results")
    func concurrentCalls() {
        let shapes = [(9, 128, 100), (20, 24, 49), (3, 64, 300), (40, 32, 16)]
        let inputs = shapes.enumerated().map { k, shape in
            Base.data(samples: shape.0, channels: shape.1, spatial: shape.2, seed: UInt64(191 + k))
        }
        let shifts = zip(shapes, inputs).map { shape, x in
            Base.reference(x, samples: shape.0, channels: shape.1, spatial: shape.2).mean.map { Double(Float($0)) }
        }
        @Sendable func run(_ k: Int) -> [Double] {
            let (samples, c, s) = shapes[k]
            var moment = [Double](repeating: 0, count: c * c), sums = [Double](repeating: 0, count: c)
            let ok = inputs[k].withUnsafeBufferPointer { xp in
                ChannelComoment.addInFloat32(xp.baseAddress!, samples: samples, channels: c, spatial: s, shift: shifts[k],
                                             moment: &moment, ldm: c, sums: &sums)
            }
            return ok ? moment + sums : []
        }
        let alone = shapes.indices.map(run)
        #expect(alone.allSatisfy { !$0.isEmpty && $0[0] > 0 })
        let results = Base.ResultBox(count: 3 * shapes.count)
        DispatchQueue.concurrentPerform(iterations: 3 * shapes.count) { i in results.set(i, run(i % shapes.count)) }
        for i in 0..<(3 * shapes.count) {
            #expect(results.get(i) == alone[i % shapes.count], "call \(i), shape \(shapes[i % shapes.count])")
        }
    }

    @Test("values near 1e20 (squares beyond float32) and NaN are reported, not returned as numbers")
    func overflowReported() {
        let (samples, c, s) = (2, 20, 37)
        var x = Base.data(samples: samples, channels: c, spatial: s, seed: 5)
        let shift = [Double](repeating: 0, count: c)
        for path in Base.paths {
            // In range: accepted.
            var moment = [Double](repeating: 0, count: c * c)
            let fine = x.withUnsafeBufferPointer {
                ChannelComoment.addInFloat32($0.baseAddress!, samples: samples, channels: c, spatial: s, shift: shift,
                                             moment: &moment, ldm: c, path: path)
            }
            #expect(fine, "\(path)")
        }
        for (index, value) in [((1 * c + 17) * s + 36, Float(1e20)), ((0 * c + 3) * s + 5, Float(-2e19)),
                               ((1 * c + 0) * s + 0, Float.nan)] {
            let saved = x[index]
            x[index] = value
            for path in Base.paths {
                var moment = [Double](repeating: 0, count: c * c)
                let ok = x.withUnsafeBufferPointer {
                    ChannelComoment.addInFloat32($0.baseAddress!, samples: samples, channels: c, spatial: s, shift: shift,
                                                 moment: &moment, ldm: c, path: path)
                }
                #expect(!ok, "\(path): \(value) at \(index) accepted")
            }
            x[index] = saved
        }
        // A shift that is not finite in float32 is declined too.
        var moment = [Double](repeating: 0, count: c * c)
        let big = [Double](repeating: 1e39, count: c)
        let ok = x.withUnsafeBufferPointer {
            ChannelComoment.addInFloat32($0.baseAddress!, samples: samples, channels: c, spatial: s, shift: big,
                                         moment: &moment, ldm: c)
        }
        #expect(!ok)
    }
}
