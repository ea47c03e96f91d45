import DelveLinearAlgebra

/// A fully connected layer y = x·Wᵀ + b (PyTorch `nn.Linear`).
///
/// `weight` is `[outFeatures, inFeatures]`, `bias` is `[outFeatures]`. The input is `[..., inFeatures]`;
/// leading dimensions are treated as a batch. Initialization as PyTorch: W and b ~ U(−1/√in, 1/√in)
/// (kaiming-uniform with a = √5).
public final class Linear: Module {
    /// The weight matrix, `[outFeatures, inFeatures]`.
    public let weight: Tensor
    /// The bias, `[outFeatures]`, or `nil` without bias.
    public let bias: Tensor?
    /// The input width.
    public let inFeatures: Int
    /// The output width.
    public let outFeatures: Int

    /// A layer initialized from `rng`.
    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, rng: inout some RandomNumberGenerator) {
        require(inFeatures > 0 && outFeatures > 0, "Linear: sizes must be positive, got \(inFeatures)→\(outFeatures)")
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        let bound = 1 / Float(inFeatures).squareRoot()
        weight = Tensor.uniform([outFeatures, inFeatures], low: -bound, high: bound, using: &rng)
        weight.requiresGrad = true
        if bias {
            let b = Tensor.uniform([outFeatures], low: -bound, high: bound, using: &rng)
            b.requiresGrad = true
            self.bias = b
        } else {
            self.bias = nil
        }
        super.init()
    }

    /// A layer initialized from the thread's default generator (`RandomState`).
    public convenience init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true) {
        var rng = RandomState.withGenerator { SeededGenerator(seed: $0.next()) }
        self.init(inFeatures, outFeatures, bias: bias, rng: &rng)
    }

    public override var localParameters: [(name: String, tensor: Tensor)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    public override func forward(_ input: Tensor) -> Tensor {
        Linear.apply(input, weight: weight, bias: bias)
    }

    /// x·Wᵀ + b for `x` of shape `[..., in]` (one `sgemm`; the bias is added row by row).
    public static func apply(_ input: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
        let inF = weight.shape[1], outF = weight.shape[0]
        require(input.rank >= 1 && input.shape[input.rank - 1] == inF,
                "Linear: expected input [..., \(inF)], got \(input.shape)")
        let rows = input.count / inF
        var outShape = input.shape
        outShape[outShape.count - 1] = outF
        let out = Tensor.empty(outShape)
        let po = out.storage.pointer
        if let bias {
            let pb = bias.storage.pointer
            for r in 0..<rows { (po + r * outF).update(from: pb, count: outF) }
        }
        Tensor.gemm(false, true, m: rows, n: outF, k: inF, a: input.storage.pointer, lda: inF,
                    b: weight.storage.pointer, ldb: inF, beta: bias == nil ? 0 : 1, c: po)
        let parents = bias.map { [input, weight, $0] } ?? [input, weight]
        return Tensor(shape: outShape, storage: out.storage, parents: parents) { g in
            let pg = g.storage.pointer
            var dx: Tensor? = nil, dw: Tensor? = nil, db: Tensor? = nil
            if input.requiresGrad {
                let t = Tensor.empty(input.shape)
                Tensor.gemm(false, false, m: rows, n: inF, k: outF, a: pg, lda: outF,
                            b: weight.storage.pointer, ldb: inF, beta: 0, c: t.storage.pointer)
                dx = t
            }
            if weight.requiresGrad {
                let t = Tensor.empty(weight.shape)
                Tensor.gemm(true, false, m: outF, n: inF, k: rows, a: pg, lda: outF,
                            b: input.storage.pointer, ldb: inF, beta: 0, c: t.storage.pointer)
                dw = t
            }
            if let bias, bias.requiresGrad {
                let t = Tensor.zeros(bias.shape)
                let pt = t.storage.pointer
                for r in 0..<rows { let row = pg + r * outF; for j in 0..<outF { pt[j] += row[j] } }
                db = t
            }
            return bias == nil ? [dx, dw] : [dx, dw, db]
        }
    }
}
