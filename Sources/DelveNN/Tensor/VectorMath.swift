/// Vectorized elementwise exponential, logistic and hyperbolic tangent for `Float` arrays.
///
/// The scalar `tanhf` of the C library (which goes through `expm1f`) dominated recurrent training; these
/// run eight lanes at a time with a polynomial kernel:
/// - `exp(x) = 2ⁿ · e^r` with `n = round(x / ln 2)`, `r = x − n·ln 2` (ln 2 split in two parts so `n·ln 2`
///   is exact), `e^r ≈ 1 + r + r²·P(r)` with a degree-5 minimax `P` on |r| ≤ ln 2 / 2, `2ⁿ` built from the
///   exponent bits; `x` is clamped to [−87, 88] so that `2ⁿ` stays a normal number.
/// - `σ(x) = 1 / (1 + exp(−x))`.
/// - `tanh(x) = x + x³·Q(x²)` (odd minimax polynomial) for |x| < 0.625, otherwise
///   `sign(x) · (1 − 2 / (exp(2|x|) + 1))`.
///
/// Accuracy (checked against `Foundation` in double precision by the tests): a few units in the last
/// place. NaN inputs give NaN outputs. Every element is computed by the same lane code whatever its
/// position, so results do not depend on how an array is split into chunks or threads.
public enum VectorMath {
    typealias Lanes = SIMD8<Float>
    static let width = Lanes.scalarCount

    /// `y[k] = exp(x[k])` for `k < count`; `x` and `y` may be the same array.
    public static func exp(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        map(x, y, count: count, expLanes)
    }

    /// `y[k] = σ(x[k]) = 1 / (1 + e^(−x[k]))` for `k < count`; `x` and `y` may be the same array.
    public static func sigmoid(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        map(x, y, count: count, sigmoidLanes)
    }

    /// `y[k] = tanh(x[k])` for `k < count`; `x` and `y` may be the same array.
    public static func tanh(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        map(x, y, count: count, tanhLanes)
    }

    /// Applies `f` to whole groups of lanes, then to the zero-padded tail.
    @inline(__always)
    static func map(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int, _ f: (Lanes) -> Lanes) {
        var k = 0
        while k + width <= count {
            let v = UnsafeRawPointer(x + k).loadUnaligned(as: Lanes.self)
            UnsafeMutableRawPointer(y + k).storeBytes(of: f(v), as: Lanes.self)
            k += width
        }
        if k < count {
            var v = Lanes(repeating: 0)
            for i in 0..<(count - k) { v[i] = x[k + i] }
            let r = f(v)
            for i in 0..<(count - k) { y[k + i] = r[i] }
        }
    }

    /// e^x on eight lanes (see the type's documentation).
    @inline(__always)
    static func expLanes(_ x: Lanes) -> Lanes {
        // (Comparisons and selects, which compile to vector instructions; NaN lanes are fixed at the end.)
        var clamped = x.replacing(with: -87, where: x .< -87)
        clamped = clamped.replacing(with: 88, where: clamped .> 88)
        // Adding 1.5·2²³ rounds x/ln 2 to the nearest integer n, which then sits in the low mantissa bits.
        let shifter: Float = 12_582_912
        let shifted = clamped * 1.442_695_04 + shifter
        let n = shifted - shifter
        // r = x − n·ln 2, with ln 2 = 0.693359375 − 2.12194440e−4 (the first part has few bits: n·it is exact).
        let r = (clamped - n * 0.693_359_375) + n * 2.121_944_4e-4
        var p = Lanes(repeating: 1.987_569_15e-4)
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_12e-1
        let er = (p * r) * r + r + 1
        let exponent = (unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000 &+ 127) &<< 23
        let result = er * unsafeBitCast(exponent, to: Lanes.self)
        return result.replacing(with: x, where: x .!= x)
    }

    /// σ(x) on eight lanes.
    @inline(__always)
    static func sigmoidLanes(_ x: Lanes) -> Lanes {
        1 / (1 + expLanes(-x))
    }

    /// tanh(x) on eight lanes.
    @inline(__always)
    static func tanhLanes(_ x: Lanes) -> Lanes {
        let bits = unsafeBitCast(x, to: SIMD8<UInt32>.self)
        let sign = bits & 0x8000_0000
        let a = unsafeBitCast(bits & 0x7FFF_FFFF, to: Lanes.self)
        // |x| ≥ 0.625: 1 − 2/(e^{2|x|} + 1), with the sign of x put back.
        let large = 1 - 2 / (expLanes(a + a) + 1)
        let signedLarge = unsafeBitCast(unsafeBitCast(large, to: SIMD8<UInt32>.self) | sign, to: Lanes.self)
        // |x| < 0.625: x + x·z·Q(z), z = x².
        let z = x * x
        var q = Lanes(repeating: -5.704_988_73e-3)
        q = q * z + 2.063_908_88e-2
        q = q * z - 5.373_971_56e-2
        q = q * z + 1.333_144_22e-1
        q = q * z - 3.333_328_19e-1
        let small = x + (x * z) * q
        return signedLarge.replacing(with: small, where: a .< 0.625)
    }
}
