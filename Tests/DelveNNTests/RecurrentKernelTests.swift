import Foundation
import Testing
import DelveLinearAlgebra
@testable import DelveNN

/// Deterministic pseudo-random doubles in [−scale, scale] (a small LCG, test-local).
func testValues(_ count: Int, seed: UInt64, scale: Double = 0.5) -> [Double] {
    var state = seed &* 6364136223846793005 &+ 1442695040888963407
    return (0..<count).map { _ in
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return (Double(state >> 11) / Double(1 << 53) * 2 - 1) * scale
    }
}

/// Central finite differences of `loss` with respect to every entry of every array in `arrays`,
/// compared with `analytic` (same layout); returns the largest absolute difference and the largest gradient.
func finiteDifferenceError(_ arrays: [[Double]], analytic: [[Double]], step: Double = 1e-6,
                           loss: ([[Double]]) -> Double) -> (maxError: Double, maxGradient: Double) {
    var worst = 0.0, largest = 0.0
    var work = arrays
    for a in arrays.indices {
        for e in arrays[a].indices {
            let saved = work[a][e]
            work[a][e] = saved + step
            let up = loss(work)
            work[a][e] = saved - step
            let down = loss(work)
            work[a][e] = saved
            let numeric = (up - down) / (2 * step)
            worst = max(worst, abs(numeric - analytic[a][e]))
            largest = max(largest, abs(numeric))
        }
    }
    return (worst, largest)
}

/// Weighted sum of a vector: the test's scalar loss pieces.
private func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }

// Array layout used by the kernel gradient checks for a 2-layer stack:
// [x, h0_l0, c0_l0 (LSTM), h0_l1, c0_l1 (LSTM), then per layer w_ih, w_hh, b_ih, b_hh].

@Suite("Recurrent cell kernels (Double, finite differences)")
struct RecurrentKernelTests {
    static let T = 3, N = 2, I = 3, H = 4

    /// Loss weights: L = Σ wy ⊙ y_top + Σ_l (wh_l ⊙ h_T,l + wc_l ⊙ c_T,l).
    static let wy = testValues(T * N * H, seed: 99, scale: 1)
    static let wh = [testValues(N * H, seed: 98, scale: 1), testValues(N * H, seed: 97, scale: 1)]
    static let wc = [testValues(N * H, seed: 96, scale: 1), testValues(N * H, seed: 95, scale: 1)]

    static func lstmArrays() -> [[Double]] {
        var arrays = [testValues(T * N * I, seed: 1, scale: 1)]
        arrays += [testValues(N * H, seed: 2), testValues(N * H, seed: 3), testValues(N * H, seed: 4), testValues(N * H, seed: 5)]
        for l in 0..<2 {
            let input = l == 0 ? I : H
            arrays += [testValues(4 * H * input, seed: 10 + UInt64(l)), testValues(4 * H * H, seed: 20 + UInt64(l)),
                       testValues(4 * H, seed: 30 + UInt64(l)), testValues(4 * H, seed: 40 + UInt64(l))]
        }
        return arrays
    }

    /// Runs the 2-layer LSTM forward; returns the loss and the per-layer (input, output, cells, gates).
    static func lstmRun(_ a: [[Double]]) -> (loss: Double, layers: [(x: [Double], y: [Double], c: [Double], g: [Double])]) {
        var input = a[0]
        var layers: [(x: [Double], y: [Double], c: [Double], g: [Double])] = []
        var loss = 0.0
        for l in 0..<2 {
            let shape = RecurrentShape(steps: T, batch: N, input: l == 0 ? I : H, hidden: H)
            var y = [Double](repeating: 0, count: T * N * H), c = y
            var g = [Double](repeating: 0, count: T * N * 4 * H)
            let p = 5 + 4 * l
            LSTMKernel.forward(shape, x: input, weightIH: a[p], weightHH: a[p + 1], biasIH: a[p + 2], biasHH: a[p + 3],
                               h0: a[1 + 2 * l], c0: a[2 + 2 * l], output: &y, cells: &c, gates: &g)
            layers.append((input, y, c, g))
            loss += dot(wh[l], Array(y[((T - 1) * N * H)...])) + dot(wc[l], Array(c[((T - 1) * N * H)...]))
            input = y
        }
        loss += dot(wy, input)
        return (loss, layers)
    }

    @Test("LSTM, 2 layers: BPTT gradients of x, h0, c0 and all weights match finite differences")
    func lstmGradients() throws {
        let arrays = Self.lstmArrays()
        let (_, layers) = Self.lstmRun(arrays)
        var grads = arrays.map { [Double](repeating: 0, count: $0.count) }
        var gradOutput = Self.wy
        for l in stride(from: 1, through: 0, by: -1) {
            let (T, N, H) = (Self.T, Self.N, Self.H)
            let shape = RecurrentShape(steps: T, batch: N, input: l == 0 ? Self.I : H, hidden: H)
            let p = 5 + 4 * l
            var gx = [Double](repeating: 0, count: layers[l].x.count)
            var gb = [Double](repeating: 0, count: 4 * H)
            var gwih = grads[p], gwhh = grads[p + 1], gh0 = grads[1 + 2 * l], gc0 = grads[2 + 2 * l]
            LSTMKernel.backward(shape, x: layers[l].x, weightIH: arrays[p], weightHH: arrays[p + 1],
                                h0: arrays[1 + 2 * l], c0: arrays[2 + 2 * l],
                                output: layers[l].y, cells: layers[l].c, gates: layers[l].g,
                                gradOutput: gradOutput, gradFinalHidden: Self.wh[l], gradFinalCell: Self.wc[l],
                                gradX: &gx, gradWeightIH: &gwih, gradWeightHH: &gwhh, gradBias: &gb,
                                gradH0: &gh0, gradC0: &gc0)
            grads[p] = gwih; grads[p + 1] = gwhh; grads[1 + 2 * l] = gh0; grads[2 + 2 * l] = gc0
            grads[p + 2] = gb
            grads[p + 3] = gb
            gradOutput = gx
        }
        grads[0] = gradOutput
        let (error, largest) = finiteDifferenceError(arrays, analytic: grads) { Self.lstmRun($0).loss }
        #expect(largest > 0.1)
        #expect(error < 1e-7, "max |analytic − numeric| = \(error)")
    }

    @Test("LSTM without initial state or biases equals explicit zeros")
    func lstmNilMeansZero() {
        let shape = RecurrentShape(steps: 2, batch: 2, input: 3, hidden: 2)
        let x = testValues(12, seed: 7), wih = testValues(24, seed: 8), whh = testValues(16, seed: 9)
        let zeros = [Double](repeating: 0, count: 8), hz = [Double](repeating: 0, count: 4)
        var y1 = [Double](repeating: 0, count: 8), c1 = y1, g1 = [Double](repeating: 0, count: 32)
        var y2 = y1, c2 = c1, g2 = g1
        LSTMKernel.forward(shape, x: x, weightIH: wih, weightHH: whh, biasIH: nil, biasHH: nil, h0: nil, c0: nil,
                           output: &y1, cells: &c1, gates: &g1)
        LSTMKernel.forward(shape, x: x, weightIH: wih, weightHH: whh, biasIH: zeros, biasHH: zeros, h0: hz, c0: hz,
                           output: &y2, cells: &c2, gates: &g2)
        #expect(y1 == y2)
        #expect(c1 == c2)
        #expect(y1.contains { $0 != 0 })
    }

    @Test("LSTM one step by hand: h = o·tanh(i·g) from zero state")
    func lstmByHand() {
        // I = H = 1, weights 1 on the input, x = 0.5, biases 0 → every pre-activation is 0.5.
        let shape = RecurrentShape(steps: 1, batch: 1, input: 1, hidden: 1)
        var y = [0.0], c = [0.0], g = [Double](repeating: 0, count: 4)
        LSTMKernel.forward(shape, x: [0.5], weightIH: [1, 1, 1, 1], weightHH: [0, 0, 0, 0], biasIH: nil, biasHH: nil,
                           h0: nil, c0: nil, output: &y, cells: &c, gates: &g)
        let s = 1 / (1 + exp(-0.5)), cell = s * tanh(0.5)
        #expect(abs(c[0] - cell) < 1e-15)
        #expect(abs(y[0] - s * tanh(cell)) < 1e-15)
    }

    static func gruArrays() -> [[Double]] {
        var arrays = [testValues(T * N * I, seed: 51, scale: 1), testValues(N * H, seed: 52), testValues(N * H, seed: 53)]
        for l in 0..<2 {
            let input = l == 0 ? I : H
            arrays += [testValues(3 * H * input, seed: 60 + UInt64(l), scale: 0.7), testValues(3 * H * H, seed: 70 + UInt64(l), scale: 0.7),
                       testValues(3 * H, seed: 80 + UInt64(l)), testValues(3 * H, seed: 90 + UInt64(l))]
        }
        return arrays
    }

    /// Runs the 2-layer GRU forward; arrays: [x, h0_l0, h0_l1, per layer w_ih, w_hh, b_ih, b_hh].
    static func gruRun(_ a: [[Double]]) -> (loss: Double, layers: [(x: [Double], y: [Double], cache: [Double])]) {
        var input = a[0]
        var layers: [(x: [Double], y: [Double], cache: [Double])] = []
        var loss = 0.0
        for l in 0..<2 {
            let shape = RecurrentShape(steps: T, batch: N, input: l == 0 ? I : H, hidden: H)
            var y = [Double](repeating: 0, count: T * N * H)
            var cache = [Double](repeating: 0, count: T * N * 4 * H)
            let p = 3 + 4 * l
            GRUKernel.forward(shape, x: input, weightIH: a[p], weightHH: a[p + 1], biasIH: a[p + 2], biasHH: a[p + 3],
                              h0: a[1 + l], output: &y, cache: &cache)
            layers.append((input, y, cache))
            loss += dot(wh[l], Array(y[((T - 1) * N * H)...]))
            input = y
        }
        return (loss + dot(wy, input), layers)
    }

    @Test("GRU, 2 layers: BPTT gradients of x, h0 and all weights match finite differences")
    func gruGradients() {
        let arrays = Self.gruArrays()
        let (_, layers) = Self.gruRun(arrays)
        var grads = arrays.map { [Double](repeating: 0, count: $0.count) }
        var gradOutput = Self.wy
        for l in stride(from: 1, through: 0, by: -1) {
            let shape = RecurrentShape(steps: Self.T, batch: Self.N, input: l == 0 ? Self.I : Self.H, hidden: Self.H)
            let p = 3 + 4 * l
            var gx = [Double](repeating: 0, count: layers[l].x.count)
            var gwih = grads[p], gwhh = grads[p + 1], gbih = grads[p + 2], gbhh = grads[p + 3], gh0 = grads[1 + l]
            GRUKernel.backward(shape, x: layers[l].x, weightIH: arrays[p], weightHH: arrays[p + 1], h0: arrays[1 + l],
                               output: layers[l].y, cache: layers[l].cache, gradOutput: gradOutput,
                               gradFinalHidden: Self.wh[l], gradX: &gx, gradWeightIH: &gwih,
                               gradWeightHH: &gwhh, gradBiasIH: &gbih, gradBiasHH: &gbhh, gradH0: &gh0)
            grads[p] = gwih; grads[p + 1] = gwhh; grads[p + 2] = gbih; grads[p + 3] = gbhh; grads[1 + l] = gh0
            gradOutput = gx
        }
        grads[0] = gradOutput
        let (error, largest) = finiteDifferenceError(arrays, analytic: grads) { Self.gruRun($0).loss }
        #expect(largest > 0.1)
        #expect(error < 1e-7, "max |analytic − numeric| = \(error)")
    }

    @Test("GRU one step by hand from zero state: h = (1 − z)·n")
    func gruByHand() {
        // I = H = 1, w_ih = [1, 2, 3], w_hh = 0, b_hh = [0, 0, 0.5], x = 0.4.
        let shape = RecurrentShape(steps: 1, batch: 1, input: 1, hidden: 1)
        var y = [0.0], cache = [Double](repeating: 0, count: 4)
        GRUKernel.forward(shape, x: [0.4], weightIH: [1, 2, 3], weightHH: [0, 0, 0], biasIH: nil, biasHH: [0, 0, 0.5],
                          h0: nil, output: &y, cache: &cache)
        let r = 1 / (1 + exp(-0.4)), z = 1 / (1 + exp(-0.8)), n = tanh(1.2 + r * 0.5)
        #expect(abs(y[0] - (1 - z) * n) < 1e-15)
    }
    /// Runs LSTM and GRU kernels forward and backward in Float on a size whose gate loops are split over
    /// threads, and returns every result concatenated.
    static func largeRun(batch: Int = 64, workers: Int) -> [Float] {
        let shape = RecurrentShape(steps: 2, batch: batch, input: 5, hidden: 48, workers: workers)
        let (T, N, I, H) = (shape.steps, shape.batch, shape.input, shape.hidden)
        let f: ([Double]) -> [Float] = { $0.map(Float.init) }
        let x = f(testValues(T * N * I, seed: 201, scale: 1)), h0 = f(testValues(N * H, seed: 202)), c0 = f(testValues(N * H, seed: 203))
        let gradOut = f(testValues(T * N * H, seed: 204, scale: 1))
        var results: [Float] = []
        for gates in [4, 3] {
            let wih = f(testValues(gates * H * I, seed: 205)), whh = f(testValues(gates * H * H, seed: 206, scale: 0.2))
            let b = f(testValues(gates * H, seed: 207))
            var y = [Float](repeating: 0, count: T * N * H), c = y, cache = [Float](repeating: 0, count: T * N * 4 * H)
            var gx = [Float](repeating: 0, count: T * N * I), gwih = [Float](repeating: 0, count: wih.count)
            var gwhh = [Float](repeating: 0, count: whh.count), gb = [Float](repeating: 0, count: b.count), gb2 = gb
            var gh0 = [Float](repeating: 0, count: N * H), gc0 = gh0
            if gates == 4 {
                LSTMKernel.forward(shape, x: x, weightIH: wih, weightHH: whh, biasIH: b, biasHH: b, h0: h0, c0: c0,
                                   output: &y, cells: &c, gates: &cache)
                LSTMKernel.backward(shape, x: x, weightIH: wih, weightHH: whh, h0: h0, c0: c0, output: y, cells: c,
                                    gates: cache, gradOutput: gradOut, gradFinalHidden: nil, gradFinalCell: nil,
                                    gradX: &gx, gradWeightIH: &gwih, gradWeightHH: &gwhh, gradBias: &gb,
                                    gradH0: &gh0, gradC0: &gc0)
            } else {
                GRUKernel.forward(shape, x: x, weightIH: wih, weightHH: whh, biasIH: b, biasHH: b, h0: h0,
                                  output: &y, cache: &cache)
                GRUKernel.backward(shape, x: x, weightIH: wih, weightHH: whh, h0: h0, output: y, cache: cache,
                                   gradOutput: gradOut, gradFinalHidden: nil, gradX: &gx, gradWeightIH: &gwih,
                                   gradWeightHH: &gwhh, gradBiasIH: &gb, gradBiasHH: &gb2, gradH0: &gh0)
            }
            results += y + c + gx + gwih + gwhh + gb + gb2 + gh0 + gc0
        }
        return results
    }

    /// Whether OpenBLAS runs kernels under which equal halves of a gemm's rows give the whole's bits
    /// (the AVX-512 families checked on this project's machines).
    static var equalHalvesGiveSameBits: Bool {
        ["skylakex", "cooperlake"].contains(BLASKernels.coreName.lowercased())
    }

    @Test("recurrences split over threads give the single-threaded results, reproducibly")
    func threadedGateLoops() {
        // The recurrence runs split by samples (RecurrenceSplit), the gemms over all timesteps split by
        // rows. With OpenBLAS's AVX-512 kernels 64 samples split in two equal ranges give the very same
        // bits; its AVX2 "Haswell" kernels (which some machines' environments force) round the 32-row
        // halves differently from the 64-row whole (6.8e-7 relative here), as any kernels may for 37
        // samples split unequally (18 + 19), so those are compared to float precision — and the split
        // run must be reproducible bit for bit everywhere.
        // The worker count goes in through the shape, not through ComputeSettings (which tests running in
        // parallel read).
        for batch in [64, 37] {
            let serial = Self.largeRun(batch: batch, workers: 1)
            #expect(RecurrenceSplit.parts(batch: batch, workers: 2) == 2)
            let threaded = Self.largeRun(batch: batch, workers: 2)
            #expect(serial.count == threaded.count)
            let worst = zip(serial, threaded).map { abs($0 - $1) / max(1, abs($0)) }.max() ?? .infinity
            if batch == 64 && Self.equalHalvesGiveSameBits { #expect(worst == 0, "batch \(batch): max relative difference \(worst)") }
            #expect(worst < 1e-5, "batch \(batch): max relative difference \(worst)")
            let again = Self.largeRun(batch: batch, workers: 2)
            #expect(again == threaded ? true : false, "batch \(batch): the split run is not reproducible")
            #expect(serial.contains { $0 != 0 } && serial.allSatisfy(\.isFinite))
        }
    }

    @Test("LSTM backward with the saved tanh(c_t) equals backward recomputing it (Float)")
    func lstmSavedTanhCells() {
        let shape = RecurrentShape(steps: 3, batch: 5, input: 4, hidden: 19)   // 19: vector groups plus a tail
        let (T, N, I, H) = (shape.steps, shape.batch, shape.input, shape.hidden)
        let f: ([Double]) -> [Float] = { $0.map(Float.init) }
        let x = f(testValues(T * N * I, seed: 301, scale: 1)), wih = f(testValues(4 * H * I, seed: 302))
        let whh = f(testValues(4 * H * H, seed: 303)), b = f(testValues(4 * H, seed: 304))
        let gradOut = f(testValues(T * N * H, seed: 305, scale: 1))
        var y = [Float](repeating: 0, count: T * N * H), c = y, tc = y, cache = [Float](repeating: 0, count: T * N * 4 * H)
        LSTMKernel.forward(shape, x: x, weightIH: wih, weightHH: whh, biasIH: b, biasHH: nil, h0: nil, c0: nil,
                           output: &y, cells: &c, gates: &cache, tanhCells: &tc)
        #expect(zip(c, tc).allSatisfy { abs(tanh(Double($0)) - Double($1)) < 1e-6 })
        func gradients(saved: Bool) -> [Float] {
            var gx = [Float](repeating: 0, count: T * N * I), gwih = [Float](repeating: 0, count: wih.count)
            var gwhh = [Float](repeating: 0, count: whh.count), gb = [Float](repeating: 0, count: b.count)
            if saved {
                LSTMKernel.backward(shape, x: x, weightIH: wih, weightHH: whh, h0: nil, c0: nil, output: y, cells: c,
                                    gates: cache, tanhCells: tc, gradOutput: gradOut, gradFinalHidden: nil,
                                    gradFinalCell: nil, gradX: &gx, gradWeightIH: &gwih, gradWeightHH: &gwhh,
                                    gradBias: &gb, gradH0: nil, gradC0: nil)
            } else {
                LSTMKernel.backward(shape, x: x, weightIH: wih, weightHH: whh, h0: nil, c0: nil, output: y, cells: c,
                                    gates: cache, gradOutput: gradOut, gradFinalHidden: nil,
                                    gradFinalCell: nil, gradX: &gx, gradWeightIH: &gwih, gradWeightHH: &gwhh,
                                    gradBias: &gb, gradH0: nil, gradC0: nil)
            }
            return gx + gwih + gwhh + gb
        }
        let withSaved = gradients(saved: true)
        #expect(withSaved == gradients(saved: false))
        #expect(withSaved.contains { $0 != 0 } && withSaved.allSatisfy(\.isFinite))
    }
}
