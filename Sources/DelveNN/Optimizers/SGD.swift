/// Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay,
/// exactly as PyTorch `torch.optim.SGD`:
/// gₜ = ∇ + λθ; bₜ = μbₜ₋₁ + (1 − τ)gₜ (b₁ = g₁); update = gₜ + μbₜ (Nesterov) or bₜ; θ ← θ − η·update.
public final class SGD: Optimizer {
    /// The parameters updated.
    public let parameters: [Tensor]
    /// The name of each parameter (its module path, e.g. `features.0.weight`), which keys the saved state.
    public let parameterNames: [String]
    /// η.
    public var learningRate: Float
    /// μ.
    public let momentum: Float
    /// τ.
    public let dampening: Float
    /// λ (L2 penalty added to the gradient).
    public let weightDecay: Float
    /// Whether to use Nesterov momentum.
    public let nesterov: Bool
    private var buffers: [TensorStorage?]

    /// Creates the optimizer for named parameters, e.g. `model.namedParameters()`; its saved state
    /// (``exportState()``) is keyed by these names, so it does not depend on the parameters' order.
    public init(namedParameters: [(path: String, tensor: Tensor)], learningRate: Float, momentum: Float = 0,
                dampening: Float = 0, weightDecay: Float = 0, nesterov: Bool = false) {
        require(learningRate >= 0 && momentum >= 0 && weightDecay >= 0, "SGD: negative hyper-parameter")
        require(!nesterov || (momentum > 0 && dampening == 0), "SGD: Nesterov needs momentum > 0 and no dampening")
        requireUniqueNames(namedParameters, optimizer: "SGD")
        parameters = namedParameters.map(\.tensor)
        parameterNames = namedParameters.map(\.path)
        self.learningRate = learningRate
        self.momentum = momentum
        self.dampening = dampening
        self.weightDecay = weightDecay
        self.nesterov = nesterov
        buffers = Array(repeating: nil, count: parameters.count)
    }

    /// Creates the optimizer for parameters named by their position ("0", "1", …).
    public convenience init(parameters: [Tensor], learningRate: Float, momentum: Float = 0, dampening: Float = 0,
                            weightDecay: Float = 0, nesterov: Bool = false) {
        self.init(namedParameters: positionallyNamed(parameters), learningRate: learningRate, momentum: momentum,
                  dampening: dampening, weightDecay: weightDecay, nesterov: nesterov)
    }

    public func step() {
        let lr = learningRate, mu = momentum, wd = weightDecay, damp = 1 - dampening
        for (index, p) in parameters.enumerated() {
            guard let grad = p.grad else { continue }
            let n = p.count
            let w = p.storage.pointer, g = grad.storage.pointer
            if mu == 0 {
                for i in 0..<n { w[i] -= lr * (g[i] + wd * w[i]) }
                continue
            }
            if let buffer = buffers[index] {
                let b = buffer.pointer
                for i in 0..<n {
                    let d = g[i] + wd * w[i]
                    let bi = mu * b[i] + damp * d
                    b[i] = bi
                    w[i] -= lr * (nesterov ? d + mu * bi : bi)
                }
            } else {
                let buffer = TensorStorage(uninitializedCount: n)
                let b = buffer.pointer
                for i in 0..<n {
                    let d = g[i] + wd * w[i]
                    b[i] = d
                    w[i] -= lr * (nesterov ? d + mu * d : d)
                }
                buffers[index] = buffer
            }
        }
    }

    public func zeroGrad() { for p in parameters { p.grad = nil } }

    /// Copies of the momentum buffers (nil before a parameter's first update), for checkpoints.
    var momentumBuffers: [[Float]?] {
        get { buffers.enumerated().map { index, buffer in buffer.map { Array(UnsafeBufferPointer(start: $0.pointer, count: parameters[index].count)) } } }
        set {
            buffers = newValue.map { values in
                values.map { values in
                    let storage = TensorStorage(uninitializedCount: values.count)
                    for i in 0..<values.count { storage.pointer[i] = values[i] }
                    return storage
                }
            }
        }
    }
}
