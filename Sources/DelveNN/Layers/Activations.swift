/// Rectified linear unit max(x, 0).
public final class ReLU: Module {
    /// Creates the activation.
    public override init() { super.init() }
    public override func forward(_ input: Tensor) -> Tensor { input.relu() }
}

/// Leaky rectified linear unit: x for x > 0, `negativeSlope`·x otherwise.
public final class LeakyReLU: Module {
    /// The slope for negative inputs (PyTorch default 0.01).
    public let negativeSlope: Float
    /// Creates the activation.
    public init(negativeSlope: Float = 0.01) {
        self.negativeSlope = negativeSlope
        super.init()
    }
    public override func forward(_ input: Tensor) -> Tensor { input.leakyRelu(negativeSlope: negativeSlope) }
}

/// Gaussian error linear unit x·Φ(x) (exact, with erf).
public final class GELU: Module {
    /// Creates the activation.
    public override init() { super.init() }
    public override func forward(_ input: Tensor) -> Tensor { input.gelu() }
}

/// Hyperbolic tangent.
public final class Tanh: Module {
    /// Creates the activation.
    public override init() { super.init() }
    public override func forward(_ input: Tensor) -> Tensor { input.tanh() }
}

/// Logistic sigmoid 1 / (1 + e⁻ˣ).
public final class Sigmoid: Module {
    /// Creates the activation.
    public override init() { super.init() }
    public override func forward(_ input: Tensor) -> Tensor { input.sigmoid() }
}

/// Softmax along `dim` (PyTorch `nn.Softmax(dim)`); a negative `dim` counts from the end.
public final class Softmax: Module {
    /// The dimension that sums to one.
    public let dim: Int
    /// Creates the layer.
    public init(dim: Int = -1) {
        self.dim = dim
        super.init()
    }
    public override func forward(_ input: Tensor) -> Tensor {
        input.softmax(axis: dim < 0 ? input.rank + dim : dim)
    }
}
