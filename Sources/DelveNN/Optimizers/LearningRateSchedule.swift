import Foundation

/// A learning rate as a pure function of the step (the epoch, counted from the run's first one): the
/// closed forms of PyTorch's schedulers, so a resumed run continues with the right rate without saved
/// scheduler state.
///
/// - `constant`: ηₜ = η₀.
/// - `step(every: s, gamma: γ)` (`StepLR`): ηₜ = η₀ · γ^⌊t / s⌋.
/// - `cosine(period: T, minimum: η_min)` (`CosineAnnealingLR`'s closed form):
///   ηₜ = η_min + (η₀ − η_min)(1 + cos(π t / T)) / 2.
///
/// Text form (``init(parsing:)``, ``description``): `constant`, `step:<every>,<gamma>`,
/// `cosine:<period>[,<minimum>]`; the numbers are written so that they read back bit for bit.
public enum LearningRateSchedule: Equatable, Sendable, CustomStringConvertible {
    /// The base rate at every step.
    case constant
    /// The rate times `gamma` every `every` steps (PyTorch `StepLR(step_size: every, gamma: gamma)`).
    case step(every: Int, gamma: Float)
    /// Cosine annealing from the base rate to `minimum` over `period` steps (PyTorch
    /// `CosineAnnealingLR(T_max: period, eta_min: minimum)`, closed form).
    case cosine(period: Int, minimum: Float)

    /// The learning rate at `step` (≥ 0) for the base rate `base`.
    public func learningRate(base: Float, step: Int) -> Float {
        switch self {
        case .constant:
            return base
        case let .step(every, gamma):
            return base * Foundation.pow(gamma, Float(step / every))
        case let .cosine(period, minimum):
            let cosine = (1 + Foundation.cos(Double.pi * Double(step) / Double(period))) / 2
            return minimum + (base - minimum) * Float(cosine)
        }
    }

    /// Whether the parameters are in range: every, period ≥ 1; gamma finite and > 0; minimum finite and ≥ 0.
    public var isValid: Bool {
        switch self {
        case .constant: return true
        case let .step(every, gamma): return every >= 1 && gamma.isFinite && gamma > 0
        case let .cosine(period, minimum): return period >= 1 && minimum.isFinite && minimum >= 0
        }
    }

    /// `constant`, `step:<every>,<gamma>` or `cosine:<period>,<minimum>`.
    public var description: String {
        switch self {
        case .constant: return "constant"
        case let .step(every, gamma): return "step:\(every),\(gamma.description)"
        case let .cosine(period, minimum): return "cosine:\(period),\(minimum.description)"
        }
    }

    /// Reads `constant`, `step:<every>,<gamma>` (every ≥ 1, gamma > 0) or `cosine:<period>[,<minimum>]`
    /// (period ≥ 1, minimum ≥ 0, default 0).
    public init(parsing text: String) throws(LearningRateScheduleError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed == "constant" {
            self = .constant
            return
        }
        let parts = trimmed.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let kind = parts.first.map(String.init) ?? ""
        let arguments = parts.count == 2 ? parts[1].split(separator: ",", omittingEmptySubsequences: false).map(String.init) : []
        switch kind {
        case "step":
            guard arguments.count == 2, let every = Int(arguments[0]), every >= 1,
                  let gamma = Float(arguments[1]), gamma.isFinite, gamma > 0 else {
                throw .invalid(text: text, expected: "step:<every>,<gamma> with an integer every ≥ 1 and a number gamma > 0, e.g. step:10,0.1")
            }
            self = .step(every: every, gamma: gamma)
        case "cosine":
            guard (1...2).contains(arguments.count), let period = Int(arguments[0]), period >= 1 else {
                throw .invalid(text: text, expected: "cosine:<period>[,<minimum>] with an integer period ≥ 1, e.g. cosine:50 or cosine:50,0.001")
            }
            var minimum: Float = 0
            if arguments.count == 2 {
                guard let value = Float(arguments[1]), value.isFinite, value >= 0 else {
                    throw .invalid(text: text, expected: "cosine:<period>[,<minimum>] with a number minimum ≥ 0, e.g. cosine:50,0.001")
                }
                minimum = value
            }
            self = .cosine(period: period, minimum: minimum)
        default:
            throw .invalid(text: text, expected: "constant, step:<every>,<gamma> or cosine:<period>[,<minimum>]")
        }
    }
}

/// Why a text is not a ``LearningRateSchedule``.
public enum LearningRateScheduleError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `text` does not have the expected form.
    case invalid(text: String, expected: String)

    /// A one-line message naming the text and the expected form.
    public var description: String {
        switch self {
        case let .invalid(text, expected): return "'\(text)' is not a learning-rate schedule; expected \(expected)"
        }
    }
}
