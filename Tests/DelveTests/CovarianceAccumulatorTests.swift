import Foundation
import Testing
@testable import Delve

/// Deterministic random numbers for the covariance tests (SplitMix64 + Box–Muller).
struct CovarianceTestRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }
    mutating func gaussian() -> Double {
        let u = max(uniform(), 1e-300), v = uniform()
        return (-2 * Foundation.log(u)).squareRoot() * Foundation.cos(2 * Double.pi * v)
    }
    /// rows×d correlated Gaussian data: x = offset + z·L with a fixed mixing, so the covariance is not diagonal.
    mutating func batch(rows: Int, features d: Int, offset: Double = 0, scale: Double = 1) -> [Double] {
        var out = [Double](repeating: 0, count: rows * d)
        for r in 0..<rows {
            var previous = 0.0
            for j in 0..<d {
                let z = gaussian()
                out[r * d + j] = offset + scale * (z + 0.5 * previous) * Double(j + 1) / Double(d)
                previous = z
            }
        }
        return out
    }
}

/// Two-pass float64 reference: mean, then Σ(x − μ)(x − μ)ᵀ / divisor, full D×D.
func covarianceReference(_ rows: [[Double]], features d: Int, unbiased: Bool = false) -> (mean: [Double], cov: [Double]) {
    let all = rows.flatMap { $0 }
    let n = all.count / d
    var mean = [Double](repeating: 0, count: d)
    for r in 0..<n { for j in 0..<d { mean[j] += all[r * d + j] } }
    for j in 0..<d { mean[j] /= Double(n) }
    var cov = [Double](repeating: 0, count: d * d)
    for r in 0..<n {
        for i in 0..<d {
            for j in 0..<d { cov[i * d + j] += (all[r * d + i] - mean[i]) * (all[r * d + j] - mean[j]) }
        }
    }
    let divisor = Double(unbiased ? n - 1 : n)
    return (mean, cov.map { $0 / divisor })
}

/// max |a − b| / max |b|.
func relativeError(_ a: [Double], _ b: [Double]) -> Double {
    precondition(a.count == b.count)
    let scale = b.map(abs).max() ?? 0
    let err = zip(a, b).map { abs($0 - $1) }.max() ?? 0
    return scale == 0 ? err : err / scale
}

@Suite("CovarianceAccumulator")
struct CovarianceAccumulatorTests {
    @Test("matches a two-pass float64 reference over batches of different sizes (float32 and float64 input)")
    func matchesReference() throws {
        var rng = CovarianceTestRandom(seed: 1)
        let d = 7
        let batches = [5, 1, 13, 32, 2].map { rng.batch(rows: $0, features: d, offset: 3) }
        let fromFloat = CovarianceAccumulator(features: d, name: "fc1")
        let fromDouble = CovarianceAccumulator(features: d)
        for b in batches {
            try fromFloat.update(b.map { Float($0) }, rows: b.count / d)
            try fromDouble.update(b, rows: b.count / d)
        }
        let reference = covarianceReference(batches, features: d)
        let referenceSample = covarianceReference(batches, features: d, unbiased: true)
        #expect(fromDouble.count == 53)
        #expect(fromDouble.batchCount == 5)
        #expect(relativeError(fromDouble.covariance(), reference.cov) < 1e-12)
        #expect(relativeError(fromDouble.covariance(unbiased: true), referenceSample.cov) < 1e-12)
        #expect(relativeError(fromDouble.mean, reference.mean) < 1e-13)
        let floatReference = covarianceReference(batches.map { $0.map { Double(Float($0)) } }, features: d)
        #expect(relativeError(fromFloat.covariance(), floatReference.cov) < 1e-12)
        let trace = (0..<d).map { reference.cov[$0 * d + $0] }.reduce(0, +)
        #expect(abs(fromDouble.covarianceTrace() - trace) < 1e-12 * trace)
        // Symmetric output.
        let c = fromDouble.covariance()
        for i in 0..<d { for j in 0..<d { #expect(c[i * d + j] == c[j * d + i]) } }
    }

    @Test("mean 1e6, std 1: ≥ 10 significant digits against the two-pass reference")
    func stableForLargeMean() throws {
        var rng = CovarianceTestRandom(seed: 2)
        let d = 6
        let batches = (0..<20).map { _ in rng.batch(rows: 64, features: d, offset: 1e6) }
        let acc = CovarianceAccumulator(features: d)
        for b in batches { try acc.update(b, rows: 64) }
        let reference = covarianceReference(batches, features: d)
        #expect(relativeError(acc.covariance(), reference.cov) < 1e-10)
    }

    @Test("the naive one-pass formula E[xxᵀ] − μμᵀ loses those digits")
    func naiveFormulaLosesDigits() {
        var rng = CovarianceTestRandom(seed: 2)
        let d = 6
        let batches = (0..<20).map { _ in rng.batch(rows: 64, features: d, offset: 1e6) }
        // Naive: running Σx and Σxxᵀ, then Σxxᵀ/n − μμᵀ (what Delve 0.1.50 does).
        var sum = [Double](repeating: 0, count: d), products = [Double](repeating: 0, count: d * d)
        var n = 0
        for b in batches {
            for r in 0..<(b.count / d) {
                n += 1
                for i in 0..<d {
                    sum[i] += b[r * d + i]
                    for j in 0..<d { products[i * d + j] += b[r * d + i] * b[r * d + j] }
                }
            }
        }
        var naive = [Double](repeating: 0, count: d * d)
        for i in 0..<d { for j in 0..<d {
            naive[i * d + j] = products[i * d + j] / Double(n) - sum[i] / Double(n) * sum[j] / Double(n)
        } }
        let reference = covarianceReference(batches, features: d)
        let error = relativeError(naive, reference.cov)
        #expect(error > 1e-7, "naive relative error \(error) should be far above the stable 1e-10")
    }

    @Test("float32 mode stays within 1e-5 relative of float64 mode")
    func float32Mode() throws {
        var rng = CovarianceTestRandom(seed: 3)
        let d = 64
        let exact = CovarianceAccumulator(features: d)
        let fast = CovarianceAccumulator(features: d, precision: .float32)
        for _ in 0..<8 {
            let b = rng.batch(rows: 256, features: d, offset: 5).map { Float($0) }
            try exact.update(b, rows: 256)
            try fast.update(b, rows: 256)
        }
        let error = relativeError(fast.covariance(), exact.covariance())
        #expect(error < 1e-5)
        #expect(error > 0)   // it really ran in float32
        #expect(relativeError(fast.mean, exact.mean) < 1e-14)
    }

    @Test("float32 mode keeps the large-mean data accurate too (centring happens in float64 first)")
    func float32ModeLargeMean() throws {
        var rng = CovarianceTestRandom(seed: 12)
        let d = 6
        let batches = (0..<10).map { _ in rng.batch(rows: 64, features: d, offset: 1e6) }
        let fast = CovarianceAccumulator(features: d, precision: .float32)
        for b in batches { try fast.update(b, rows: 64) }
        let reference = covarianceReference(batches, features: d)
        let error = relativeError(fast.covariance(), reference.cov)
        #expect(error < 1e-6, "float32 mode relative error \(error)")
    }

    @Test("float32 mode: batches whose squares overflow float32 are accumulated in float64, not turned into ∞")
    func float32ModeHugeValues() throws {
        // Centred values of ±3e19 square to 9e38, beyond float32's 3.4e38 but far inside float64.
        var rng = CovarianceTestRandom(seed: 21)
        let d = 3, rows = 16
        let batches: [[Float]] = (0..<3).map { k in
            (0..<(rows * d)).map { i in Float(rng.gaussian() * (k == 1 ? 3e19 : 1) + Double(i % d)) }
        }
        let exact = CovarianceAccumulator(features: d)
        let fast = CovarianceAccumulator(features: d, precision: .float32)
        for b in batches {
            try exact.update(b, rows: rows)
            try fast.update(b, rows: rows)
        }
        let cov = fast.covariance()
        #expect(cov.allSatisfy { $0.isFinite }, "float32 mode gave \(cov)")
        #expect(relativeError(cov, exact.covariance()) < 1e-5)
        // The same through the channelwise path (one sample, d channels, `rows` positions).
        let conv = CovarianceAccumulator(features: d, precision: .float32)
        let reference = CovarianceAccumulator(features: d)
        for b in batches {
            var nchw = [Float](repeating: 0, count: b.count)
            for r in 0..<rows { for c in 0..<d { nchw[c * rows + r] = b[r * d + c] } }
            try nchw.withUnsafeBufferPointer { try conv.updateChannelwise($0, batch: 1, channels: d, spatial: rows) }
            try reference.update(b, rows: rows)
        }
        let convCov = conv.covariance()
        #expect(convCov.allSatisfy { $0.isFinite }, "float32 channelwise gave \(convCov)")
        #expect(relativeError(convCov, reference.covariance()) < 1e-5)
    }

    @Test("updateChannelwise equals update on the (batch·spatial)×channels transpose", arguments: AccumulationPrecision.allCases)
    func channelwise(precision: AccumulationPrecision) throws {
        var rng = CovarianceTestRandom(seed: 4)
        let (batch, channels, spatial) = (3, 5, 12)
        let conv = CovarianceAccumulator(features: channels, precision: precision)
        let rows = CovarianceAccumulator(features: channels)
        for _ in 0..<3 {
            let nchw = (0..<(batch * channels * spatial)).map { _ in Float(rng.gaussian() * 2 + 1) }
            var transposed = [Float](repeating: 0, count: nchw.count)
            for b in 0..<batch { for c in 0..<channels { for s in 0..<spatial {
                transposed[(b * spatial + s) * channels + c] = nchw[(b * channels + c) * spatial + s]
            } } }
            try nchw.withUnsafeBufferPointer { try conv.updateChannelwise($0, batch: batch, channels: channels, spatial: spatial) }
            try rows.update(transposed, rows: batch * spatial)
        }
        #expect(conv.count == 3 * batch * spatial)
        let tolerance = precision == .float64 ? 1e-12 : 1e-5
        #expect(relativeError(conv.covariance(), rows.covariance()) < tolerance)
        #expect(relativeError(conv.mean, rows.mean) < 1e-13)
    }

    @Test("blocked row update (several syrk blocks per batch) matches the reference", arguments: AccumulationPrecision.allCases)
    func rowBlocks(precision: AccumulationPrecision) throws {
        var rng = CovarianceTestRandom(seed: 13)
        let d = 5
        let batches = [17, 5, 1, 12].map { rng.batch(rows: $0, features: d, offset: 2) }
        let blocked = CovarianceAccumulator(features: d, precision: precision)
        blocked.maxRowsPerBlock = 4
        blocked.maxPendingRows = 1   // no batch waits: each goes straight through blocks of 4 rows
        for b in batches { try blocked.update(b, rows: b.count / d) }
        let reference = covarianceReference(batches, features: d)
        #expect(relativeError(blocked.covariance(), reference.cov) < (precision == .float64 ? 1e-12 : 1e-6))
        #expect(relativeError(blocked.mean, reference.mean) < 1e-13)
        #expect(blocked.scratch64Capacity <= 5 * d || precision == .float32)
    }

    @Test("blocked channelwise update (several cache-sized blocks per batch) is exact", arguments: AccumulationPrecision.allCases)
    func channelwiseBlocks(precision: AccumulationPrecision) throws {
        var rng = CovarianceTestRandom(seed: 8)
        let (batch, channels, spatial) = (3, 8, 4096)
        #expect(CovarianceAccumulator.channelwiseChunk(channels: channels, spatial: spatial, batch: batch) == 2)
        let conv = CovarianceAccumulator(features: channels, precision: precision)
        let rows = CovarianceAccumulator(features: channels)
        for round in 0..<2 {
            let nchw = (0..<(batch * channels * spatial)).map { _ in Float(rng.gaussian() + Double(round) * 3) }
            var transposed = [Float](repeating: 0, count: nchw.count)
            for b in 0..<batch { for c in 0..<channels { for s in 0..<spatial {
                transposed[(b * spatial + s) * channels + c] = nchw[(b * channels + c) * spatial + s]
            } } }
            try nchw.withUnsafeBufferPointer { try conv.updateChannelwise($0, batch: batch, channels: channels, spatial: spatial) }
            try rows.update(transposed, rows: batch * spatial)
        }
        let tolerance = precision == .float64 ? 1e-12 : 1e-5
        #expect(relativeError(conv.covariance(), rows.covariance()) < tolerance)
        #expect(relativeError(conv.mean, rows.mean) < 1e-13)
        // A NaN in the last block (sample 2, channel 5, position 7) is found after earlier blocks were
        // processed, yet the accumulator stays unchanged.
        let before = conv.serialized()
        var bad = [Float](repeating: 0.5, count: batch * channels * spatial)
        bad[(2 * channels + 5) * spatial + 7] = .nan
        do {
            try bad.withUnsafeBufferPointer { try conv.updateChannelwise($0, batch: batch, channels: channels, spatial: spatial) }
            Issue.record("NaN was accepted")
        } catch let error as CovarianceError {
            guard case let .nonFinite(_, batchIndex, row, feature, _) = error else { Issue.record("wrong error \(error)"); return }
            #expect(batchIndex == 3 && row == 2 * spatial + 7 && feature == 5)
        } catch {
            Issue.record("unexpected error \(error)")
        }
        #expect(conv.serialized() == before)
    }

    @Test("channelwise batches split across threads equal one thread and the transposed reference",
          arguments: AccumulationPrecision.allCases)
    func channelwiseWorkers(precision: AccumulationPrecision) throws {
        var rng = CovarianceTestRandom(seed: 21)
        let (batch, channels, spatial) = (7, 5, 1500)   // 2–3 samples per worker
        let reference = CovarianceAccumulator(features: channels)
        var split: [CovarianceAccumulator] = []
        for threads in [1, 2, 3] {
            let acc = CovarianceAccumulator(features: channels, precision: precision)
            acc.maxChannelwiseThreads = threads
            acc.channelwiseParallelWork = 0
            split.append(acc)
        }
        for round in 0..<3 {
            let nchw = (0..<(batch * channels * spatial)).map { _ in Float(rng.gaussian() * 1.5 + Double(round) * 4 - 2) }
            var transposed = [Float](repeating: 0, count: nchw.count)
            for b in 0..<batch { for c in 0..<channels { for s in 0..<spatial {
                transposed[(b * spatial + s) * channels + c] = nchw[(b * channels + c) * spatial + s]
            } } }
            for acc in split {
                try nchw.withUnsafeBufferPointer { try acc.updateChannelwise($0, batch: batch, channels: channels, spatial: spatial) }
            }
            try reference.update(transposed, rows: batch * spatial)
        }
        #expect(split[1].channelwiseWorkspaces.count == 2 && split[2].channelwiseWorkspaces.count == 3)
        let tolerance = precision == .float64 ? 1e-12 : 1e-5
        for acc in split {
            #expect(acc.count == 3 * batch * spatial)
            #expect(relativeError(acc.covariance(), reference.covariance()) < tolerance)
            #expect(relativeError(acc.mean, reference.mean) < 1e-13)
        }
        // A NaN in the last worker's range (sample 6, channel 1, position 9) is reported with its
        // observation row and leaves the state unchanged; so is one in the first worker's range.
        for (sample, channel, position) in [(6, 1, 9), (0, 4, 1499)] {
            let acc = split[2]
            let before = acc.serialized()
            var bad = [Float](repeating: 0.25, count: batch * channels * spatial)
            bad[(sample * channels + channel) * spatial + position] = -.infinity
            bad[(6 * channels + 0) * spatial + 1499] = sample == 0 ? .nan : 0.25   // a later one must not win
            #expect(throws: CovarianceError.nonFinite(layer: "", batch: 4, row: sample * spatial + position,
                                                       feature: channel, value: -.infinity)) {
                try bad.withUnsafeBufferPointer { try acc.updateChannelwise($0, batch: batch, channels: channels, spatial: spatial) }
            }
            #expect(acc.serialized() == before)
        }
    }

    @Test("NaN or ∞ in a batch: the error names layer, batch, row and feature; the state is unchanged")
    func nonFiniteRejected() throws {
        let acc = CovarianceAccumulator(features: 3, name: "conv2")
        try acc.update([1, 2, 3, 4, 5, 7] as [Float], rows: 2)
        let before = acc.serialized()
        #expect(throws: CovarianceError.nonFinite(layer: "conv2", batch: 2, row: 1, feature: 2, value: .infinity)) {
            try acc.update([1, 2, 3, 4, 5, .infinity] as [Float], rows: 2)
        }
        do {
            try acc.update([1, 2, 3, 4, .nan, 6] as [Double], rows: 2)
            Issue.record("NaN was accepted")
        } catch {
            guard case let .nonFinite(layer, batch, row, feature, value) = error else {
                Issue.record("wrong error \(error)"); return
            }
            #expect(layer == "conv2" && batch == 2 && row == 1 && feature == 1 && value.isNaN)
            #expect(error.description.contains("conv2") && error.description.contains("batch 2"))
        }
        #expect(acc.serialized() == before)
        // Channelwise: sample 1, channel 2, position 1 → observation row 1·2 + 1 = 3.
        let conv = CovarianceAccumulator(features: 3, name: "c")
        var data = [Float](repeating: 1, count: 2 * 3 * 2)
        data[(1 * 3 + 2) * 2 + 1] = -.infinity
        #expect(throws: CovarianceError.nonFinite(layer: "c", batch: 1, row: 3, feature: 2, value: -.infinity)) {
            try data.withUnsafeBufferPointer { try conv.updateChannelwise($0, batch: 2, channels: 3, spatial: 2) }
        }
        #expect(conv.count == 0 && conv.batchCount == 0)
    }

    @Test("values whose squares overflow float64 are rejected without changing the state")
    func overflowRejected() throws {
        let acc = CovarianceAccumulator(features: 2, name: "big")
        try acc.update([1, 2] as [Double], rows: 1)
        let before = acc.serialized()
        #expect(throws: CovarianceError.overflow(layer: "big", batch: 2)) {
            try acc.update([1e300, 0, -1e300, 0] as [Double], rows: 2)
        }
        #expect(acc.serialized() == before)
    }

    @Test("the overflow check's running bound falls back to the diagonal: no batch is rejected early")
    func overflowBoundFallsBack() throws {
        // Each batch [a, 0; −a, 0] adds 2a² to the diagonal but is bounded by (2·2a)²·2 = 32a²: the sum
        // of the bounds passes float64's limit / 4 long before the diagonal does.
        let a = 1e152, limit = Double.greatestFiniteMagnitude / 4
        let acc = CovarianceAccumulator(features: 2, name: "big")
        acc.maxPendingRows = 2   // every batch goes straight into the co-moment
        var accepted = 0
        while true {
            let before = acc.serialized()
            do {
                try acc.update([a, 0, -a, 0] as [Double], rows: 2)
                accepted += 1
            } catch {
                #expect(error == .overflow(layer: "big", batch: accepted + 1))
                #expect(acc.serialized() == before)
                break
            }
        }
        // The diagonal is 2a² per batch; the rejected batch's bound 32a² no longer fits beside it.
        let diagonal = 2 * a * a * Double(accepted)
        #expect(diagonal + 32 * a * a >= limit && diagonal - 2 * a * a + 32 * a * a < limit)
        #expect(accepted > 2000)   // the bounds alone would stop after 140
        let c = acc.covariance()
        #expect(abs(c[0] - diagonal / Double(2 * accepted)) <= 1e-12 * c[0])   // M / n

        // A merged or restored state starts with an unknown bound: the diagonal is read, nothing is lost.
        let merged = CovarianceAccumulator(features: 2, name: "big")
        try merged.merge(acc)
        #expect(merged.diagonalBound == .infinity)
        let restored = try CovarianceAccumulator(serialized: acc.serialized())
        #expect(restored.diagonalBound == .infinity)
        for copy in [merged, restored] {
            #expect(throws: CovarianceError.overflow(layer: "big", batch: accepted + 1)) {
                try copy.update([a, 0, -a, 0] as [Double], rows: 2)
            }
            try copy.update([1, 0, -1, 0] as [Double], rows: 2)   // small: fits
            #expect(copy.diagonalBound < limit)
        }
    }

    @Test("shape errors are clear and do not crash")
    func shapeErrors() throws {
        let acc = CovarianceAccumulator(features: 4, name: "fc")
        #expect(throws: CovarianceError.bufferSize(layer: "fc", batch: 1, shape: "rows × features = 2 × 4", expected: 8, count: 7)) {
            try acc.update([Float](repeating: 0, count: 7), rows: 2)
        }
        #expect(throws: CovarianceError.invalidSize(layer: "fc", argument: "rows", value: -1)) {
            try acc.update([Float](), rows: -1)
        }
        #expect(throws: CovarianceError.featureMismatch(layer: "fc", context: "updateChannelwise (channels of NCHW batch 1)", expected: 4, found: 3)) {
            try [Float](repeating: 0, count: 6).withUnsafeBufferPointer {
                try acc.updateChannelwise($0, batch: 1, channels: 3, spatial: 2)
            }
        }
        #expect(throws: CovarianceError.self) {
            try [Float](repeating: 0, count: 7).withUnsafeBufferPointer {
                try acc.updateChannelwise($0, batch: 1, channels: 4, spatial: 2)
            }
        }
        #expect(throws: CovarianceError.self) { try acc.update([Float](), rows: Int.max / 2) }
        #expect(acc.count == 0)
    }

    @Test("merge equals accumulating every batch in one accumulator")
    func mergeIsExact() throws {
        var rng = CovarianceTestRandom(seed: 5)
        let d = 9
        let batches = (0..<6).map { i in rng.batch(rows: 10 + 7 * i, features: d, offset: Double(i) * 3) }
        let all = CovarianceAccumulator(features: d)
        let a = CovarianceAccumulator(features: d), b = CovarianceAccumulator(features: d, precision: .float64)
        for (i, batch) in batches.enumerated() {
            try all.update(batch, rows: batch.count / d)
            try (i < 2 ? a : b).update(batch, rows: batch.count / d)
        }
        try a.merge(b)
        #expect(a.count == all.count && a.batchCount == 6)
        #expect(relativeError(a.covariance(), all.covariance()) < 1e-12)
        #expect(relativeError(a.mean, all.mean) < 1e-12)
        // Merging an empty accumulator changes nothing; merging into an empty one copies.
        let before = a.serialized()
        try a.merge(CovarianceAccumulator(features: d))
        #expect(a.serialized() == before)
        let empty = CovarianceAccumulator(features: d)
        try empty.merge(all)
        #expect(empty.covariance() == all.covariance() && empty.mean == all.mean)
        #expect(throws: CovarianceError.featureMismatch(layer: "", context: "merge with accumulator 'x'", expected: d, found: 3)) {
            try a.merge(CovarianceAccumulator(features: 3, name: "x"))
        }
    }

    @Test("many threads feeding one accumulator give the serial result")
    func concurrentUpdates() throws {
        var rng = CovarianceTestRandom(seed: 6)
        let d = 16
        let batches = (0..<32).map { _ in rng.batch(rows: 24, features: d, offset: 2).map { Float($0) } }
        let serial = CovarianceAccumulator(features: d)
        for b in batches { try serial.update(b, rows: 24) }
        let shared = CovarianceAccumulator(features: d)
        let failures = CovarianceTestCounter()
        DispatchQueue.concurrentPerform(iterations: batches.count) { i in
            do { try shared.update(batches[i], rows: 24) } catch { failures.increment() }
        }
        #expect(failures.value == 0)
        #expect(shared.count == serial.count && shared.batchCount == 32)
        #expect(relativeError(shared.covariance(), serial.covariance()) < 1e-10)
        #expect(relativeError(shared.mean, serial.mean) < 1e-10)
    }

    @Test("one accumulator per thread, merged, gives the serial result (concurrent BLAS calls)")
    func perThreadAccumulatorsMerged() throws {
        var rng = CovarianceTestRandom(seed: 10)
        let d = 12
        let batches = (0..<24).map { _ in rng.batch(rows: 16, features: d, offset: -4).map { Float($0) } }
        let serial = CovarianceAccumulator(features: d)
        for b in batches { try serial.update(b, rows: 16) }
        let workers = 4
        let parts = (0..<workers).map { CovarianceAccumulator(features: d, name: "worker\($0)") }
        let failures = CovarianceTestCounter()
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            for i in stride(from: w, to: batches.count, by: workers) {
                do { try parts[w].update(batches[i], rows: 16) } catch { failures.increment() }
            }
        }
        let total = CovarianceAccumulator(features: d)
        for part in parts { try total.merge(part) }
        #expect(failures.value == 0)
        #expect(total.count == serial.count && total.batchCount == serial.batchCount)
        #expect(relativeError(total.covariance(), serial.covariance()) < 1e-12)
    }

    @Test("one sample gives a zero covariance; D = 1; an empty batch is a no-op; reset")
    func edges() throws {
        let one = CovarianceAccumulator(features: 3)
        try one.update([1, 2, 3] as [Float], rows: 1)
        #expect(one.covariance() == [Double](repeating: 0, count: 9))
        #expect(one.covariance(unbiased: true) == [Double](repeating: 0, count: 9))
        #expect(one.mean == [1, 2, 3])

        let scalar = CovarianceAccumulator(features: 1)
        try scalar.update([1, 2, 3, 4] as [Double], rows: 4)
        try scalar.update([5] as [Double], rows: 1)
        #expect(abs(scalar.covariance()[0] - 2) < 1e-15)            // population variance of 1…5
        #expect(abs(scalar.covariance(unbiased: true)[0] - 2.5) < 1e-15)

        let before = scalar.serialized()
        try scalar.update([Float](), rows: 0)
        try [Float]().withUnsafeBufferPointer { try scalar.updateChannelwise($0, batch: 0, channels: 1, spatial: 5) }
        #expect(scalar.serialized() == before)
        #expect(scalar.batchCount == 2)

        scalar.reset()
        #expect(scalar.count == 0 && scalar.batchCount == 0 && scalar.mean == [0] && scalar.covariance() == [0])

        let zeroFeatures = CovarianceAccumulator(features: 0)
        try zeroFeatures.update([Float](), rows: 3)
        #expect(zeroFeatures.count == 3 && zeroFeatures.covariance().isEmpty)
    }

    @Test("steady-state updates reuse the scratch buffer, which holds the pending rows")
    func scratchReuse() throws {
        var rng = CovarianceTestRandom(seed: 7)
        let acc = CovarianceAccumulator(features: 8)
        #expect(acc.maxPendingRows == 1280)
        acc.maxPendingRows = 640   // so that the batches below overflow it
        try acc.update(rng.batch(rows: 64, features: 8), rows: 64)
        try acc.update(rng.batch(rows: 64, features: 8), rows: 64)
        let capacity = acc.scratch64Capacity, pointer = acc.scratch64
        #expect(capacity == acc.maxPendingRows * 8)
        #expect(acc.pendingRows == 64 + 65)   // the first batch has no δ row, the second has one
        for rows in [64, 10, 1, 63, 400, 300] { try acc.update(rng.batch(rows: rows, features: 8), rows: rows) }
        #expect(acc.scratch64Capacity == capacity && acc.scratch64 == pointer)
        // The 400-row batch (more than half the buffer) flushed the others and went through blocks at
        // once; the 300-row one waits alone.
        #expect(acc.pendingRows == 301)
    }

    @Test("pending rows: flushed by every reader, discarded by reset, and the same as one syrk per batch",
          arguments: AccumulationPrecision.allCases)
    func pendingRows(precision: AccumulationPrecision) throws {
        var rng = CovarianceTestRandom(seed: 21)
        let d = 6
        let batches = [9, 4, 1, 7, 3, 12].map { rng.batch(rows: $0, features: d, offset: 5) }
        let reference = covarianceReference(batches, features: d)
        let pending = CovarianceAccumulator(features: d, precision: precision)
        pending.maxPendingRows = 30   // pending: 9 + 5 + 2 + 8 + 4, then 13 (a flush before the end)
        let eager = CovarianceAccumulator(features: d, precision: precision)
        eager.maxPendingRows = 1      // no batch fits: one blocked syrk per batch, as before pending rows
        for b in batches {
            try pending.update(b, rows: b.count / d)
            try eager.update(b, rows: b.count / d)
        }
        #expect(pending.pendingRows > 0 && eager.pendingRows == 0)
        let tolerance = precision == .float64 ? 1e-13 : 1e-6
        #expect(relativeError(pending.covariance(), reference.cov) < tolerance)
        #expect(pending.pendingRows == 0)
        #expect(relativeError(pending.covariance(), eager.covariance()) < tolerance)
        #expect(relativeError(pending.mean, reference.mean) < 1e-13)

        // Trace, serialization and merge see the pending rows too.
        for read in 0..<3 {
            let acc = CovarianceAccumulator(features: d, precision: precision)
            for b in batches { try acc.update(b, rows: b.count / d) }
            #expect(acc.pendingRows > 0)
            switch read {
            case 0:
                let trace = (0..<d).reduce(0.0) { $0 + reference.cov[$1 * d + $1] }
                #expect(abs(acc.covarianceTrace() - trace) < tolerance * trace)
            case 1:
                let restored = try CovarianceAccumulator(serialized: acc.serialized())
                #expect(relativeError(restored.covariance(), reference.cov) < tolerance)
            default:
                let target = CovarianceAccumulator(features: d)
                try target.merge(acc)
                #expect(relativeError(target.covariance(), reference.cov) < tolerance)
            }
        }

        // Reset forgets the pending rows with the rest.
        pending.reset()
        try pending.update(batches[0], rows: batches[0].count / d)
        try pending.update(batches[1], rows: batches[1].count / d)
        #expect(relativeError(pending.covariance(), covarianceReference(Array(batches[0..<2]), features: d).cov) < tolerance)
    }
}

/// A thread-safe counter for the concurrency test.
final class CovarianceTestCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
