import Foundation
import Testing
@testable import Delve

/// The probe fixture shared with the numpy reference: 100 rows of D = 5 features and K = 3 classes,
/// x[i, d] = float32((37i + 101d + 13id) mod 97) / float32(97), plus float32(0.25) when d mod 3 is the
/// label (7i + ⌊i/5⌋) mod 3. Rows 0..<60 fit, 60..<100 evaluate.
enum ProbeFixture {
    static let features = 5, classes = 3

    static func label(_ i: Int) -> Int { (i * 7 + i / 5) % 3 }

    static func rows(_ range: Range<Int>) -> (values: [Float], labels: [Int]) {
        var values: [Float] = [], labels: [Int] = []
        for i in range {
            let y = label(i)
            labels.append(y)
            for d in 0..<features {
                var v = Float((i * 37 + d * 101 + i * d * 13) % 97) / Float(97)
                if d % 3 == y { v = v + Float(0.25) }
                values.append(v)
            }
        }
        return (values, labels)
    }

    // Computed by numpy 2 in float64 (LAPACK gelsd) on the same rows:
    //   Xc = X − mean, Yc = onehot(y) − mean, Σ = XcᵀXc/N, λ = 1e-3·tr(Σ)/D,
    //   W = lstsq([Xc; √(Nλ)·I], [Yc; 0]), R² = 1 − ‖Yc − Xc W‖²/‖Yc‖²,
    //   predictions argmax((Xe − mean) W + mean(onehot)) on rows 60..<100.
    static let lambda = 9.783329166388423e-05
    static let weights: [Double] = [
        0.37084512127670544, -0.20233767156272287, -0.16850744971398277, -0.15885626550645804, 0.446004850650774,
        -0.28714858514431624, -0.524985014889334, 0.07399599104155608, 0.4509890238477782, 0.5094611254465696,
        -0.25744081020596427, -0.25202031524060553, -0.23606035416274845, 0.4327927116680076, -0.1967323575052594,
    ]
    static let r2 = 0.3296869330270945
    // The same with λ = 0 (plain least squares, numpy lstsq(Xc, Yc)).
    static let weightsNoRidge: [Double] = [
        0.37108346920520746, -0.20240908673725427, -0.16867438246795374, -0.15879585810136765, 0.4463377492240749,
        -0.2875418911227072, -0.525547430585775, 0.07405053882825742, 0.4514968917575179, 0.5098712075944416,
        -0.25753588034777614, -0.25233532724666546, -0.23621081633530985, 0.4331195508913887, -0.19690873455607932,
    ]
    static let r2NoRidge = 0.32968715247637226
    static let predictions = [0, 0, 0, 0, 1, 0, 1, 1, 0, 1, 0, 1, 2, 0, 1, 0, 0, 1, 0, 1,
                              0, 1, 2, 1, 1, 0, 2, 1, 0, 1, 0, 1, 2, 0, 0, 0, 1, 2, 0, 0]
    static let correct = 30

    static func accumulate(_ range: Range<Int>, batch: Int, options: ProbeOptions = ProbeOptions()) throws -> ProbeAccumulator {
        let probe = ProbeAccumulator(features: features, options: options)
        var start = range.lowerBound
        while start < range.upperBound {
            let end = min(start + batch, range.upperBound)
            let (values, labels) = rows(start..<end)
            try values.withUnsafeBufferPointer { try probe.update($0, rows: end - start, labels: labels) }
            start = end
        }
        return probe
    }
}

func maxRelativeError(_ a: [Double], _ b: [Double]) -> Double {
    let scale = b.map(abs).max() ?? 1
    return zip(a, b).map { abs($0 - $1) / scale }.max() ?? .infinity
}

@Suite("Linear probes")
struct LinearProbeTests {
    @Test("closed-form ridge weights and R² equal numpy's float64 least squares")
    func matchesNumpy() throws {
        let probe = try ProbeFixture.accumulate(0..<60, batch: 60).solve()
        #expect(probe.features == 5 && probe.classes == 3 && probe.samples == 60)
        #expect(abs(probe.ridge - ProbeFixture.lambda) <= 1e-12 * ProbeFixture.lambda)
        #expect(maxRelativeError(probe.weights, ProbeFixture.weights) <= 1e-8)
        #expect(abs(probe.r2 - ProbeFixture.r2) <= 1e-10)
        let plain = try ProbeFixture.accumulate(0..<60, batch: 60, options: ProbeOptions(ridge: 0)).solve()
        #expect(plain.ridge == 0)
        #expect(maxRelativeError(plain.weights, ProbeFixture.weightsNoRidge) <= 1e-8)
        #expect(abs(plain.r2 - ProbeFixture.r2NoRidge) <= 1e-10)
    }

    @Test("the bias is p − Wᵀμ: the scores at the mean are the class shares")
    func bias() throws {
        let probe = try ProbeFixture.accumulate(0..<60, batch: 60).solve()
        let counts = (0..<60).reduce(into: [0, 0, 0]) { $0[ProbeFixture.label($1)] += 1 }
        for k in 0..<3 {
            let score = probe.bias[k] + (0..<5).reduce(0.0) { $0 + probe.mean[$1] * probe.weights[$1 * 3 + k] }
            #expect(abs(score - Double(counts[k]) / 60) <= 1e-14)
        }
    }

    @Test("predictions and accuracy equal numpy's argmax on the evaluation rows exactly")
    func accuracy() throws {
        let probe = try ProbeFixture.accumulate(0..<60, batch: 60).solve()
        let (values, labels) = ProbeFixture.rows(60..<100)
        var scratch: [Double] = []
        let predicted = values.withUnsafeBufferPointer { probe.predict($0, rows: 40, scratch: &scratch) }
        #expect(predicted == ProbeFixture.predictions)
        let correct = values.withUnsafeBufferPointer { probe.correctCount($0, rows: 40, labels: labels, scratch: &scratch) }
        #expect(correct == ProbeFixture.correct)
    }

    @Test("streaming over batches gives the probe of one batch", arguments: [1, 7, 13, 59])
    func streaming(batch: Int) throws {
        let whole = try ProbeFixture.accumulate(0..<60, batch: 60).solve()
        let streamed = try ProbeFixture.accumulate(0..<60, batch: batch).solve()
        #expect(maxRelativeError(streamed.weights, whole.weights) <= 1e-12)
        #expect(abs(streamed.r2 - whole.r2) <= 1e-13)
    }

    @Test("two merged halves give the probe of the whole")
    func mergedHalves() throws {
        let whole = try ProbeFixture.accumulate(0..<60, batch: 60).solve()
        let first = try ProbeFixture.accumulate(0..<25, batch: 10)
        let second = try ProbeFixture.accumulate(25..<60, batch: 9)
        try first.merge(second)
        let merged = try first.solve()
        #expect(first.sums.counts == [whole.prior[0], whole.prior[1], whole.prior[2]].map { Int(($0 * 60).rounded()) })
        #expect(maxRelativeError(merged.weights, whole.weights) <= 1e-12)
        #expect(abs(merged.r2 - whole.r2) <= 1e-13)
    }

    @Test("bad labels are refused before anything changes; one class has no probe")
    func badInput() throws {
        let probe = ProbeAccumulator(features: 2, options: ProbeOptions(classes: 2))
        let values: [Float] = [1, 2, 3, 4]
        #expect(throws: ProbeError.badLabels("1 label(s) for 2 sample(s); expected one label per sample")) {
            try values.withUnsafeBufferPointer { try probe.update($0, rows: 2, labels: [0]) }
        }
        #expect(throws: ProbeError.badLabels("label -1 is negative; expected class indices 0, 1, …")) {
            try values.withUnsafeBufferPointer { try probe.update($0, rows: 2, labels: [0, -1]) }
        }
        #expect(throws: ProbeError.badLabels("label 2 is not below the 2 classes")) {
            try values.withUnsafeBufferPointer { try probe.update($0, rows: 2, labels: [2, 0]) }
        }
        #expect(probe.covariance.count == 0 && probe.sums.count == 0)
        try values.withUnsafeBufferPointer { try probe.update($0, rows: 2, labels: [1, 1]) }
        #expect(throws: ProbeError.oneClass(samples: 2)) { try probe.solve() }
        #expect(throws: ProbeError.self) { try ProbeOptions(ridge: -1).validate() }
    }
}

@Suite("Linear probes in the tracker")
struct TrackerProbeTests {
    /// A tracker with probes over layers `onehot` (the one-hot labels), `noise` (independent Gaussian
    /// noise) and `fixture` (the numpy fixture), trained on 0..<60 and evaluated on 60..<100 in batches.
    @Test("one-hot features reach accuracy 1, noise stays near chance, the fixture matches numpy")
    func trackerValues() throws {
        var options = TrackerOptions()
        options.probes = ProbeOptions()
        let tracker = try SaturationTracker(options: options)
        var random = CovarianceTestRandom(seed: 17)
        let k = 3
        for (phase, range) in [(Phase.train, 0..<60), (.eval, 60..<100)] {
            var start = range.lowerBound
            while start < range.upperBound {
                let end = min(start + 16, range.upperBound)
                let (values, labels) = ProbeFixture.rows(start..<end)
                tracker.setLabels(labels, phase: phase)
                let onehot = labels.flatMap { y in (0..<k).map { Float($0 == y ? 1 : 0) } }
                let noise = (0..<(labels.count * 4)).map { _ in Float(random.gaussian()) }
                try tracker.record(layer: "onehot", phase: phase, values: onehot, shape: [labels.count, k], kind: .dense)
                try tracker.record(layer: "noise", phase: phase, values: noise, shape: [labels.count, 4], kind: .dense)
                try tracker.record(layer: "fixture", phase: phase, values: values, shape: [labels.count, 5], kind: .dense)
                start = end
            }
        }
        let record = try tracker.endEpoch()
        #expect(record.values(layer: "onehot", phase: .eval)?.statistics[.probeAccuracy] == 1)
        let onehotR2 = try #require(record.values(layer: "onehot", phase: .train)?.statistics[.probeR2])
        #expect(onehotR2 > 0.99 && onehotR2 <= 1)
        let noise = try #require(record.values(layer: "noise", phase: .eval)?.statistics[.probeAccuracy])
        #expect(noise >= 0.15 && noise <= 0.55, "40 samples, 3 classes: chance is 1/3")
        let noiseR2 = try #require(record.values(layer: "noise", phase: .train)?.statistics[.probeR2])
        #expect(noiseR2 >= 0 && noiseR2 < 0.2)
        #expect(record.values(layer: "fixture", phase: .eval)?.statistics[.probeAccuracy] == Double(ProbeFixture.correct) / 40)
        let r2 = try #require(record.values(layer: "fixture", phase: .train)?.statistics[.probeR2])
        #expect(abs(r2 - ProbeFixture.r2) <= 1e-10)
        #expect(record.values(layer: "fixture", phase: .train)?.statistics[.probeAccuracy] == nil)
        #expect(record.values(layer: "fixture", phase: .eval)?.statistics[.probeR2] == nil)
        #expect(record.keyedValues.contains { $0.key == "eval-probe-accuracy_fixture" && $0.value == 0.75 })
        // The next epoch starts afresh: a train-only epoch has r2 and no accuracy.
        let (values, labels) = ProbeFixture.rows(0..<60)
        try tracker.record(layer: "fixture", phase: .train, batch: ArrayActivationBatch(values: values, shape: [60, 5], kind: .dense), labels: labels)
        let next = try tracker.endEpoch()
        #expect(abs((next.values(layer: "fixture", phase: .train)?.statistics[.probeR2] ?? .nan) - ProbeFixture.r2) <= 1e-10)
        #expect(next.values(layer: "fixture", phase: .eval) == nil)
    }

    @Test("a channelwise convolution probes the spatial mean per channel (its own covariance)")
    func convolution() throws {
        var options = TrackerOptions()
        options.probes = ProbeOptions()
        let tracker = try SaturationTracker(options: options)
        // N×C×2×2 planes whose mean is the fixture's value: v + (−0.5, 0.25, 0.5, −0.25)·|channel offset|.
        func planes(_ range: Range<Int>) -> (values: [Float], labels: [Int]) {
            let (rows, labels) = ProbeFixture.rows(range)
            var out: [Float] = []
            for value in rows { out += [value - 0.5, value + 0.25, value + 0.5, value - 0.25] }
            return (out, labels)
        }
        let train = planes(0..<60), eval = planes(60..<100)
        try tracker.record(layer: "conv", phase: .train, batch: ArrayActivationBatch(values: train.values, shape: [60, 5, 2, 2], kind: .convolution), labels: train.labels)
        try tracker.record(layer: "conv", phase: .eval, batch: ArrayActivationBatch(values: eval.values, shape: [40, 5, 2, 2], kind: .convolution), labels: eval.labels)
        let record = try tracker.endEpoch()
        let entry = try #require(record.values(layer: "conv", phase: .train))
        #expect(entry.samples == 240, "the covariance keeps its channelwise rows")
        // The mean of four float32 values may differ from the fixture by an ulp: compare loosely.
        #expect(abs((entry.statistics[.probeR2] ?? .nan) - ProbeFixture.r2) <= 1e-5)
        #expect(record.values(layer: "conv", phase: .eval)?.statistics[.probeAccuracy] == 0.75)
    }

    @Test("maxSamples cuts the labels with the samples")
    func maxSamples() throws {
        var options = TrackerOptions()
        options.probes = ProbeOptions()
        options.maxSamples = 60
        let tracker = try SaturationTracker(options: options)
        let (values, labels) = ProbeFixture.rows(0..<100)
        try tracker.record(layer: "fc", phase: .train, batch: ArrayActivationBatch(values: values, shape: [100, 5], kind: .dense), labels: labels)
        let record = try tracker.endEpoch()
        #expect(abs((record.values(layer: "fc", phase: .train)?.statistics[.probeR2] ?? .nan) - ProbeFixture.r2) <= 1e-10)
    }

    @Test("wrong or missing labels reject the batch naming the layer; probes need resetCovariance")
    func errors() throws {
        var options = TrackerOptions()
        options.probes = ProbeOptions()
        let tracker = try SaturationTracker(options: options)
        let batch = ArrayActivationBatch(values: [1, 2, 3, 4, 5, 6], shape: [3, 2], kind: .dense)
        do {
            try tracker.record(layer: "fc1", phase: .train, batch: batch, labels: [0, 1])
            Issue.record("expected an error")
        } catch {
            #expect(error.description == "layer 'fc1' (train), batch 1: labels: 2 label(s) for a batch of 3 sample(s)")
        }
        do {
            try tracker.record(layer: "fc1", phase: .train, batch: batch)
            Issue.record("expected an error")
        } catch {
            #expect(error.description.hasPrefix("layer 'fc1' (train), batch 2: labels: probes are on but no labels were given"))
        }
        #expect(tracker.layerNames == ["fc1"])
        let record = try tracker.endEpoch()
        #expect(record.layers.isEmpty, "nothing was accepted")
        var kept = TrackerOptions()
        kept.probes = ProbeOptions()
        kept.resetCovariance = false
        #expect(throws: TrackerError.self) { try SaturationTracker(options: kept) }
    }
}
