/// Broadcasting (NumPy/PyTorch rules): shapes are aligned at their last dimension; a dimension of size 1
/// (or a missing leading dimension) is repeated to match the other operand.
enum Broadcasting {
    /// The broadcast shape of `a` and `b`, or `nil` when they are incompatible.
    static func shape(_ a: [Int], _ b: [Int]) -> [Int]? {
        let rank = max(a.count, b.count)
        var out = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
            let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
            if da == db || db == 1 { out[i] = da } else if da == 1 { out[i] = db } else { return nil }
        }
        return out
    }

    /// Strides of a contiguous tensor of shape `shape` seen through the broadcast shape `out`
    /// (0 along repeated dimensions).
    static func strides(of shape: [Int], in out: [Int]) -> [Int] {
        let offset = out.count - shape.count
        var strides = [Int](repeating: 0, count: out.count)
        var running = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[i + offset] = shape[i] == 1 ? 0 : running
            running *= shape[i]
        }
        return strides
    }

    /// Calls `body(outOffset, aOffset, bOffset, innerCount, innerStrideA, innerStrideB)` once per row of
    /// the innermost dimension of `out`, walking the outer dimensions in row-major order.
    @inline(__always)
    static func forEachRow(out: [Int], stridesA: [Int], stridesB: [Int],
                           _ body: (Int, Int, Int, Int, Int, Int) -> Void) {
        let rank = out.count
        let total = Tensor.elementCount(out)
        guard total > 0 else { return }
        guard rank > 0 else { body(0, 0, 0, 1, 0, 0); return }
        let inner = out[rank - 1]
        var index = [Int](repeating: 0, count: rank)
        var oa = 0, ob = 0, o = 0
        while o < total {
            body(o, oa, ob, inner, stridesA[rank - 1], stridesB[rank - 1])
            o += inner
            var d = rank - 2
            while d >= 0 {
                index[d] += 1; oa += stridesA[d]; ob += stridesB[d]
                if index[d] < out[d] { break }
                oa -= stridesA[d] * out[d]; ob -= stridesB[d] * out[d]; index[d] = 0; d -= 1
            }
        }
    }

    /// Sums `t` (shaped like the broadcast shape) down to `target`, the shape of an operand.
    static func reduce(_ t: Tensor, to target: [Int]) -> Tensor {
        if t.shape == target { return t }
        let out = Tensor.zeros(target)
        let strides = Broadcasting.strides(of: target, in: t.shape)
        let zero = [Int](repeating: 0, count: t.shape.count)
        let pt = t.storage.pointer, po = out.storage.pointer
        forEachRow(out: t.shape, stridesA: strides, stridesB: zero) { o, a, _, n, sa, _ in
            if sa == 0 {
                var s: Float = 0
                for j in 0..<n { s += pt[o + j] }
                po[a] += s
            } else {
                for j in 0..<n { po[a + j * sa] += pt[o + j] }
            }
        }
        return out
    }
}
