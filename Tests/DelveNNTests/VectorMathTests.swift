import Foundation
import Testing
@testable import DelveNN

/// The vectorized exp / σ / tanh against the C library in double precision.
@Suite("VectorMath (vectorized exp, sigmoid, tanh)")
struct VectorMathTests {
    /// A grid over [−lo, hi] with a length that is not a multiple of the lane width (exercises the tail).
    static func grid(_ low: Float, _ high: Float, count: Int = 20_003) -> [Float] {
        (0..<count).map { low + (high - low) * Float($0) / Float(count - 1) }
    }

    /// Largest relative error of `f` against `reference` (relative to max(|reference|, floor)).
    static func worstError(_ x: [Float], _ f: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void,
                           floor: Double = 0, _ reference: (Double) -> Double) -> Double {
        var y = [Float](repeating: .nan, count: x.count)
        x.withUnsafeBufferPointer { px in y.withUnsafeMutableBufferPointer { f(px.baseAddress!, $0.baseAddress!, x.count) } }
        var worst = 0.0
        for (a, b) in zip(x, y) {
            let r = reference(Double(a))
            worst = max(worst, abs(Double(b) - r) / max(abs(r), floor))
        }
        return worst
    }

    @Test("exp: relative error below 3e-7 on [−80, 80]")
    func expAccuracy() {
        let error = Self.worstError(Self.grid(-80, 80), { VectorMath.exp($0, $1, count: $2) }) { Foundation.exp($0) }
        #expect(error < 3e-7, "worst relative error \(error)")
    }

    @Test("sigmoid: relative error below 3e-7 on [−30, 30]")
    func sigmoidAccuracy() {
        let error = Self.worstError(Self.grid(-30, 30), { VectorMath.sigmoid($0, $1, count: $2) }) { 1 / (1 + Foundation.exp(-$0)) }
        #expect(error < 3e-7, "worst relative error \(error)")
    }

    @Test("tanh: relative error below 3e-7 on [−12, 12] and near 0, including the branch point 0.625")
    func tanhAccuracy() {
        for range: (Float, Float) in [(-12, 12), (-0.7, 0.7), (-1e-3, 1e-3), (0.62, 0.63)] {
            let error = Self.worstError(Self.grid(range.0, range.1), { VectorMath.tanh($0, $1, count: $2) },
                                        floor: 1e-30) { Foundation.tanh($0) }
            #expect(error < 3e-7, "worst relative error \(error) on \(range)")
        }
    }

    @Test("special values: NaN stays NaN, saturation at ±∞, exact results at 0, in place")
    func specialValues() {
        var x: [Float] = [.nan, 0, 100, -100, .infinity, -.infinity, 1, 2, 3]   // 9: one full group + tail
        var t = x, s = x
        VectorMath.tanh(x, &t, count: x.count)
        VectorMath.sigmoid(x, &s, count: x.count)
        #expect(t[0].isNaN && s[0].isNaN)
        #expect(t[1] == 0 && s[1] == 0.5)
        #expect(t[2] == 1 && t[3] == -1 && t[4] == 1 && t[5] == -1)
        #expect(s[2] == 1 && s[3] < 1e-30 && s[3] >= 0 && s[4] == 1 && s[5] < 1e-30)
        #expect(abs(Double(t[8]) - Foundation.tanh(3.0)) < 1e-7)
        // In place gives the same values as out of place.
        VectorMath.tanh(x, &x, count: x.count)
        #expect(x.dropFirst().elementsEqual(t.dropFirst()))
    }

    @Test("an element's value does not depend on its position (full group vs. tail)")
    func positionIndependent() {
        let values = Self.grid(-5, 5, count: 13)
        var whole = [Float](repeating: 0, count: 13)
        VectorMath.tanh(values, &whole, count: 13)
        for start in 0..<13 {
            var one: [Float] = [0]
            VectorMath.tanh(Array(values[start...]), &one, count: 1)
            #expect(one[0] == whole[start])
        }
    }
}
