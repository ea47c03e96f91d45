/// Reductions: sums and means over all or some dimensions.
extension Tensor {
    /// The sum of all elements (a scalar tensor).
    public func sum() -> Tensor {
        var s: Double = 0
        let p = storage.pointer
        for i in 0..<count { s += Double(p[i]) }
        let sourceShape = shape
        return Tensor(shape: [], storage: TensorStorage([Float(s)]), parents: [self]) { g in
            [Tensor.full(sourceShape, value: g.storage.pointer[0])]
        }
    }

    /// The mean of all elements (a scalar tensor).
    public func mean() -> Tensor {
        require(count > 0, "Tensor.mean: empty tensor of shape \(shape)")
        return sum().scaled(1 / Float(count))
    }

    /// The sum over `axes`; those dimensions are kept with size 1 when `keepingDims`, else removed.
    public func sum(axes: [Int], keepingDims: Bool = false) -> Tensor {
        for a in axes { require(a >= 0 && a < rank, "Tensor.sum(axes:): axis \(a) for rank \(rank)") }
        var kept = shape
        for a in axes { kept[a] = 1 }
        let reduced = Broadcasting.reduce(self, to: kept)
        let resultShape = keepingDims ? kept : shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element)
        let sourceShape = shape
        return Tensor(shape: resultShape, storage: reduced === self ? storage.copy() : reduced.storage, parents: [self]) { g in
            [Tensor.expand(Tensor(shape: kept, storage: g.storage), to: sourceShape)]
        }
    }

    /// The mean over `axes`.
    public func mean(axes: [Int], keepingDims: Bool = false) -> Tensor {
        let n = axes.reduce(1) { $0 * shape[$1] }
        require(n > 0, "Tensor.mean(axes:): empty reduction over \(axes) of \(shape)")
        return sum(axes: axes, keepingDims: keepingDims).scaled(1 / Float(n))
    }

    /// Repeats `t` along its size-1 dimensions to `shape` (not recorded).
    static func expand(_ t: Tensor, to shape: [Int]) -> Tensor {
        if t.shape == shape { return t }
        let out = Tensor.empty(shape)
        let pt = t.storage.pointer, po = out.storage.pointer
        let strides = Broadcasting.strides(of: t.shape, in: shape)
        Broadcasting.forEachRow(out: shape, stridesA: strides, stridesB: strides) { o, a, _, n, sa, _ in
            for j in 0..<n { po[o + j] = pt[a + j * sa] }
        }
        return out
    }

    /// Index of the largest element along the last dimension, for every row (ties: the first).
    public func argmaxLastAxis() -> [Int] {
        require(rank >= 1 && shape[rank - 1] > 0, "Tensor.argmaxLastAxis: shape \(shape)")
        let n = shape[rank - 1], rows = count / n
        let p = storage.pointer
        return (0..<rows).map { r in
            var best = 0
            for j in 1..<n where p[r * n + j] > p[r * n + best] { best = j }
            return best
        }
    }
}
