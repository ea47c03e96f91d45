/// A module that draws random numbers while it runs (``Dropout``): its generator belongs to a training
/// checkpoint, so that a resumed run continues the same random stream.
public protocol RandomizedModule: Module {
    /// The module's generator; reading it saves the stream position, assigning it restores it.
    var generator: SeededGenerator { get set }
}

extension Module {
    /// The state (``SeededGenerator/state``) of every ``RandomizedModule`` in this model, keyed by its
    /// dotted path ("" for the model itself).
    public func randomGeneratorStates() -> [String: [UInt64]] {
        var states: [String: [UInt64]] = [:]
        for (path, module) in namedModules() {
            if let randomized = module as? any RandomizedModule { states[path] = randomized.generator.state }
        }
        return states
    }

    /// Restores the generators saved by ``randomGeneratorStates()``, all or nothing: the saved paths must
    /// be exactly this model's randomized modules and every state valid, otherwise nothing changes and
    /// ``TrainingStateError/mismatch(source:reason:)`` (or `.malformed`) names `source`.
    public func restoreRandomGeneratorStates(_ states: [String: [UInt64]], source: String = "<memory>") throws(TrainingStateError) {
        var targets: [(module: any RandomizedModule, generator: SeededGenerator)] = []
        var expected: Set<String> = []
        for (path, module) in namedModules() {
            guard let randomized = module as? any RandomizedModule else { continue }
            expected.insert(path)
            guard let saved = states[path] else {
                throw .mismatch(source: source, reason: "no generator state for the randomized module '\(path)'")
            }
            guard let generator = SeededGenerator(state: saved) else {
                throw .malformed(source: source, reason: "generator state of '\(path)' must be 4 words, not all zero; found \(saved)")
            }
            targets.append((randomized, generator))
        }
        let unexpected = Set(states.keys).subtracting(expected).sorted()
        guard unexpected.isEmpty else {
            throw .mismatch(source: source, reason: "generator states for modules the model does not have: \(unexpected.joined(separator: ", "))")
        }
        for target in targets { target.module.generator = target.generator }
    }
}
