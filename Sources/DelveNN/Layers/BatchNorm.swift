/// Batch normalization over the channel dimension 1 of `[N, C, ...]` (shared by `BatchNorm1d`/`BatchNorm2d`).
///
/// Training: y = γ·(x − μ_B)/√(σ²_B + ε) + β with the batch mean and biased variance per channel;
/// running statistics are updated as r ← (1 − m)·r + m·(batch statistic), using the unbiased variance
/// (PyTorch semantics). Evaluation: the running statistics replace the batch statistics.
public class BatchNormBase: Module {
    /// γ, `[C]` (initialized to 1), or `nil` without affine parameters.
    public let weight: Tensor?
    /// β, `[C]` (initialized to 0), or `nil`.
    public let bias: Tensor?
    /// The running mean per channel (`running_mean`).
    public let runningMean: Tensor
    /// The running variance per channel (`running_var`).
    public let runningVar: Tensor
    /// The number of channels.
    public let numFeatures: Int
    /// ε added to the variance.
    public let epsilon: Float
    /// The weight m of the new batch statistic in the running average.
    public let momentum: Float
    /// The number of training batches seen (`num_batches_tracked`).
    public private(set) var batchesTracked = 0

    init(numFeatures: Int, epsilon: Float, momentum: Float, affine: Bool) {
        require(numFeatures > 0, "BatchNorm: numFeatures must be positive, got \(numFeatures)")
        require(momentum >= 0 && momentum <= 1, "BatchNorm: momentum must be in [0, 1], got \(momentum)")
        self.numFeatures = numFeatures
        self.epsilon = epsilon
        self.momentum = momentum
        weight = affine ? Tensor.ones([numFeatures], requiresGrad: true) : nil
        bias = affine ? Tensor.zeros([numFeatures], requiresGrad: true) : nil
        runningMean = Tensor.zeros([numFeatures])
        runningVar = Tensor.ones([numFeatures])
        super.init()
    }

    public override var localParameters: [(name: String, tensor: Tensor)] {
        (weight.map { [("weight", $0)] } ?? []) + (bias.map { [("bias", $0)] } ?? [])
    }

    public override var localBuffers: [(name: String, tensor: Tensor)] {
        [("running_mean", runningMean), ("running_var", runningVar)]
    }

    /// Normalizes `input` seen as `[N, C, S]`.
    func normalize(_ input: Tensor) -> Tensor {
        require(input.rank >= 2 && input.shape[1] == numFeatures,
                "\(type(of: self)): expected input [N, \(numFeatures), ...], got \(input.shape)")
        let n = input.shape[0], c = numFeatures, s = input.count / max(n * c, 1)
        let m = n * s
        let px = input.storage.pointer
        let out = Tensor.empty(input.shape)
        let po = out.storage.pointer
        let gamma = weight?.scalars ?? [Float](repeating: 1, count: c)
        let beta = bias?.scalars ?? [Float](repeating: 0, count: c)
        var mean = [Float](repeating: 0, count: c), invStd = [Float](repeating: 0, count: c)
        let useBatch = training
        if useBatch {
            require(m > 1, "\(type(of: self)): training needs more than one value per channel, got input \(input.shape)")
            let rm = runningMean.storage.pointer, rv = runningVar.storage.pointer
            for ch in 0..<c {
                var sum: Double = 0
                for b in 0..<n { let row = px + (b * c + ch) * s; for k in 0..<s { sum += Double(row[k]) } }
                let mu = sum / Double(m)
                var sq: Double = 0
                for b in 0..<n { let row = px + (b * c + ch) * s; for k in 0..<s { let d = Double(row[k]) - mu; sq += d * d } }
                let variance = sq / Double(m)
                mean[ch] = Float(mu)
                invStd[ch] = Float(1 / (variance + Double(epsilon)).squareRoot())
                rm[ch] = (1 - momentum) * rm[ch] + momentum * Float(mu)
                rv[ch] = (1 - momentum) * rv[ch] + momentum * Float(sq / Double(m - 1))
            }
            batchesTracked += 1
        } else {
            let rm = runningMean.storage.pointer, rv = runningVar.storage.pointer
            for ch in 0..<c { mean[ch] = rm[ch]; invStd[ch] = 1 / (rv[ch] + epsilon).squareRoot() }
        }
        for b in 0..<n {
            for ch in 0..<c {
                let row = px + (b * c + ch) * s, y = po + (b * c + ch) * s
                let scale = gamma[ch] * invStd[ch], shift = beta[ch] - mean[ch] * scale
                for k in 0..<s { y[k] = row[k] * scale + shift }
            }
        }
        let parents = [input] + (weight.map { [$0] } ?? []) + (bias.map { [$0] } ?? [])
        let hasAffine = weight != nil
        return Tensor(shape: input.shape, storage: out.storage, parents: parents) { grad in
            let pg = grad.storage.pointer
            let dx = Tensor.empty(input.shape)
            let pd = dx.storage.pointer
            var dGamma = [Float](repeating: 0, count: c), dBeta = [Float](repeating: 0, count: c)
            for ch in 0..<c {
                // Σ g and Σ g·x̂ over the channel.
                var sumG: Double = 0, sumGX: Double = 0
                for b in 0..<n {
                    let row = px + (b * c + ch) * s, g = pg + (b * c + ch) * s
                    for k in 0..<s { let xhat = (row[k] - mean[ch]) * invStd[ch]; sumG += Double(g[k]); sumGX += Double(g[k] * xhat) }
                }
                dGamma[ch] = Float(sumGX); dBeta[ch] = Float(sumG)
                let scale = gamma[ch] * invStd[ch]
                if useBatch {
                    // dx = γ/σ · (g − mean(g) − x̂·mean(g·x̂))
                    let meanG = Float(sumG / Double(m)), meanGX = Float(sumGX / Double(m))
                    for b in 0..<n {
                        let row = px + (b * c + ch) * s, g = pg + (b * c + ch) * s, d = pd + (b * c + ch) * s
                        for k in 0..<s { let xhat = (row[k] - mean[ch]) * invStd[ch]; d[k] = scale * (g[k] - meanG - xhat * meanGX) }
                    }
                } else {
                    for b in 0..<n {
                        let g = pg + (b * c + ch) * s, d = pd + (b * c + ch) * s
                        for k in 0..<s { d[k] = scale * g[k] }
                    }
                }
            }
            var result: [Tensor?] = [dx]
            if hasAffine { result.append(Tensor(shape: [c], data: dGamma)); result.append(Tensor(shape: [c], data: dBeta)) }
            return result
        }
    }
}

/// Batch normalization of `[N, C]` or `[N, C, L]` per channel (PyTorch `nn.BatchNorm1d`).
public final class BatchNorm1d: BatchNormBase {
    /// Creates the layer (PyTorch defaults ε = 1e-5, momentum 0.1, affine).
    public init(_ numFeatures: Int, epsilon: Float = 1e-5, momentum: Float = 0.1, affine: Bool = true) {
        super.init(numFeatures: numFeatures, epsilon: epsilon, momentum: momentum, affine: affine)
    }
    public override func forward(_ input: Tensor) -> Tensor {
        require(input.rank == 2 || input.rank == 3, "BatchNorm1d: expected [N, C] or [N, C, L], got \(input.shape)")
        return normalize(input)
    }
}

/// Batch normalization of `[N, C, H, W]` per channel (PyTorch `nn.BatchNorm2d`).
public final class BatchNorm2d: BatchNormBase {
    /// Creates the layer (PyTorch defaults ε = 1e-5, momentum 0.1, affine).
    public init(_ numFeatures: Int, epsilon: Float = 1e-5, momentum: Float = 0.1, affine: Bool = true) {
        super.init(numFeatures: numFeatures, epsilon: epsilon, momentum: momentum, affine: affine)
    }
    public override func forward(_ input: Tensor) -> Tensor {
        require(input.rank == 4, "BatchNorm2d: expected [N, C, H, W], got \(input.shape)")
        return normalize(input)
    }
}
