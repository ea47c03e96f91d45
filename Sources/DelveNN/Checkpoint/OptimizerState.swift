import Foundation

/// The complete internal state of an optimizer, enough to continue training bit for bit: its kind,
/// its scalars (learning rate, hyper-parameters, step count) as exact text, and its per-parameter
/// arrays (SGD's momentum buffers, Adam's first and second moments) named `<buffer>.<parameter name>`
/// and shaped like the parameter, e.g. `momentum_buffer.features.0.weight` (the parameter's module path,
/// as in ``Module/namedParameters()``, like the keys of mlx-swift's optimizer state), so that the state
/// does not depend on the order in which the optimizer was given its parameters.
///
/// Saved as a safetensors file (``write(to:)``): the arrays as `F32` tensors, the kind and scalars in
/// the header's `__metadata__` (`optimizer`, `scalar.<name>`).
public struct OptimizerState: Sendable {
    /// `sgd`, `adam` or `adamw`.
    public var kind: String
    /// Exact text of each scalar (a `Float` or `Int` description that reads back to the same value).
    public var scalars: [String: String]
    /// Per-parameter arrays, e.g. `momentum_buffer.features.0.weight`, `exp_avg.lstm.weight_ih_l0`.
    public var arrays: Safetensors.NamedArrays

    /// Creates a state.
    public init(kind: String, scalars: [String: String] = [:], arrays: Safetensors.NamedArrays = [:]) {
        self.kind = kind
        self.scalars = scalars
        self.arrays = arrays
    }

    /// Writes the state as a safetensors file, atomically (temporary file, then rename).
    public func write(to url: URL) throws(TrainingStateError) {
        var metadata = ["optimizer": kind]
        for (name, value) in scalars { metadata["scalar.\(name)"] = value }
        do {
            try Safetensors.write(arrays, metadata: metadata, to: url)
        } catch {
            throw .file(error)
        }
    }

    /// Reads a state written by ``write(to:)``; errors name the file.
    public static func read(from url: URL) throws(TrainingStateError) -> OptimizerState {
        let tensors: Safetensors.NamedArrays, metadata: [String: String]
        do {
            (tensors, metadata) = try Safetensors.read(contentsOf: url)
        } catch {
            throw .file(error)
        }
        guard let kind = metadata["optimizer"] else {
            throw .malformed(source: url.path, reason: "the header's __metadata__ has no \"optimizer\" entry")
        }
        var scalars: [String: String] = [:]
        for (key, value) in metadata where key.hasPrefix("scalar.") { scalars[String(key.dropFirst(7))] = value }
        return OptimizerState(kind: kind, scalars: scalars, arrays: tensors)
    }

    /// The scalar `name` as a `Float`; `source` names the state in errors.
    func float(_ name: String, source: String) throws(TrainingStateError) -> Float {
        guard let text = scalars[name] else { throw .malformed(source: source, reason: "missing scalar '\(name)'") }
        guard let value = Float(text), value.isFinite else {
            throw .malformed(source: source, reason: "scalar '\(name)' must be a finite number, found '\(text)'")
        }
        return value
    }

    /// Checks that the saved scalar `name` equals `expected` (a hyper-parameter that must not change).
    func expect(_ name: String, _ expected: Float, source: String) throws(TrainingStateError) {
        let saved = try float(name, source: source)
        guard saved.bitPattern == expected.bitPattern else {
            throw .mismatch(source: source, reason: "\(name) was \(saved) when saved, the optimizer has \(expected)")
        }
    }

    /// The per-parameter array `<buffer>.<name>`, which must have `shape`, or nil when absent.
    func array(_ buffer: String, _ name: String, shape: [Int], source: String) throws(TrainingStateError) -> [Float]? {
        guard let (saved, values) = arrays["\(buffer).\(name)"] else { return nil }
        guard saved == shape, values.count == shape.reduce(1, *) else {
            throw .mismatch(source: source, reason: "\(buffer).\(name) has shape \(saved), the parameter '\(name)' has shape \(shape)")
        }
        return values
    }

    /// Checks that every array is named `<one of buffers>.<name of one of the parameters>`.
    func checkArrayNames(_ buffers: [String], parameterNames: [String], source: String) throws(TrainingStateError) {
        let known = Set(parameterNames)
        for name in arrays.keys.sorted() {
            guard let buffer = buffers.first(where: { name.hasPrefix($0 + ".") }) else {
                throw .mismatch(source: source, reason: "unexpected array '\(name)' (expected \(buffers.joined(separator: " or ")).<parameter name>)")
            }
            let parameter = String(name.dropFirst(buffer.count + 1))
            guard known.contains(parameter) else {
                throw .mismatch(source: source, reason: "array '\(name)' is for the parameter '\(parameter)', which the optimizer does not have")
            }
        }
    }
}

/// An optimizer whose internal state can be saved and restored, so that training resumes exactly
/// where it stopped (the same updates as an uninterrupted run).
public protocol CheckpointableOptimizer: Optimizer {
    /// A copy of the complete internal state.
    func exportState() -> OptimizerState
    /// Replaces the internal state with `state`, all or nothing. The kind, hyper-parameters, the
    /// parameter count, and every array's parameter name and shape must match this optimizer; otherwise
    /// it throws (naming `source` and the array) and nothing changes. The learning rate is restored.
    func importState(_ state: OptimizerState, source: String) throws(TrainingStateError)
}

extension SGD: CheckpointableOptimizer {
    /// Learning rate, μ, τ, λ, Nesterov flag, and `momentum_buffer.<name>` for each parameter that has one.
    public func exportState() -> OptimizerState {
        var arrays: Safetensors.NamedArrays = [:]
        for (index, buffer) in momentumBuffers.enumerated() {
            guard let buffer else { continue }
            arrays["momentum_buffer.\(parameterNames[index])"] = (parameters[index].shape, buffer)
        }
        return OptimizerState(kind: "sgd", scalars: [
            "lr": learningRate.description, "momentum": momentum.description, "dampening": dampening.description,
            "weight_decay": weightDecay.description, "nesterov": nesterov ? "1" : "0",
            "parameters": String(parameters.count),
        ], arrays: arrays)
    }

    /// Restores a state of ``exportState()``; μ, τ, λ, Nesterov and the parameter names and shapes must match.
    public func importState(_ state: OptimizerState, source: String = "<memory>") throws(TrainingStateError) {
        guard state.kind == "sgd" else {
            throw .mismatch(source: source, reason: "the state is of optimizer '\(state.kind)', expected 'sgd'")
        }
        try checkParameterCount(state, parameters.count, source: source)
        try state.expect("momentum", momentum, source: source)
        try state.expect("dampening", dampening, source: source)
        try state.expect("weight_decay", weightDecay, source: source)
        guard state.scalars["nesterov"] == (nesterov ? "1" : "0") else {
            throw .mismatch(source: source, reason: "nesterov was \(state.scalars["nesterov"] ?? "missing") when saved, the optimizer has \(nesterov ? 1 : 0)")
        }
        let lr = try state.float("lr", source: source)
        try state.checkArrayNames(["momentum_buffer"], parameterNames: parameterNames, source: source)
        var restored: [[Float]?] = []
        for (name, p) in zip(parameterNames, parameters) {
            restored.append(try state.array("momentum_buffer", name, shape: p.shape, source: source))
        }
        learningRate = lr
        momentumBuffers = restored
    }
}

extension AdamOptimizer: CheckpointableOptimizer {
    /// Learning rate, β₁, β₂, ε, λ, the step count t, and `exp_avg.<name>` (m) and `exp_avg_sq.<name>` (v)
    /// for each parameter that has taken a step.
    public func exportState() -> OptimizerState {
        var arrays: Safetensors.NamedArrays = [:]
        for (index, moment) in momentArrays.enumerated() {
            guard let moment else { continue }
            arrays["exp_avg.\(parameterNames[index])"] = (parameters[index].shape, moment.m)
            arrays["exp_avg_sq.\(parameterNames[index])"] = (parameters[index].shape, moment.v)
        }
        return OptimizerState(kind: kind, scalars: [
            "lr": learningRate.description, "beta1": beta1.description, "beta2": beta2.description,
            "epsilon": epsilon.description, "weight_decay": weightDecay.description,
            "step": String(stepCount), "parameters": String(parameters.count),
        ], arrays: arrays)
    }

    /// Restores a state of ``exportState()``; the kind (Adam or AdamW), β₁, β₂, ε, λ and the parameter
    /// names and shapes must match.
    public func importState(_ state: OptimizerState, source: String = "<memory>") throws(TrainingStateError) {
        guard state.kind == kind else {
            throw .mismatch(source: source, reason: "the state is of optimizer '\(state.kind)', expected '\(kind)'")
        }
        try checkParameterCount(state, parameters.count, source: source)
        try state.expect("beta1", beta1, source: source)
        try state.expect("beta2", beta2, source: source)
        try state.expect("epsilon", epsilon, source: source)
        try state.expect("weight_decay", weightDecay, source: source)
        let lr = try state.float("lr", source: source)
        guard let text = state.scalars["step"], let step = Int(text), step >= 0 else {
            throw .malformed(source: source, reason: "scalar 'step' must be a non-negative integer, found '\(state.scalars["step"] ?? "nothing")'")
        }
        try state.checkArrayNames(["exp_avg", "exp_avg_sq"], parameterNames: parameterNames, source: source)
        var restored: [(m: [Float], v: [Float])?] = []
        for (name, p) in zip(parameterNames, parameters) {
            let m = try state.array("exp_avg", name, shape: p.shape, source: source)
            let v = try state.array("exp_avg_sq", name, shape: p.shape, source: source)
            switch (m, v) {
            case let (m?, v?): restored.append((m, v))
            case (nil, nil): restored.append(nil)
            default: throw .malformed(source: source, reason: "the parameter '\(name)' has only one of exp_avg and exp_avg_sq")
            }
        }
        learningRate = lr
        stepCount = step
        momentArrays = restored
    }

    /// `adamw` for decoupled weight decay, else `adam`.
    var kind: String { decoupledWeightDecay ? "adamw" : "adam" }
}

/// Checks the saved parameter count against the optimizer's.
private func checkParameterCount(_ state: OptimizerState, _ count: Int, source: String) throws(TrainingStateError) {
    guard let text = state.scalars["parameters"], let saved = Int(text) else {
        throw .malformed(source: source, reason: "missing or invalid scalar 'parameters'")
    }
    guard saved == count else {
        throw .mismatch(source: source, reason: "the state is for \(saved) parameters, the optimizer has \(count)")
    }
}
