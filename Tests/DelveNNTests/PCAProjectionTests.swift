import Foundation
import Testing
@testable import DelveNN

@Suite("PCAProjection (Delve's PCA layers)")
struct PCAProjectionTests {
    /// Float64 two-pass mean and population covariance of `rows` × `d` values.
    static func moments(_ x: [Float], rows: Int, d: Int) -> (mean: [Double], covariance: [Double]) {
        var mean = [Double](repeating: 0, count: d)
        for r in 0..<rows { for j in 0..<d { mean[j] += Double(x[r * d + j]) } }
        for j in 0..<d { mean[j] /= Double(rows) }
        var c = [Double](repeating: 0, count: d * d)
        for r in 0..<rows {
            for i in 0..<d { for j in 0..<d { c[i * d + j] += (Double(x[r * d + i]) - mean[i]) * (Double(x[r * d + j]) - mean[j]) } }
        }
        return (mean, c.map { $0 / Double(rows) })
    }

    /// Correlated rows: x = z A + m with a fixed mixing A, so the covariance is full rank and not diagonal.
    static func correlatedRows(_ rows: Int, _ d: Int, seed: UInt64) -> [Float] {
        var rng = SeededGenerator(seed: seed)
        let z = Tensor.normal([rows, d], using: &rng).scalars
        var x = [Float](repeating: 0, count: rows * d)
        for r in 0..<rows {
            for j in 0..<d {
                var s: Float = Float(j) * 0.5
                for i in 0..<d { s += z[r * d + i] * Float((i + 1) * (j + 2) % 7 + (i == j ? 3 : 0)) / 4 }
                x[r * d + j] = s
            }
        }
        return x
    }

    @Test("kept count: the engine's idim oracles (paper), Delve's PCA layer count with its floor of 1 (delve)")
    func keptCountOracles() {
        let cases: [([Double], Int, Int)] = [
            ([Double](repeating: 1, count: 10), 10, 9),
            ((0..<10).map { pow(0.5, Double($0)) }, 7, 6),
            ([100, 1, 1, 1, 1], 4, 3),
            ([5, 0, 0, 0], 1, 1),   // the engine's delve idim is 0; Delve's PCA layer keeps 1 direction
            ([99, 1], 1, 1),
            ([0.97, 0.011, 0.01, 0.009], 3, 2),
            ([0.011, 0.97, 0.009, 0.01], 3, 2),   // any order
            ([0, 0, 0], 0, 0),
        ]
        for (values, paper, delve) in cases {
            #expect(PCAProjection.keptCount(eigenvalues: values, threshold: 0.99, convention: .paper) == paper, "\(values)")
            #expect(PCAProjection.keptCount(eigenvalues: values, threshold: 0.99, convention: .delve) == delve, "\(values)")
        }
    }

    @Test("a diagonal covariance keeps the coordinates of the largest variances and puts the mean in the others")
    func diagonalOracle() throws {
        // Variances 1, 4, 2, 3 (sum 10): sorted 4, 3, 2, 1, shares 0.4, 0.7, 0.9, 1.
        let mean: [Double] = [1, 2, 3, 4]
        var covariance = [Double](repeating: 0, count: 16)
        for (i, v) in [1.0, 4, 2, 3].enumerated() { covariance[i * 4 + i] = v }
        let layer = try PCAProjection(features: 4, threshold: 0.7)
        try layer.setBasis(mean: mean, covariance: covariance)
        #expect(layer.eigenvalues.map { ($0 * 1e12).rounded() / 1e12 } == [4, 3, 2, 1])
        #expect(layer.keptDimensions == 2)
        layer.eval()
        let x = Tensor(shape: [2, 4], data: [10, 20, 30, 40, -1, -2, -3, -4])
        // k = 2: coordinates 1 (variance 4) and 3 (variance 3) kept, 0 and 2 replaced by the mean.
        let expected2: [Float] = [1, 20, 3, 40, 1, -2, 3, -4]
        for (a, b) in zip(layer(x).scalars, expected2) { #expect(abs(a - b) < 1e-5) }
        try layer.setThreshold(0.9)
        #expect(layer.keptDimensions == 3)
        let expected3: [Float] = [1, 20, 30, 40, 1, -2, -3, -4]
        for (a, b) in zip(layer(x).scalars, expected3) { #expect(abs(a - b) < 1e-5) }
        let delve = try PCAProjection(features: 4, threshold: 0.9, convention: .delve)
        try delve.setBasis(mean: mean, covariance: covariance)
        #expect(delve.keptDimensions == 2)
    }

    @Test("training mode and a layer without basis pass the input through")
    func identityCases() throws {
        let x = Tensor(shape: [1, 3], data: [1, 2, 3])
        let layer = try PCAProjection(features: 3, threshold: 0.5)
        layer.eval()
        #expect(layer(x) === x)
        try layer.setBasis(mean: [0, 0, 0], covariance: [3, 0, 0, 0, 2, 0, 0, 0, 1])
        layer.train()
        #expect(layer(x) === x)
        layer.eval()
        #expect(layer(x).scalars == [1, 0, 0])
    }

    @Test("at δ = 1 the projection reproduces rows and conv maps within 1e-5")
    func deltaOne() throws {
        let d = 6, rows = 400
        let x = Self.correlatedRows(rows, d, seed: 11)
        let (mean, covariance) = Self.moments(x, rows: rows, d: d)
        let layer = try PCAProjection(features: d, threshold: 1)
        try layer.setBasis(mean: mean, covariance: covariance)
        #expect(layer.keptDimensions == d)
        layer.eval()
        let input = Tensor(shape: [rows, d], data: x)
        let output = layer(input)
        #expect(output !== input)   // computed, not passed through
        #expect(zip(output.scalars, x).map { abs($0 - $1) }.max()! < 1e-5)

        // Channels: N×C×H×W, every position an observation of the C channels.
        let n = 5, h = 4, w = 5
        var maps = [Float](repeating: 0, count: n * d * h * w)
        let pixels = Self.correlatedRows(n * h * w, d, seed: 12)
        for s in 0..<n { for p in 0..<(h * w) { for c in 0..<d { maps[(s * d + c) * h * w + p] = pixels[(s * h * w + p) * d + c] } } }
        let (cm, cc) = Self.moments(pixels, rows: n * h * w, d: d)
        let conv = try PCAProjection(features: d, threshold: 1, layout: .channels)
        try conv.setBasis(mean: cm, covariance: cc)
        conv.eval()
        let out = conv(Tensor(shape: [n, d, h, w], data: maps)).scalars
        #expect(zip(out, maps).map { abs($0 - $1) }.max()! < 1e-5)
    }

    @Test("the projection equals μ + V_k V_kᵀ (x − μ) computed in float64, per row and per position")
    func projectionReference() throws {
        let d = 5, rows = 300
        let x = Self.correlatedRows(rows, d, seed: 21)
        let (mean, covariance) = Self.moments(x, rows: rows, d: d)
        let layer = try PCAProjection(features: d, threshold: 0.9)
        try layer.setBasis(mean: mean, covariance: covariance)
        let k = layer.keptDimensions
        #expect(k >= 1 && k < d)
        let v = layer.eigenvectors
        func reference(_ row: [Double]) -> [Double] {
            let centred = zip(row, mean).map { $0 - $1 }
            var y = mean
            for j in 0..<k {
                var dot = 0.0
                for i in 0..<d { dot += v[i * d + j] * centred[i] }
                for i in 0..<d { y[i] += dot * v[i * d + j] }
            }
            return y
        }
        layer.eval()
        let out = layer(Tensor(shape: [rows, d], data: x)).scalars
        var worst = 0.0
        for r in 0..<rows {
            let expected = reference((0..<d).map { Double(x[r * d + $0]) })
            for i in 0..<d { worst = max(worst, abs(Double(out[r * d + i]) - expected[i])) }
        }
        #expect(worst < 1e-4)
        // Channels on rank 3 (Conv1d-like N×C×L): the same rows laid out channel-major.
        let conv = try PCAProjection(features: d, threshold: 0.9, layout: .channels)
        try conv.setBasis(mean: mean, covariance: covariance)
        conv.eval()
        var maps = [Float](repeating: 0, count: rows * d)   // N = 1, L = rows
        for r in 0..<rows { for c in 0..<d { maps[c * rows + r] = x[r * d + c] } }
        let convOut = conv(Tensor(shape: [1, d, rows], data: maps)).scalars
        for r in 0..<rows { for c in 0..<d { #expect(abs(convOut[c * rows + r] - out[r * d + c]) < 1e-5) } }
    }

    @Test("random directions keep k, are orthonormal, differ from the eigenvectors and are undone by a new threshold")
    func randomDirections() throws {
        let d = 8, rows = 500
        let x = Self.correlatedRows(rows, d, seed: 31)
        let (mean, covariance) = Self.moments(x, rows: rows, d: d)
        let layer = try PCAProjection(features: d, threshold: 0.95)
        try layer.setBasis(mean: mean, covariance: covariance)
        let k = layer.keptDimensions
        let eigenBasis = layer.keptBasis
        var rng = SeededGenerator(seed: 5)
        layer.injectRandomDirections(using: &rng)
        #expect(layer.keptDimensions == k)
        #expect(layer.usesRandomDirections)
        let b = layer.keptBasis
        #expect(b.count == d * k)
        for i in 0..<k {
            for j in 0..<k {
                var dot = 0.0
                for r in 0..<d { dot += b[r * k + i] * b[r * k + j] }
                #expect(abs(dot - (i == j ? 1 : 0)) < 1e-12)
            }
        }
        #expect(zip(b, eigenBasis).map { abs($0 - $1) }.max()! > 1e-3)
        // A projection: applying it twice changes nothing more.
        layer.eval()
        let once = layer(Tensor(shape: [rows, d], data: x))
        let twice = layer(once)
        #expect(zip(once.scalars, twice.scalars).map { abs($0 - $1) }.max()! < 1e-4)
        // The same seed gives the same directions.
        let again = try PCAProjection(features: d, threshold: 0.95)
        try again.setBasis(mean: mean, covariance: covariance)
        var rng2 = SeededGenerator(seed: 5)
        again.injectRandomDirections(using: &rng2)
        #expect(again.keptBasis == b)
        try layer.setThreshold(0.95)
        #expect(!layer.usesRandomDirections)
        #expect(layer.keptBasis == eigenBasis)
    }

    @Test("bad thresholds and bases are errors naming what is wrong")
    func errors() throws {
        for delta in [0.0, -0.5, 1.5, Double.nan] {
            #expect(throws: PCAProjectionError.self) { _ = try PCAProjection(features: 2, threshold: delta) }
        }
        #expect(PCAProjectionError.threshold(1.5).description == "the PCA threshold δ must be in (0, 1], got 1.5")
        let layer = try PCAProjection(features: 2)
        #expect(throws: PCAProjectionError.threshold(2)) { try layer.setThreshold(2) }
        #expect(throws: PCAProjectionError.shape(what: "mean", expected: 2, got: 3)) {
            try layer.setBasis(mean: [0, 0, 0], covariance: [1, 0, 0, 1])
        }
        #expect(throws: PCAProjectionError.shape(what: "covariance", expected: 4, got: 3)) {
            try layer.setBasis(mean: [0, 0], covariance: [1, 0, 0])
        }
        #expect(throws: PCAProjectionError.nonFinite(what: "covariance")) {
            try layer.setBasis(mean: [0, 0], covariance: [1, .nan, .nan, 1])
        }
        #expect(!layer.hasBasis)
    }
}

@Suite("Module output transform")
struct OutputTransformTests {
    @Test("the transform replaces the output, hooks see it, nil removes it; parameters are untouched")
    func transform() throws {
        var rng = SeededGenerator(seed: 1)
        let layer = Linear(3, 2, rng: &rng)
        let x = Tensor(shape: [1, 3], data: [1, 2, 3])
        let plain = layer(x).scalars
        var seen: [Float] = []
        layer.registerForwardHook { _, _, output in seen = output.scalars }
        let parameters = layer.namedParameters().map(\.path)
        layer.setOutputTransform { output in Tensor(shape: output.shape, data: output.scalars.map { 2 * $0 + 1 }) }
        #expect(layer.hasOutputTransform)
        let transformed = layer(x).scalars
        #expect(transformed == plain.map { 2 * $0 + 1 })
        #expect(seen == transformed)
        #expect(layer.namedParameters().map(\.path) == parameters)
        layer.setOutputTransform(nil)
        #expect(layer(x).scalars == plain)
        #expect(!layer.hasOutputTransform)
    }
}
