import Testing
@testable import Delve

@Suite("Activation layouts")
struct LayoutReducerTests {
    private func reduce(_ values: [Float], _ shape: [Int], _ kind: ActivationKind, _ options: LayoutOptions = LayoutOptions()) throws -> (rows: Int, features: Int, values: [Float]) {
        let reducer = ActivationReducer(options: options)
        let result = try values.withUnsafeBufferPointer { try reducer.reduce($0, shape: shape, kind: kind) }
        // The reported sizes agree with the reduction.
        #expect(try reducer.features(shape: shape, kind: kind) == result.features)
        #expect(try reducer.observations(shape: shape, kind: kind) == result.rows)
        #expect(result.values.count == result.rows * result.features)
        return result
    }

    /// N=2, C=2, H=2, W=2; planes n0c0 [1,5,3,2], n0c1 [0,-1,4,8], n1c0 [7,7,1,9], n1c1 [-2,-6,-4,-3].
    let conv: [Float] = [1, 5, 3, 2, 0, -1, 4, 8, 7, 7, 1, 9, -2, -6, -4, -3]

    @Test func denseIsUnchanged() throws {
        let r = try reduce([1, 2, 3, 4, 5, 6], [2, 3], .dense)
        #expect(r.rows == 2 && r.features == 3 && r.values == [1, 2, 3, 4, 5, 6])
    }

    @Test func convolutionChannelwise() throws {
        let r = try reduce(conv, [2, 2, 2, 2], .convolution)
        #expect(r.rows == 8 && r.features == 2)
        #expect(r.values == [1, 0, 5, -1, 3, 4, 2, 8, 7, -2, 7, -6, 1, -4, 9, -3])
    }

    @Test func convolutionPooling() throws {
        let mean = try reduce(conv, [2, 2, 2, 2], .convolution, LayoutOptions(convMethod: .mean))
        #expect(mean.rows == 2 && mean.features == 2 && mean.values == [2.75, 2.75, 6, -3.75])
        let max = try reduce(conv, [2, 2, 2, 2], .convolution, LayoutOptions(convMethod: .max))
        #expect(max.values == [5, 8, 9, -2])
        // Lower median of an even count: sorted [1,2,3,5] → 2, [-1,0,4,8] → 0, [1,7,7,9] → 7, [-6,-4,-3,-2] → -4.
        let median = try reduce(conv, [2, 2, 2, 2], .convolution, LayoutOptions(convMethod: .median))
        #expect(median.values == [2, 0, 7, -4])
        // Odd count: [3, 1, 2] → 2; [9, -1, 4] → 4.
        let odd = try reduce([3, 1, 2, 9, -1, 4], [1, 2, 1, 3], .convolution, LayoutOptions(convMethod: .median))
        #expect(odd.values == [2, 4])
    }

    @Test("spatial means over planes longer than the 8-lane sums (7 × 7, 32 × 32, 3 × 3 with tails) match float64 sums to the float")
    func convolutionMeanOfLongPlanes() throws {
        var state: UInt64 = 99
        for (height, width) in [(7, 7), (32, 32), (3, 3), (1, 9)] {
            let n = 3, c = 5, hw = height * width
            let values: [Float] = (0..<(n * c * hw)).map { _ in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return Float(Double(state >> 11) / Double(1 << 53) * 2 - 1) + 100   // an offset, as after a ReLU of a biased layer
            }
            let r = try reduce(values, [n, c, height, width], .convolution, LayoutOptions(convMethod: .mean))
            #expect(r.rows == n && r.features == c)
            for plane in 0..<(n * c) {
                // The plane's mean summed exactly enough: float64 sums of float32 values, in order.
                let exact = values[(plane * hw)..<((plane + 1) * hw)].reduce(0.0) { $0 + Double($1) } / Double(hw)
                #expect(abs(Double(r.values[plane]) - exact) <= Double(Float(exact).ulp), "\(height)×\(width) plane \(plane)")
            }
        }
    }

    @Test func convolutionFlatten() throws {
        let r = try reduce(conv, [2, 2, 2, 2], .convolution, LayoutOptions(convMethod: .flatten))
        #expect(r.rows == 2 && r.features == 8 && r.values == conv)
    }

    @Test func poolingPropagatesNaN() throws {
        let values: [Float] = [1, .nan, 3, 2]
        for method in [ConvMethod.max, .median, .mean] {
            let r = try reduce(values, [1, 1, 2, 2], .convolution, LayoutOptions(convMethod: method))
            #expect(r.values.count == 1 && r.values[0].isNaN, "\(method)")
        }
    }

    @Test func selectionAgreesWithSorting() {
        var state: UInt64 = 12345
        for count in [1, 2, 3, 4, 5, 8, 17, 64, 101] {
            for trial in 0..<300 {
                var values: [Float] = (0..<count).map { _ in
                    state = state &* 6364136223846793005 &+ 1442695040888963407
                    // Few distinct values in half of the trials, to exercise ties.
                    return Float((state >> 33) % (trial % 2 == 0 ? 5 : 1000)) - 2
                }
                let sorted = values.sorted()
                let rank = Int(state % UInt64(count))
                let selected = values.withUnsafeMutableBufferPointer { ActivationReducer.select($0, rank: rank) }
                #expect(selected == sorted[rank], "count \(count), rank \(rank)")
            }
        }
    }

    @Test func sequenceBatchFirst() throws {
        let values = (1...12).map(Float.init)  // N=2, T=3, F=2
        let last = try reduce(values, [2, 3, 2], .sequence(batchFirst: true))
        #expect(last.rows == 2 && last.features == 2 && last.values == [5, 6, 11, 12])
        let steps = try reduce(values, [2, 3, 2], .sequence(batchFirst: true), LayoutOptions(timeseriesMethod: .timestepObservations))
        #expect(steps.rows == 6 && steps.features == 2 && steps.values == values)
        // Delve's timestepwise, flatten(1): each sequence one row of T·F values.
        let flat = try reduce(values, [2, 3, 2], .sequence(batchFirst: true), LayoutOptions(timeseriesMethod: .flattenedSequence))
        #expect(flat.rows == 2 && flat.features == 6 && flat.values == values)
    }

    @Test func sequenceTimeFirst() throws {
        let values = (1...12).map(Float.init)  // T=3, N=2, F=2: t0 [1,2][3,4], t1 [5,6][7,8], t2 [9,10][11,12]
        let last = try reduce(values, [3, 2, 2], .sequence(batchFirst: false))
        #expect(last.rows == 2 && last.features == 2 && last.values == [9, 10, 11, 12])
        let steps = try reduce(values, [3, 2, 2], .sequence(batchFirst: false), LayoutOptions(timeseriesMethod: .timestepObservations))
        #expect(steps.rows == 6 && steps.features == 2 && steps.values == values)
        // Each sample's steps in time order, as numpy's x.transpose(1, 0, 2).reshape(2, 6).
        let flat = try reduce(values, [3, 2, 2], .sequence(batchFirst: false), LayoutOptions(timeseriesMethod: .flattenedSequence))
        #expect(flat.rows == 2 && flat.features == 6 && flat.values == [1, 2, 5, 6, 9, 10, 3, 4, 7, 8, 11, 12])
    }

    @Test("timestepwise is read as the deprecated name of timestep-observations; the names round-trip")
    func timeseriesMethodNames() {
        #expect(TimeseriesMethod(rawValue: "timestepwise") == .timestepObservations)
        #expect(TimeseriesMethod.allCases.map(\.rawValue) == ["last", "timestep-observations", "flattened-sequence"])
        for method in TimeseriesMethod.allCases { #expect(TimeseriesMethod(rawValue: method.rawValue) == method) }
        #expect(TimeseriesMethod(rawValue: "flatten") == nil)
    }

    /// The inputs of the PyTorch reference values: ((i·7) mod 11) − 3.5 + 0.25·i.
    private func ramp(_ count: Int) -> [Float] {
        (0..<count).map { Float(($0 * 7) % 11) - 3.5 + 0.25 * Float($0) }
    }

    private func expectClose(_ a: [Float], _ b: [Float], tolerance: Float = 2e-5) {
        #expect(a.count == b.count)
        for (x, y) in zip(a, b) { #expect(abs(x - y) <= tolerance * max(1, abs(y)), "\(x) vs \(y)") }
    }

    @Test func downsamplingMatchesTorchBilinear() throws {
        // torch.nn.functional.interpolate(x, size=(3, 3), mode='bilinear', align_corners=False), x 1×2×5×7.
        let torch: [Float] = [1.138889, 5.833333, 3.194443, 7.5, 9.75, 4.666664, 7.749999, 9.999999, 7.36111,
                              12.888889, 10.25, 12.500001, 15.583333, 10.5, 12.750001, 17.055555, 14.416668, 19.111109]
        let flat = try reduce(ramp(70), [1, 2, 5, 7], .convolution, LayoutOptions(convMethod: .flatten, downsample: 3))
        #expect(flat.rows == 1 && flat.features == 18)
        expectClose(flat.values, torch)
        let channelwise = try reduce(ramp(70), [1, 2, 5, 7], .convolution, LayoutOptions(downsample: 3))
        #expect(channelwise.rows == 9 && channelwise.features == 2)
        expectClose(channelwise.values, (0..<9).flatMap { [torch[$0], torch[9 + $0]] })

        // Only the height exceeds the limit: 1×1×6×2 → 4×2 (the width is kept).
        let tall = try reduce(ramp(12), [1, 1, 6, 2], .convolution, LayoutOptions(convMethod: .flatten, downsample: 4))
        expectClose(tall.values, [-2.625, 4.625, 2.625, 1.625, 5.125, 4.125, 2.125, 1.125])

        // Pooling after downsampling: 2×1×4×4 → 2×2, torch gives [0.875, 4.375, 3.875, 4.625] and [6.875, 4.875, 9.875, 7.875].
        let pooled = try reduce(ramp(32), [2, 1, 4, 4], .convolution, LayoutOptions(convMethod: .mean, downsample: 2))
        expectClose(pooled.values, [(0.875 + 4.375 + 3.875 + 4.625) / 4, (6.875 + 4.875 + 9.875 + 7.875) / 4])
    }

    @Test func downsamplingIsANoOpForSmallMaps() throws {
        let r = try reduce(conv, [2, 2, 2, 2], .convolution, LayoutOptions(downsample: 32))
        #expect(r.rows == 8 && r.values == [1, 0, 5, -1, 3, 4, 2, 8, 7, -2, 7, -6, 1, -4, 9, -3])
    }

    @Test func sizesWithoutData() throws {
        let reducer = ActivationReducer(options: LayoutOptions(convMethod: .flatten, downsample: 8))
        #expect(try reducer.features(shape: [64, 16, 32, 20], kind: .convolution) == 16 * 8 * 8)
        #expect(try reducer.observations(shape: [64, 16, 32, 20], kind: .convolution) == 64)
        let channelwise = ActivationReducer(options: LayoutOptions(downsample: 8))
        #expect(try channelwise.observations(shape: [64, 16, 32, 4], kind: .convolution) == 64 * 8 * 4)
        #expect(try channelwise.features(shape: [64, 16, 32, 4], kind: .convolution) == 16)
        let steps = ActivationReducer(options: LayoutOptions(timeseriesMethod: .timestepObservations))
        #expect(try steps.observations(shape: [10, 5, 3], kind: .sequence(batchFirst: false)) == 50)
        // An empty batch is allowed.
        #expect(try reduce([], [0, 3, 2, 2], .convolution).rows == 0)
    }

    @Test func errorsNameTheShapeAndWhatWasExpected() throws {
        let reducer = ActivationReducer(options: LayoutOptions())
        do {
            _ = try reducer.features(shape: [2, 3], kind: .convolution)
            Issue.record("a 2-D convolution must be rejected")
        } catch {
            #expect(error.kind == .wrongRank(kind: .convolution, shape: [2, 3]))
            #expect(error.description == "expected 4 dimensions N×C×H×W for a convolution, got [2, 3]")
            #expect(error.inLayer("conv1").description == "layer 'conv1': expected 4 dimensions N×C×H×W for a convolution, got [2, 3]")
        }
        #expect(throws: LayoutError(.wrongRank(kind: .sequence(batchFirst: false), shape: [4]))) {
            try reducer.features(shape: [4], kind: .sequence(batchFirst: false))
        }
        #expect(throws: LayoutError(.invalidDimension(kind: .convolution, shape: [2, 0, 3, 3]))) {
            try reducer.features(shape: [2, 0, 3, 3], kind: .convolution)
        }
        #expect(throws: LayoutError(.invalidDimension(kind: .dense, shape: [-1, 3]))) {
            try reducer.features(shape: [-1, 3], kind: .dense)
        }
        #expect(throws: LayoutError(.sizeOverflow(shape: [1 << 40, 1 << 40]))) {
            try reducer.features(shape: [1 << 40, 1 << 40], kind: .dense)
        }
        #expect(throws: LayoutError(.invalidDownsample(0))) {
            try ActivationReducer(options: LayoutOptions(downsample: 0)).features(shape: [1, 1, 2, 2], kind: .convolution)
        }
        #expect(throws: LayoutError(.sizeMismatch(shape: [2, 3], expected: 6, actual: 5))) {
            _ = try [Float](repeating: 0, count: 5).withUnsafeBufferPointer { try reducer.reduce($0, shape: [2, 3], kind: .dense) }
        }
    }

    @Test func kindFromRank() {
        #expect(ActivationKind(rank: 2) == .dense)
        #expect(ActivationKind(rank: 3) == .sequence(batchFirst: true))
        #expect(ActivationKind(rank: 4) == .convolution)
        #expect(ActivationKind(rank: 1) == nil && ActivationKind(rank: 5) == nil)
    }
}
