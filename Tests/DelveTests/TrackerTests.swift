import Foundation
import Testing
@testable import Delve

typealias TestRandom = CovarianceTestRandom

extension CovarianceTestRandom {
    /// `count` values uniform in [-1, 1), as Float.
    mutating func floats(_ count: Int) -> [Float] { (0..<count).map { _ in Float(uniform() * 2 - 1) } }
}

/// Population covariance of row-major `rows×d` data by the two-pass float64 formula.
func twoPassCovariance(_ data: [Float], rows: Int, features d: Int) -> [Double] {
    var mean = [Double](repeating: 0, count: d)
    for r in 0..<rows { for j in 0..<d { mean[j] += Double(data[r * d + j]) } }
    for j in 0..<d { mean[j] /= Double(rows) }
    var cov = [Double](repeating: 0, count: d * d)
    for r in 0..<rows {
        for i in 0..<d {
            let a = Double(data[r * d + i]) - mean[i]
            for j in 0..<d { cov[i * d + j] += a * (Double(data[r * d + j]) - mean[j]) }
        }
    }
    return cov.map { $0 / Double(rows) }
}

@Suite("SaturationTracker")
struct TrackerTests {
    func dense(_ values: [Float], rows: Int) -> ArrayActivationBatch {
        ArrayActivationBatch(values: values, shape: [rows, values.count / rows], kind: .dense)
    }

    @Test("the epoch covariance covers every batch, not only the last")
    func everyBatch() throws {
        var rng = TestRandom(seed: 1)
        let d = 6
        let batches = (0..<3).map { b in rng.floats(20 * d).map { $0 * Float(b + 1) } }
        let tracker = try SaturationTracker(options: TrackerOptions(statistics: [.lsat, .idim, .trc, .cov]))
        for batch in batches { try tracker.record(layer: "fc", phase: .train, batch: dense(batch, rows: 20)) }
        let record = try tracker.endEpoch()
        let layer = try #require(record.layers.first)
        #expect(layer.samples == 60)
        let reference = twoPassCovariance(batches.flatMap { $0 }, rows: 60, features: d)
        let covariance = try #require(layer.covariance)
        for (a, b) in zip(covariance, reference) { #expect(abs(a - b) < 1e-9 * max(1, abs(b))) }
        let trace = (0..<d).reduce(0.0) { $0 + reference[$1 * d + $1] }
        #expect(abs(layer.statistics[.trc]! - trace) < 1e-9 * trace)
        // The last batch alone (Delve's behaviour) has a clearly different trace.
        let lastOnly = twoPassCovariance(batches[2], rows: 20, features: d)
        let lastTrace = (0..<d).reduce(0.0) { $0 + lastOnly[$1 * d + $1] }
        #expect(abs(lastTrace - trace) > 0.1 * trace)
    }

    @Test("a rank-3 layer has intrinsic dimensionality 3 and saturation 0.3")
    func bottleneck() throws {
        var rng = TestRandom(seed: 2)
        let rows = 400, d = 10
        var data = [Float](repeating: 0, count: rows * d)
        for r in 0..<rows {
            let z = rng.floats(3)
            for j in 0..<d { data[r * d + j] = z[j % 3] * (j < 3 ? 1 : 0) }
        }
        let tracker = try SaturationTracker(options: TrackerOptions(statistics: [.lsat, .idim]))
        try tracker.record(layer: "bottleneck", phase: .train, batch: dense(data, rows: rows))
        let layer = try #require(try tracker.endEpoch().layers.first)
        #expect(layer.statistics[.idim] == 3)
        #expect(abs(layer.statistics[.lsat]! - 0.3) < 1e-12)
    }

    @Test("phases are separate and an absent phase is absent")
    func phases() throws {
        var rng = TestRandom(seed: 3)
        let tracker = try SaturationTracker(options: TrackerOptions(statistics: [.lsat, .trc]))
        try tracker.record(layer: "a", phase: .train, batch: dense(rng.floats(40), rows: 10))
        try tracker.record(layer: "a", phase: .eval, batch: dense(rng.floats(40).map { $0 * 10 }, rows: 10))
        let first = try tracker.endEpoch()
        #expect(first.layers.map(\.phase) == [.train, .eval])
        #expect(first.layers[1].statistics[.trc]! > 50 * first.layers[0].statistics[.trc]!)
        #expect(first.scalars.map(\.name).contains("average-eval-sat"))
        try tracker.record(layer: "a", phase: .train, batch: dense(rng.floats(40), rows: 10))
        let second = try tracker.endEpoch()
        #expect(second.layers.map(\.phase) == [.train])
        #expect(!second.scalars.map(\.name).contains("average-eval-sat"))
        #expect(second.epoch == first.epoch + 1)
    }

    @Test("logInterval records every k-th forward pass")
    func logInterval() throws {
        var options = TrackerOptions()
        options.logInterval = 3
        let tracker = try SaturationTracker(options: options)
        var rng = TestRandom(seed: 4)
        for _ in 0..<7 { try tracker.record(layer: "x", phase: .train, batch: dense(rng.floats(8 * 4), rows: 8)) }
        #expect(try tracker.endEpoch().layers[0].samples == 3 * 8)  // passes 0, 3, 6
    }

    @Test("maxSamples caps the samples per layer, phase and epoch")
    func maxSamples() throws {
        var options = TrackerOptions()
        options.maxSamples = 100
        let tracker = try SaturationTracker(options: options)
        var rng = TestRandom(seed: 5)
        let batches = (0..<3).map { _ in rng.floats(64 * 4) }
        for b in batches { try tracker.record(layer: "x", phase: .train, batch: dense(b, rows: 64)) }
        let layer = try tracker.endEpoch().layers[0]
        #expect(layer.samples == 100)
        // Equal to the covariance of the first 100 rows.
        let tracker2 = try SaturationTracker(options: TrackerOptions(statistics: [.trc]))
        try tracker2.record(layer: "x", phase: .train, batch: dense(Array((batches[0] + batches[1]).prefix(400)), rows: 100))
        var optionsTrc = TrackerOptions(statistics: [.trc]); optionsTrc.maxSamples = 100
        let tracker3 = try SaturationTracker(options: optionsTrc)
        for b in batches { try tracker3.record(layer: "x", phase: .train, batch: dense(b, rows: 64)) }
        let a = try tracker2.endEpoch().layers[0].statistics[.trc]!
        let b = try tracker3.endEpoch().layers[0].statistics[.trc]!
        #expect(abs(a - b) < 1e-12 * a)
    }

    @Test("stop and resume")
    func stopResume() throws {
        let tracker = try SaturationTracker()
        var rng = TestRandom(seed: 6)
        try tracker.record(layer: "x", phase: .train, batch: dense(rng.floats(40), rows: 10))
        tracker.stop()
        #expect(!tracker.isRecording)
        try tracker.record(layer: "x", phase: .train, batch: dense(rng.floats(40), rows: 10))
        tracker.resume()
        try tracker.record(layer: "x", phase: .train, batch: dense(rng.floats(40), rows: 10))
        #expect(try tracker.endEpoch().layers[0].samples == 20)
    }

    @Test("resetCovariance: fresh epochs by default, cumulative when off; initialEpoch")
    func reset() throws {
        var rng = TestRandom(seed: 7)
        let e1 = rng.floats(40), e2 = rng.floats(40)
        let fresh = try SaturationTracker(options: TrackerOptions(statistics: [.trc]))
        var keepOptions = TrackerOptions(statistics: [.trc])
        keepOptions.resetCovariance = false
        keepOptions.initialEpoch = 5
        let keep = try SaturationTracker(options: keepOptions)
        for t in [fresh, keep] { try t.record(layer: "x", phase: .train, batch: dense(e1, rows: 10)); _ = try t.endEpoch() }
        for t in [fresh, keep] { try t.record(layer: "x", phase: .train, batch: dense(e2, rows: 10)) }
        let f = try fresh.endEpoch(), k = try keep.endEpoch()
        #expect(f.layers[0].samples == 10 && k.layers[0].samples == 20)
        #expect(f.epoch == 1 && k.epoch == 6)
        let trace2 = (0..<4).reduce(0.0) { s, i in s + twoPassCovariance(e2, rows: 10, features: 4)[i * 4 + i] }
        #expect(abs(f.layers[0].statistics[.trc]! - trace2) < 1e-9)
        let trace12 = (0..<4).reduce(0.0) { s, i in s + twoPassCovariance(e1 + e2, rows: 20, features: 4)[i * 4 + i] }
        #expect(abs(k.layers[0].statistics[.trc]! - trace12) < 1e-9)
    }

    @Test("a NaN batch is rejected with the layer and batch named; skip policy counts it")
    func badBatches() throws {
        var rng = TestRandom(seed: 8)
        let good = rng.floats(40)
        var bad = rng.floats(40); bad[13] = .nan
        let tracker = try SaturationTracker(options: TrackerOptions(statistics: [.trc]))
        try tracker.record(layer: "conv3", phase: .train, batch: dense(good, rows: 10))
        do {
            try tracker.record(layer: "conv3", phase: .train, batch: dense(bad, rows: 10))
            Issue.record("a NaN batch was accepted")
        } catch {
            let text = String(describing: error)
            #expect(text.contains("conv3") && text.contains("batch 2"))
        }
        let layer = try tracker.endEpoch().layers[0]
        #expect(layer.samples == 10)
        var skipOptions = TrackerOptions(statistics: [.trc])
        skipOptions.badBatchPolicy = .skip
        let skipping = try SaturationTracker(options: skipOptions)
        try skipping.record(layer: "conv3", phase: .train, batch: dense(good, rows: 10))
        try skipping.record(layer: "conv3", phase: .train, batch: dense(bad, rows: 10))
        let skipped = try skipping.endEpoch().layers[0]
        #expect(skipped.samples == 10)
        #expect(skipped.notes.contains { $0.contains("skipped 1") })
        #expect(abs(skipped.statistics[.trc]! - layer.statistics[.trc]!) < 1e-12)
    }

    @Test("a layer whose width changes is an error naming it")
    func widthChange() throws {
        let tracker = try SaturationTracker()
        try tracker.record(layer: "fc", phase: .train, batch: dense([Float](repeating: 1, count: 12), rows: 3))
        #expect(throws: TrackerError.self) {
            try tracker.record(layer: "fc", phase: .train, batch: self.dense([Float](repeating: 1, count: 15), rows: 3))
        }
    }

    @Test("sequence outputs are read along the right time axis")
    func sequenceAxes() throws {
        var rng = TestRandom(seed: 9)
        let n = 7, t = 5, f = 3
        let batchFirst = rng.floats(n * t * f)
        var timeFirst = [Float](repeating: 0, count: n * t * f)
        for i in 0..<n { for s in 0..<t { for k in 0..<f { timeFirst[(s * n + i) * f + k] = batchFirst[(i * t + s) * f + k] } } }
        for method in TimeseriesMethod.allCases {
            var options = TrackerOptions(statistics: [.trc, .idim])
            options.layout.timeseriesMethod = method
            let tracker = try SaturationTracker(options: options)
            try tracker.record(layer: "bf", phase: .train, values: batchFirst, shape: [n, t, f], kind: .sequence(batchFirst: true))
            try tracker.record(layer: "tf", phase: .train, values: timeFirst, shape: [t, n, f], kind: .sequence(batchFirst: false))
            let layers = try tracker.endEpoch().layers
            #expect(layers[0].samples == layers[1].samples)
            #expect(abs(layers[0].statistics[.trc]! - layers[1].statistics[.trc]!) < 1e-9)
            if method == .last {
                // The last timestep of every sample, by hand.
                var last = [Float]()
                for i in 0..<n { last += batchFirst[((i * t + t - 1) * f)..<((i * t + t) * f)] }
                let cov = twoPassCovariance(last, rows: n, features: f)
                #expect(abs(layers[0].statistics[.trc]! - (cov[0] + cov[4] + cov[8])) < 1e-9)
            }
            if method == .flattenedSequence {
                // Delve's timestepwise: each sample's N×T×F row, T·F features (the batch-first buffer as it is).
                let cov = twoPassCovariance(batchFirst, rows: n, features: t * f)
                let trace = (0..<(t * f)).reduce(0.0) { $0 + cov[$1 * (t * f) + $1] }
                #expect(layers[0].features == t * f && layers[1].features == t * f && layers[0].samples == n)
                #expect(abs(layers[0].statistics[.trc]! - trace) < 1e-9)
            }
        }
    }

    @Test("average saturation is the mean over layers")
    func averageSaturation() throws {
        var rng = TestRandom(seed: 10)
        let tracker = try SaturationTracker(options: TrackerOptions(statistics: [.lsat]))
        try tracker.record(layer: "a", phase: .train, batch: dense(rng.floats(200), rows: 50))
        var lowRank = [Float](repeating: 0, count: 200)
        for r in 0..<50 { lowRank[r * 4] = Float(rng.uniform()) }
        try tracker.record(layer: "b", phase: .train, batch: dense(lowRank, rows: 50))
        let record = try tracker.endEpoch()
        let sats = record.layers.map { $0.statistics[.lsat]! }
        let average = try #require(record.scalars.first { $0.name == "average-train-sat" })
        #expect(abs(average.value - (sats[0] + sats[1]) / 2) < 1e-15)
        #expect(sats[1] == 0.25)
        #expect(!average.value.isNaN)
    }

    @Test("user scalars reach the record in order")
    func scalars() throws {
        let tracker = try SaturationTracker()
        tracker.addScalar("train-loss", 0.5)
        tracker.addScalars(["train-accuracy": 0.9, "test-accuracy": 0.8])
        let record = try tracker.endEpoch()
        #expect(record.scalars.map(\.name) == ["train-loss", "train-accuracy", "test-accuracy"])
        #expect(record.layers.isEmpty)
    }

    @Test("bad options are rejected")
    func badOptions() {
        var options = TrackerOptions()
        options.threshold = 1.5
        #expect(throws: TrackerError.self) { try SaturationTracker(options: options) }
        options = TrackerOptions()
        options.logInterval = 0
        #expect(throws: TrackerError.self) { try SaturationTracker(options: options) }
    }
}

@Suite("Tracker and delve analyze agree")
struct TrackerAnalyzeAgreementTests {
    @Test("the tracker's statistics equal delve analyze on the same activations dumped to .npy",
          arguments: [ConvMethod.channelwise, .mean, .flatten])
    func sameNumbers(convMethod: ConvMethod) throws {
        var rng = TestRandom(seed: 42)
        // (No logdet: with an exactly dependent channel the smallest eigenvalue is rounding noise, so its
        // logarithm depends on the summation order.)
        let stats: [Statistic] = [.lsat, .idim, .trc, .dtrc, .erank, .pr, .srank]
        var options = TrackerOptions(statistics: stats, threshold: 0.9)
        options.layout.convMethod = convMethod
        let tracker = try SaturationTracker(options: options)
        // Three batches of a 4-channel 3×3 convolution output with correlated channels.
        var all: [Float] = []
        for _ in 0..<3 {
            var batch = rng.floats(5 * 4 * 9)
            for i in stride(from: 0, to: batch.count, by: 36) {
                for p in 0..<9 { batch[i + 27 + p] = 0.5 * batch[i + p] - batch[i + 9 + p] }   // channel 3 = f(0, 1)
            }
            try tracker.record(layer: "conv", phase: .train, values: batch, shape: [5, 4, 3, 3], kind: .convolution)
            all += batch
        }
        let tracked = try #require(try tracker.endEpoch().layers.first)

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("delve-agree-\(UInt64.random(in: 0...UInt64.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("conv.npy").path
        try NPYWriter.write(all, shape: [15, 4, 3, 3], to: path)
        let analyzer = ActivationFileAnalyzer(layout: options.layout, statistics: stats, threshold: 0.9)
        let analyzed = try analyzer.analyze(path: path)

        #expect(analyzed.samples == tracked.samples)
        #expect(analyzed.features == tracked.features)
        for stat in stats {
            let a = try #require(analyzed.statistics.values[stat]), t = try #require(tracked.statistics[stat])
            if a.isFinite || t.isFinite {
                #expect(abs(a - t) <= 1e-9 * max(1, abs(a)), "\(stat): analyze \(a), tracker \(t)")
            } else {
                #expect(a == t, "\(stat)")
            }
        }
        #expect(tracked.statistics[.idim]! < Double(tracked.features), "the dependent channel lowers idim")
    }
}
