/// Adam (Kingma & Ba 2015) as PyTorch `torch.optim.Adam`, and AdamW's decoupled weight decay
/// (Loshchilov & Hutter 2019) when `decoupledWeightDecay` is set:
/// m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²; θ ← θ − (η/(1−β₁ᵗ))·m / (√v/√(1−β₂ᵗ) + ε).
/// Coupled decay adds λθ to g; decoupled decay first multiplies θ by (1 − ηλ).
public class AdamOptimizer: Optimizer {
    /// The parameters updated.
    public let parameters: [Tensor]
    /// The name of each parameter (its module path, e.g. `features.0.weight`), which keys the saved state.
    public let parameterNames: [String]
    /// η.
    public var learningRate: Float
    /// β₁.
    public let beta1: Float
    /// β₂.
    public let beta2: Float
    /// ε.
    public let epsilon: Float
    /// λ.
    public let weightDecay: Float
    /// Whether the weight decay is decoupled (AdamW).
    public let decoupledWeightDecay: Bool
    /// The number of steps taken.
    public internal(set) var stepCount = 0
    private var moments: [(m: TensorStorage, v: TensorStorage)?]

    init(namedParameters: [(path: String, tensor: Tensor)], learningRate: Float, betas: (Float, Float), epsilon: Float,
         weightDecay: Float, decoupled: Bool) {
        require(learningRate >= 0 && epsilon >= 0 && weightDecay >= 0, "Adam: negative hyper-parameter")
        require((0..<1).contains(betas.0) && (0..<1).contains(betas.1), "Adam: betas must be in [0, 1), got \(betas)")
        requireUniqueNames(namedParameters, optimizer: decoupled ? "AdamW" : "Adam")
        parameters = namedParameters.map(\.tensor)
        parameterNames = namedParameters.map(\.path)
        self.learningRate = learningRate
        beta1 = betas.0
        beta2 = betas.1
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        decoupledWeightDecay = decoupled
        moments = Array(repeating: nil, count: parameters.count)
    }

    public func step() {
        stepCount += 1
        let t = Float(stepCount)
        let correction1 = 1 - _pow(beta1, t), correction2 = 1 - _pow(beta2, t)
        let stepSize = learningRate / correction1
        let sqrtCorrection2 = correction2.squareRoot()
        let b1 = beta1, b2 = beta2, eps = epsilon, wd = weightDecay, lr = learningRate
        for (index, p) in parameters.enumerated() {
            guard let grad = p.grad else { continue }
            let n = p.count
            if moments[index] == nil {
                moments[index] = (TensorStorage(count: n, repeating: 0), TensorStorage(count: n, repeating: 0))
            }
            let m = moments[index]!.m.pointer, v = moments[index]!.v.pointer
            let w = p.storage.pointer, g = grad.storage.pointer
            for i in 0..<n {
                var gi = g[i]
                if decoupledWeightDecay { w[i] *= 1 - lr * wd } else { gi += wd * w[i] }
                m[i] = b1 * m[i] + (1 - b1) * gi
                v[i] = b2 * v[i] + (1 - b2) * gi * gi
                w[i] -= stepSize * m[i] / (v[i].squareRoot() / sqrtCorrection2 + eps)
            }
        }
    }

    public func zeroGrad() { for p in parameters { p.grad = nil } }

    /// Copies of the first and second moments (nil before a parameter's first update), for checkpoints.
    var momentArrays: [(m: [Float], v: [Float])?] {
        get {
            moments.enumerated().map { index, pair in
                pair.map { pair in
                    let n = parameters[index].count
                    return (Array(UnsafeBufferPointer(start: pair.m.pointer, count: n)),
                            Array(UnsafeBufferPointer(start: pair.v.pointer, count: n)))
                }
            }
        }
        set {
            func storage(_ values: [Float]) -> TensorStorage {
                let storage = TensorStorage(uninitializedCount: values.count)
                for i in 0..<values.count { storage.pointer[i] = values[i] }
                return storage
            }
            moments = newValue.map { pair in pair.map { (storage($0.m), storage($0.v)) } }
        }
    }
}

/// Adam with L2 weight decay added to the gradient (PyTorch `torch.optim.Adam`).
public final class Adam: AdamOptimizer {
    /// Creates the optimizer (PyTorch defaults) for named parameters, e.g. `model.namedParameters()`;
    /// its saved state (`exportState()`) is keyed by these names.
    public init(namedParameters: [(path: String, tensor: Tensor)], learningRate: Float = 1e-3,
                betas: (Float, Float) = (0.9, 0.999), epsilon: Float = 1e-8, weightDecay: Float = 0) {
        super.init(namedParameters: namedParameters, learningRate: learningRate, betas: betas, epsilon: epsilon,
                   weightDecay: weightDecay, decoupled: false)
    }

    /// Creates the optimizer (PyTorch defaults) for parameters named by their position ("0", "1", …).
    public convenience init(parameters: [Tensor], learningRate: Float = 1e-3, betas: (Float, Float) = (0.9, 0.999),
                            epsilon: Float = 1e-8, weightDecay: Float = 0) {
        self.init(namedParameters: positionallyNamed(parameters), learningRate: learningRate, betas: betas,
                  epsilon: epsilon, weightDecay: weightDecay)
    }
}

/// Adam with decoupled weight decay (PyTorch `torch.optim.AdamW`).
public final class AdamW: AdamOptimizer {
    /// Creates the optimizer (PyTorch defaults, weight decay 0.01) for named parameters, e.g.
    /// `model.namedParameters()`; its saved state (`exportState()`) is keyed by these names.
    public init(namedParameters: [(path: String, tensor: Tensor)], learningRate: Float = 1e-3,
                betas: (Float, Float) = (0.9, 0.999), epsilon: Float = 1e-8, weightDecay: Float = 1e-2) {
        super.init(namedParameters: namedParameters, learningRate: learningRate, betas: betas, epsilon: epsilon,
                   weightDecay: weightDecay, decoupled: true)
    }

    /// Creates the optimizer (PyTorch defaults, weight decay 0.01) for parameters named by their
    /// position ("0", "1", …).
    public convenience init(parameters: [Tensor], learningRate: Float = 1e-3, betas: (Float, Float) = (0.9, 0.999),
                            epsilon: Float = 1e-8, weightDecay: Float = 1e-2) {
        self.init(namedParameters: positionallyNamed(parameters), learningRate: learningRate, betas: betas,
                  epsilon: epsilon, weightDecay: weightDecay)
    }
}

import Foundation
@inline(__always) func _pow(_ x: Float, _ y: Float) -> Float { Foundation.pow(x, y) }
