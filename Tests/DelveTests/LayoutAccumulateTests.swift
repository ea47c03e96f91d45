import Testing
@testable import Delve

@Suite("Activation layouts into the accumulator")
struct LayoutAccumulateTests {
    /// Deterministic, irregular values.
    private func values(_ count: Int) -> [Float] {
        (0..<count).map { i in Float((i * 37 + 11) % 23) * 0.25 - 2 + Float(i % 5) * 0.1 }
    }

    /// The population covariance of a rows×features matrix in float64, the reference.
    private func referenceCovariance(_ x: [Float], rows: Int, features: Int) -> [Double] {
        var mean = [Double](repeating: 0, count: features)
        for r in 0..<rows { for f in 0..<features { mean[f] += Double(x[r * features + f]) } }
        for f in 0..<features { mean[f] /= Double(rows) }
        var c = [Double](repeating: 0, count: features * features)
        for r in 0..<rows {
            for i in 0..<features {
                for j in 0..<features {
                    c[i * features + j] += (Double(x[r * features + i]) - mean[i]) * (Double(x[r * features + j]) - mean[j])
                }
            }
        }
        return c.map { $0 / Double(rows) }
    }

    /// Accumulates `batches` batches (or one per entry of `sampleCounts`, which then replace the
    /// sample axis of `shape`), through `scratch` when given, and compares with the reduced rows.
    private func check(_ shape: [Int], _ kind: ActivationKind, _ options: LayoutOptions, batches: Int = 2,
                       sampleCounts: [Int]? = nil, scratch: ReductionScratch? = nil) throws {
        let reducer = ActivationReducer(options: options)
        let features = try reducer.features(shape: shape, kind: kind)
        let accumulator = CovarianceAccumulator(features: features)
        var allRows: [Float] = []
        var rowCount = 0
        let sampleAxis = kind == .sequence(batchFirst: false) ? 1 : 0
        for b in 0..<(sampleCounts?.count ?? batches) {
            var shape = shape
            if let sampleCounts { shape[sampleAxis] = sampleCounts[b] }
            let data = values(shape.reduce(1, *)).map { $0 + Float(b) * 0.3 }
            try data.withUnsafeBufferPointer {
                try reducer.accumulate($0, shape: shape, kind: kind, into: accumulator, scratch: scratch)
            }
            let reduced = try data.withUnsafeBufferPointer { try reducer.reduce($0, shape: shape, kind: kind) }
            allRows += reduced.values
            rowCount += reduced.rows
        }
        #expect(accumulator.count == rowCount, "\(kind) \(options)")
        let expected = referenceCovariance(allRows, rows: rowCount, features: features)
        let actual = accumulator.covariance()
        #expect(actual.count == expected.count)
        for (a, e) in zip(actual, expected) {
            #expect(abs(a - e) <= 1e-9 * max(1, abs(e)), "\(kind) \(options): \(a) vs \(e)")
        }
    }

    @Test func everyLayoutAccumulatesWhatItReduces() throws {
        try check([6, 4], .dense, LayoutOptions())
        for method in ConvMethod.allCases {
            try check([3, 3, 2, 3], .convolution, LayoutOptions(convMethod: method))
            try check([2, 3, 5, 4], .convolution, LayoutOptions(convMethod: method, downsample: 3))
        }
        for method in TimeseriesMethod.allCases {
            try check([4, 3, 3], .sequence(batchFirst: true), LayoutOptions(timeseriesMethod: method))
            try check([3, 4, 3], .sequence(batchFirst: false), LayoutOptions(timeseriesMethod: method))
        }
    }

    @Test("one reused scratch gives the same results across batches of different sizes")
    func reusedScratchAcrossBatchSizes() throws {
        // Large, small, larger: the grown buffers are only partly used by the small batch.
        let counts = [5, 2, 7]
        for method in ConvMethod.allCases {
            try check([5, 3, 2, 3], .convolution, LayoutOptions(convMethod: method), sampleCounts: counts, scratch: ReductionScratch())
            try check([5, 3, 5, 4], .convolution, LayoutOptions(convMethod: method, downsample: 3), sampleCounts: counts,
                      scratch: ReductionScratch())
        }
        for method in TimeseriesMethod.allCases {
            try check([5, 3, 3], .sequence(batchFirst: true), LayoutOptions(timeseriesMethod: method), sampleCounts: counts,
                      scratch: ReductionScratch())
            try check([3, 5, 3], .sequence(batchFirst: false), LayoutOptions(timeseriesMethod: method), sampleCounts: counts,
                      scratch: ReductionScratch())
        }
    }

    @Test func timeFirstLastTimestepUsesTheTimeAxis() throws {
        // T=2, N=3, F=1: the last timestep is [4, 5, 9]; the batch axis is never mistaken for time.
        let data: [Float] = [100, -100, 7, 4, 5, 9]
        let accumulator = CovarianceAccumulator(features: 1)
        try data.withUnsafeBufferPointer {
            try ActivationReducer(options: LayoutOptions()).accumulate($0, shape: [2, 3, 1], kind: .sequence(batchFirst: false), into: accumulator)
        }
        #expect(accumulator.count == 3)
        let mean = 6.0
        let variance = ((4 - mean) * (4 - mean) + (5 - mean) * (5 - mean) + (9 - mean) * (9 - mean)) / 3
        #expect(abs(accumulator.covariance()[0] - variance) < 1e-12)
    }

    @Test func shapeErrorsComeBeforeTheAccumulator() {
        let accumulator = CovarianceAccumulator(features: 2)
        #expect(throws: LayoutError(.wrongRank(kind: .convolution, shape: [2, 2]))) {
            try [Float](repeating: 0, count: 4).withUnsafeBufferPointer {
                try ActivationReducer(options: LayoutOptions()).accumulate($0, shape: [2, 2], kind: .convolution, into: accumulator)
            }
        }
        #expect(accumulator.count == 0)
    }
}
