import Foundation

/// Activation functions and (log-)softmax as differentiable tensor operations.
extension Tensor {
    /// max(x, 0).
    public func relu() -> Tensor {
        let out = Tensor.empty(shape)
        let p = UncheckedBox(UnsafePointer(storage.pointer)), po = UncheckedBox(out.storage.pointer)
        let n = count
        Parallel.forEachChunk(n) { r in
            let x = p.value, y = po.value
            for i in r { y[i] = Swift.max(x[i], 0) }
        }
        return Tensor(shape: shape, storage: out.storage, parents: [self]) { g in
            let d = Tensor.empty(g.shape)
            let pg = UncheckedBox(UnsafePointer(g.storage.pointer)), pd = UncheckedBox(d.storage.pointer)
            Parallel.forEachChunk(n) { r in
                let y = po.value, gv = pg.value, dv = pd.value
                for i in r { let yi = y[i], gi = gv[i]; dv[i] = yi > 0 ? gi : 0 }   // unconditional loads: vectorizes
            }
            return [d]
        }
    }

    /// x for x > 0, `negativeSlope`·x otherwise.
    public func leakyRelu(negativeSlope: Float) -> Tensor {
        let out = Tensor.empty(shape)
        let p = storage.pointer, po = out.storage.pointer
        let n = count
        Parallel.forEachChunk(n) { r in for i in r { let x = p[i]; po[i] = x > 0 ? x : x * negativeSlope } }
        return Tensor(shape: shape, storage: out.storage, parents: [self]) { g in
            let r = Tensor.empty(g.shape)
            let pg = g.storage.pointer, pr = r.storage.pointer
            Parallel.forEachChunk(n) { range in for i in range { pr[i] = po[i] > 0 ? pg[i] : pg[i] * negativeSlope } }
            // For slope ≥ 0 the sign of the output equals the sign of the input.
            if negativeSlope < 0 { for i in 0..<n { pr[i] = p[i] > 0 ? pg[i] : pg[i] * negativeSlope } }
            return [r]
        }
    }

    /// The logistic function 1 / (1 + e⁻ˣ).
    public func sigmoid() -> Tensor {
        let out = Tensor.empty(shape)
        let p = storage.pointer, po = out.storage.pointer
        // Eight lanes at a time (``VectorMath``, a few ulp from the C library); every element gets the same
        // lane code wherever the chunks split, so the result does not depend on the thread count.
        Parallel.forEachChunk(count, costPerItem: 16) { r in
            VectorMath.sigmoid(p + r.lowerBound, po + r.lowerBound, count: r.count)
        }
        return Tensor(shape: shape, storage: out.storage, parents: [self]) { g in
            let r = Tensor.empty(g.shape)
            let pg = g.storage.pointer, pr = r.storage.pointer
            for i in 0..<r.count { let y = po[i]; pr[i] = pg[i] * y * (1 - y) }
            return [r]
        }
    }

    /// The hyperbolic tangent.
    public func tanh() -> Tensor {
        let out = Tensor.empty(shape)
        let p = storage.pointer, po = out.storage.pointer
        Parallel.forEachChunk(count, costPerItem: 16) { r in   // as in sigmoid()
            VectorMath.tanh(p + r.lowerBound, po + r.lowerBound, count: r.count)
        }
        return Tensor(shape: shape, storage: out.storage, parents: [self]) { g in
            let r = Tensor.empty(g.shape)
            let pg = g.storage.pointer, pr = r.storage.pointer
            for i in 0..<r.count { let y = po[i]; pr[i] = pg[i] * (1 - y * y) }
            return [r]
        }
    }

    /// The exact Gaussian error linear unit x·Φ(x) = ½x(1 + erf(x/√2)) (PyTorch's default GELU).
    public func gelu() -> Tensor {
        let out = Tensor.empty(shape)
        let p = storage.pointer, po = out.storage.pointer
        for i in 0..<count { let x = Double(p[i]); po[i] = Float(0.5 * x * (1 + Foundation.erf(x / 2.0.squareRoot()))) }
        return Tensor(shape: shape, storage: out.storage, parents: [self]) { g in
            let r = Tensor.empty(g.shape)
            let pg = g.storage.pointer, pr = r.storage.pointer
            let invSqrt2Pi = 1 / (2 * Double.pi).squareRoot()
            for i in 0..<r.count {
                let x = Double(p[i])
                let cdf = 0.5 * (1 + Foundation.erf(x / 2.0.squareRoot()))
                let pdf = invSqrt2Pi * Foundation.exp(-0.5 * x * x)
                pr[i] = pg[i] * Float(cdf + x * pdf)
            }
            return [r]
        }
    }

    /// Splits `shape` around `axis` into (outer, size, inner) for loops along that axis.
    func axisLayout(_ axis: Int, _ caller: String) -> (outer: Int, size: Int, inner: Int) {
        require(axis >= 0 && axis < rank, "Tensor.\(caller): axis \(axis) for shape \(shape)")
        return (shape[..<axis].reduce(1, *), shape[axis], shape[(axis + 1)...].reduce(1, *))
    }

    /// softmax along `axis`: exp(xᵢ − max) / Σⱼ exp(xⱼ − max).
    public func softmax(axis: Int) -> Tensor {
        let (outer, size, inner) = axisLayout(axis, "softmax")
        let out = Tensor.empty(shape)
        let p = storage.pointer, po = out.storage.pointer
        for o in 0..<outer {
            for i in 0..<inner {
                let base = o * size * inner + i
                var m = -Float.infinity
                for j in 0..<size { m = Swift.max(m, p[base + j * inner]) }
                var s: Float = 0
                for j in 0..<size { let e = Foundation.exp(p[base + j * inner] - m); po[base + j * inner] = e; s += e }
                let inv = 1 / s
                for j in 0..<size { po[base + j * inner] *= inv }
            }
        }
        return Tensor(shape: shape, storage: out.storage, parents: [self]) { g in
            // dx = y ⊙ (g − Σ g⊙y)
            let r = Tensor.empty(g.shape)
            let pg = g.storage.pointer, pr = r.storage.pointer
            for o in 0..<outer {
                for i in 0..<inner {
                    let base = o * size * inner + i
                    var dot: Float = 0
                    for j in 0..<size { dot += pg[base + j * inner] * po[base + j * inner] }
                    for j in 0..<size { let k = base + j * inner; pr[k] = po[k] * (pg[k] - dot) }
                }
            }
            return [r]
        }
    }

    /// log-softmax along `axis`, computed stably as xᵢ − max − log Σⱼ exp(xⱼ − max).
    public func logSoftmax(axis: Int) -> Tensor {
        let (outer, size, inner) = axisLayout(axis, "logSoftmax")
        let out = Tensor.empty(shape)
        let p = storage.pointer, po = out.storage.pointer
        for o in 0..<outer {
            for i in 0..<inner {
                let base = o * size * inner + i
                var m = -Float.infinity
                for j in 0..<size { m = Swift.max(m, p[base + j * inner]) }
                var s: Float = 0
                for j in 0..<size { s += Foundation.exp(p[base + j * inner] - m) }
                let lse = m + Foundation.log(s)
                for j in 0..<size { po[base + j * inner] = p[base + j * inner] - lse }
            }
        }
        return Tensor(shape: shape, storage: out.storage, parents: [self]) { g in
            // dx = g − softmax ⊙ Σ g
            let r = Tensor.empty(g.shape)
            let pg = g.storage.pointer, pr = r.storage.pointer
            for o in 0..<outer {
                for i in 0..<inner {
                    let base = o * size * inner + i
                    var s: Float = 0
                    for j in 0..<size { s += pg[base + j * inner] }
                    for j in 0..<size { let k = base + j * inner; pr[k] = pg[k] - Foundation.exp(po[k]) * s }
                }
            }
            return [r]
        }
    }
}
