import Delve
import DelveOutputs
import DelveNNTracking

extension TrainingRun {
    /// The structural ceilings of `structure` as the outputs keep them.
    static func ceilings(_ structure: [LayerStructure]) -> StructuralCeilings {
        StructuralCeilings(structure.map { ($0.name, StructuralCeiling(dimensions: $0.ceiling, reason: $0.reason)) })
    }

    /// The verdict on `record` (eval phase when present, else train), with the model's structural ceilings
    /// and its receptive-field prediction.
    public func verdict(for record: EpochRecord) -> Verdict {
        Verdict(record: record, ceilings: writers.history.ceilings, receptiveField: receptiveField)
    }

    /// The number of the model's parameters.
    public var parameterCount: Int { model.parameterCount }

    /// Multiply-adds per sample of one forward pass through the tracked layers.
    public var multiplyAddsPerSample: Int { structure.reduce(0) { $0 + $1.multiplyAdds } }
}
