import Foundation

/// Elementwise arithmetic with broadcasting.
extension Tensor {
    enum BinaryOperation { case add, subtract, multiply, divide }

    /// Computes `a ∘ b` elementwise into a new tensor of the broadcast shape (not recorded).
    static func binaryKernel(_ a: Tensor, _ b: Tensor, _ op: BinaryOperation) -> Tensor {
        guard let outShape = Broadcasting.shape(a.shape, b.shape) else {
            preconditionFailure("Tensor: shapes \(a.shape) and \(b.shape) cannot be broadcast together")
        }
        let out = Tensor.empty(outShape)
        let pa = a.storage.pointer, pb = b.storage.pointer, po = out.storage.pointer
        @inline(__always) func row(_ o: Int, _ ia: Int, _ ib: Int, _ n: Int, _ sa: Int, _ sb: Int) {
            switch op {
            case .add: for j in 0..<n { po[o + j] = pa[ia + j * sa] + pb[ib + j * sb] }
            case .subtract: for j in 0..<n { po[o + j] = pa[ia + j * sa] - pb[ib + j * sb] }
            case .multiply: for j in 0..<n { po[o + j] = pa[ia + j * sa] * pb[ib + j * sb] }
            case .divide: for j in 0..<n { po[o + j] = pa[ia + j * sa] / pb[ib + j * sb] }
            }
        }
        if a.shape == b.shape {
            row(0, 0, 0, out.count, 1, 1)
        } else {
            Broadcasting.forEachRow(out: outShape, stridesA: Broadcasting.strides(of: a.shape, in: outShape),
                                    stridesB: Broadcasting.strides(of: b.shape, in: outShape), row)
        }
        return out
    }

    /// `a + b` with broadcasting.
    public static func + (a: Tensor, b: Tensor) -> Tensor {
        let out = binaryKernel(a, b, .add)
        return Tensor(shape: out.shape, storage: out.storage, parents: [a, b]) { g in
            [a.requiresGrad ? Broadcasting.reduce(g, to: a.shape) : nil,
             b.requiresGrad ? Broadcasting.reduce(g, to: b.shape) : nil]
        }
    }

    /// `a - b` with broadcasting.
    public static func - (a: Tensor, b: Tensor) -> Tensor {
        let out = binaryKernel(a, b, .subtract)
        return Tensor(shape: out.shape, storage: out.storage, parents: [a, b]) { g in
            [a.requiresGrad ? Broadcasting.reduce(g, to: a.shape) : nil,
             b.requiresGrad ? Broadcasting.reduce(g.scaled(-1), to: b.shape) : nil]
        }
    }

    /// `a * b` elementwise with broadcasting.
    public static func * (a: Tensor, b: Tensor) -> Tensor {
        let out = binaryKernel(a, b, .multiply)
        return Tensor(shape: out.shape, storage: out.storage, parents: [a, b]) { g in
            [a.requiresGrad ? Broadcasting.reduce(binaryKernel(g, b, .multiply), to: a.shape) : nil,
             b.requiresGrad ? Broadcasting.reduce(binaryKernel(g, a, .multiply), to: b.shape) : nil]
        }
    }

    /// `a / b` elementwise with broadcasting.
    public static func / (a: Tensor, b: Tensor) -> Tensor {
        let out = binaryKernel(a, b, .divide)
        return Tensor(shape: out.shape, storage: out.storage, parents: [a, b]) { g in
            // d/da = 1/b; d/db = -a/b² = -out/b
            [a.requiresGrad ? Broadcasting.reduce(binaryKernel(g, b, .divide), to: a.shape) : nil,
             b.requiresGrad ? Broadcasting.reduce(binaryKernel(binaryKernel(g, out, .multiply), b, .divide).scaled(-1), to: b.shape) : nil]
        }
    }

    /// Elementwise negation.
    public static prefix func - (a: Tensor) -> Tensor { a.scaled(-1) }

    /// `a + s` for every element.
    public static func + (a: Tensor, s: Float) -> Tensor { a.affine(scale: 1, shift: s) }
    /// `s + a` for every element.
    public static func + (s: Float, a: Tensor) -> Tensor { a.affine(scale: 1, shift: s) }
    /// `a - s` for every element.
    public static func - (a: Tensor, s: Float) -> Tensor { a.affine(scale: 1, shift: -s) }
    /// `s - a` for every element.
    public static func - (s: Float, a: Tensor) -> Tensor { a.affine(scale: -1, shift: s) }
    /// `a · s` for every element.
    public static func * (a: Tensor, s: Float) -> Tensor { a.scaled(s) }
    /// `s · a` for every element.
    public static func * (s: Float, a: Tensor) -> Tensor { a.scaled(s) }
    /// `a / s` for every element.
    public static func / (a: Tensor, s: Float) -> Tensor { a.scaled(1 / s) }

    /// `scale · x` (recorded).
    public func scaled(_ scale: Float) -> Tensor { affine(scale: scale, shift: 0) }

    /// `scale · x + shift` (recorded).
    public func affine(scale: Float, shift: Float) -> Tensor {
        let out = Tensor.empty(shape)
        let p = storage.pointer, po = out.storage.pointer
        for i in 0..<count { po[i] = scale * p[i] + shift }
        return Tensor(shape: shape, storage: out.storage, parents: [self]) { g in [g.scaled(scale)] }
    }

    /// Applies `forward` to every element; `derivative(x, y)` gives dy/dx from the input and output.
    /// For simple user-level math; the layers use dedicated loops.
    func mapElements(_ forward: (Float) -> Float, derivative: @escaping (Float, Float) -> Float) -> Tensor {
        let out = Tensor.empty(shape)
        let p = storage.pointer, po = out.storage.pointer
        for i in 0..<count { po[i] = forward(p[i]) }
        return Tensor(shape: shape, storage: out.storage, parents: [self]) { [self] g in
            let r = Tensor.empty(g.shape)
            let pg = g.storage.pointer, pr = r.storage.pointer, px = self.storage.pointer, py = out.storage.pointer
            for i in 0..<r.count { pr[i] = pg[i] * derivative(px[i], py[i]) }
            return [r]
        }
    }

    /// Elementwise eˣ.
    public func exp() -> Tensor { mapElements({ Foundation.exp($0) }, derivative: { _, y in y }) }
    /// Elementwise natural logarithm.
    public func log() -> Tensor { mapElements({ Foundation.log($0) }, derivative: { x, _ in 1 / x }) }
    /// Elementwise square root.
    public func sqrt() -> Tensor { mapElements({ $0.squareRoot() }, derivative: { _, y in 0.5 / y }) }
    /// Elementwise square.
    public func squared() -> Tensor { mapElements({ $0 * $0 }, derivative: { x, _ in 2 * x }) }
    /// Elementwise xᵖ.
    public func pow(_ exponent: Float) -> Tensor {
        mapElements({ Foundation.pow($0, exponent) }, derivative: { x, _ in exponent * Foundation.pow(x, exponent - 1) })
    }
    /// Elementwise absolute value (subgradient 0 at 0).
    public func abs() -> Tensor { mapElements({ Swift.abs($0) }, derivative: { x, _ in x > 0 ? 1 : (x < 0 ? -1 : 0) }) }
}
