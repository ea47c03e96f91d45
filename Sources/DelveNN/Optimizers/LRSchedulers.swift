import Foundation

/// Multiplies the learning rate by `gamma` every `stepSize` epochs (PyTorch `StepLR`):
/// ηₑ = η₀ · γ^⌊e / stepSize⌋. Call `step()` once per epoch, after the optimizer steps.
public final class StepLR {
    /// The optimizer whose learning rate is set.
    public let optimizer: any Optimizer
    /// Epochs between decays.
    public let stepSize: Int
    /// The decay factor.
    public let gamma: Float
    /// The learning rate at epoch 0.
    public let baseLearningRate: Float
    /// The number of `step()` calls so far.
    public private(set) var epoch = 0

    /// Creates the schedule from the optimizer's current learning rate.
    public init(optimizer: any Optimizer, stepSize: Int, gamma: Float = 0.1) {
        require(stepSize > 0, "StepLR: stepSize must be positive, got \(stepSize)")
        self.optimizer = optimizer
        self.stepSize = stepSize
        self.gamma = gamma
        baseLearningRate = optimizer.learningRate
    }

    /// Advances one epoch and updates the learning rate.
    public func step() {
        epoch += 1
        optimizer.learningRate = baseLearningRate * Foundation.pow(gamma, Float(epoch / stepSize))
    }
}

/// Cosine annealing from η₀ to `minimumLearningRate` over `tMax` epochs (PyTorch `CosineAnnealingLR`):
/// ηₑ = η_min + (η₀ − η_min)(1 + cos(π e / T_max)) / 2.
public final class CosineAnnealingLR {
    /// The optimizer whose learning rate is set.
    public let optimizer: any Optimizer
    /// The half period in epochs.
    public let tMax: Int
    /// η_min.
    public let minimumLearningRate: Float
    /// η₀.
    public let baseLearningRate: Float
    /// The number of `step()` calls so far.
    public private(set) var epoch = 0

    /// Creates the schedule from the optimizer's current learning rate.
    public init(optimizer: any Optimizer, tMax: Int, minimumLearningRate: Float = 0) {
        require(tMax > 0, "CosineAnnealingLR: tMax must be positive, got \(tMax)")
        self.optimizer = optimizer
        self.tMax = tMax
        self.minimumLearningRate = minimumLearningRate
        baseLearningRate = optimizer.learningRate
    }

    /// Advances one epoch and updates the learning rate.
    public func step() {
        epoch += 1
        let cosine = (1 + Foundation.cos(Double.pi * Double(epoch) / Double(tMax))) / 2
        optimizer.learningRate = minimumLearningRate + (baseLearningRate - minimumLearningRate) * Float(cosine)
    }
}
