import Delve
import Foundation

/// Axis ticks at "nice" numbers (1, 2 or 5 × 10ⁿ apart) covering a range.
public enum NiceTicks {
    /// The step between ticks: `(upper − lower) / maxCount` rounded to the nearest 1, 2, 5 or 10 × 10ⁿ
    /// (thresholds 1.5, 3, 7; Heckbert, *Nice numbers for graph labels*, Graphics Gems 1990).
    public static func step(lower: Double, upper: Double, maxCount: Int) -> Double {
        let span = upper - lower
        guard span > 0, span.isFinite, maxCount > 0 else { return 1 }
        let raw = span / Double(maxCount)
        let magnitude = pow(10, floor(log10(raw)))
        let residual = raw / magnitude
        let factor: Double = residual < 1.5 ? 1 : residual < 3 ? 2 : residual < 7 ? 5 : 10
        return factor * magnitude
    }

    /// Ticks from the first multiple of the step ≥ `lower` to the last ≤ `upper` (at most about
    /// `maxCount + 1` values). A degenerate range gives the single value.
    public static func ticks(lower: Double, upper: Double, maxCount: Int = 6) -> [Double] {
        guard lower.isFinite, upper.isFinite else { return [] }
        guard upper > lower else { return [lower] }
        let s = step(lower: lower, upper: upper, maxCount: maxCount)
        var values: [Double] = []
        var k = (lower / s - 1e-9).rounded(.up)
        while k * s <= upper + s * 1e-9, values.count < 1000 {
            let v = k * s
            values.append(abs(v) < s * 1e-9 ? 0 : v)
            k += 1
        }
        return values
    }

    /// A range that contains `lower...upper` and starts and ends on ticks (for axis domains).
    public static func niceRange(lower: Double, upper: Double, maxCount: Int = 6) -> (Double, Double) {
        guard lower.isFinite, upper.isFinite else { return (0, 1) }
        if upper <= lower {
            let pad = lower == 0 ? 1 : abs(lower) * 0.1
            return niceRange(lower: lower - pad, upper: upper + pad, maxCount: maxCount)
        }
        let s = step(lower: lower, upper: upper, maxCount: maxCount)
        return ((lower / s).rounded(.down) * s, (upper / s).rounded(.up) * s)
    }

    /// The label of a tick `value` on an axis whose ticks are `step` apart: as many decimals as the step
    /// needs (`0.25` → 2), no exponent for ordinary ranges.
    public static func label(_ value: Double, step: Double) -> String {
        guard step > 0, step.isFinite else { return String(value) }
        if abs(value) >= 1e6 || (abs(value) < 1e-4 && value != 0) { return String(format: "%.2g", value) }
        var decimals = 0
        while decimals < 8, abs(step * pow(10, Double(decimals)) - (step * pow(10, Double(decimals))).rounded()) > 1e-6 * max(1, step * pow(10, Double(decimals))) {
            decimals += 1
        }
        return String(format: "%.\(decimals)f", value)
    }
}
