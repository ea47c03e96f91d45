/// Bilinear resizing of image planes with `align_corners=False` semantics, as PyTorch's
/// `F.interpolate(mode='bilinear')` computes it.
///
/// Output pixel `o` samples the input at `s = (o + ½)·(in/out) − ½`, clamped below at 0; with
/// `i = ⌊s⌋`, `λ = s − i` it blends input pixels `i` and `min(i + 1, in − 1)` with weights `1 − λ`, `λ`,
/// first along the width, then the height.
enum BilinearResize {
    /// The source indices and weights of one axis.
    struct AxisWeights {
        var lower: [Int]
        var upper: [Int]
        var upperWeight: [Float]
        /// The input size the weights map from.
        let input: Int

        init(input: Int, output: Int) {
            self.input = input
            let scale = Double(input) / Double(output)
            lower = []; upper = []; upperWeight = []
            lower.reserveCapacity(output); upper.reserveCapacity(output); upperWeight.reserveCapacity(output)
            for o in 0..<output {
                let source = Swift.max(0, (Double(o) + 0.5) * scale - 0.5)
                let i = Swift.min(Int(source), input - 1)
                lower.append(i)
                upper.append(Swift.min(i + 1, input - 1))
                upperWeight.append(Float(source - Double(i)))
            }
        }
    }

    /// Resizes `planes` planes of `height`×`width` (contiguous) to `outHeight`×`outWidth`.
    static func resize(_ input: UnsafeBufferPointer<Float>, planes: Int, height: Int, width: Int,
                       outHeight: Int, outWidth: Int) -> [Float] {
        var output = [Float](repeating: 0, count: planes * outHeight * outWidth)
        output.withUnsafeMutableBufferPointer { out in
            resize(input, planes: planes, height: height, width: width,
                   rows: AxisWeights(input: height, output: outHeight),
                   columns: AxisWeights(input: width, output: outWidth), into: out)
        }
        return output
    }

    /// Resizes into `out` (`planes`·rows.count·columns.count values) with precomputed axis weights.
    static func resize(_ input: UnsafeBufferPointer<Float>, planes: Int, height: Int, width: Int,
                       rows: AxisWeights, columns: AxisWeights, into out: UnsafeMutableBufferPointer<Float>) {
        let outHeight = rows.lower.count, outWidth = columns.lower.count
        for p in 0..<planes {
            let plane = p * height * width
            let outPlane = p * outHeight * outWidth
            for y in 0..<outHeight {
                let top = plane + rows.lower[y] * width
                let bottom = plane + rows.upper[y] * width
                let wy = rows.upperWeight[y]
                for x in 0..<outWidth {
                    let l = columns.lower[x], u = columns.upper[x], wx = columns.upperWeight[x]
                    let upperRow = (1 - wx) * input[top + l] + wx * input[top + u]
                    let lowerRow = (1 - wx) * input[bottom + l] + wx * input[bottom + u]
                    out[outPlane + y * outWidth + x] = (1 - wy) * upperRow + wy * lowerRow
                }
            }
        }
    }
}
