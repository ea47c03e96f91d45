import Delve

/// A run's verdict at one epoch: the tail pattern (``TailPatternRule``) with its layers and what to try,
/// or that there is none, and the layers set aside because they sit at their structural ceiling.
public struct Verdict: Sendable, Equatable {
    /// The epoch judged.
    public var epoch: Int
    /// The phase judged: eval when the record has it, train otherwise.
    public var phase: Phase
    /// The tail pattern, if there is one.
    public var pattern: TailPattern?
    /// The layers at their structural ceiling (not counted by the rule), in network order.
    public var atCeiling: [(layer: String, saturation: Double, ceiling: StructuralCeiling, features: Int)]
    /// How the receptive-field prediction compares with the measured tail, when a prediction was given.
    public var receptiveField: ReceptiveFieldAgreement?

    public static func == (a: Verdict, b: Verdict) -> Bool {
        a.epoch == b.epoch && a.phase == b.phase && a.pattern == b.pattern
            && a.atCeiling.map(\.layer) == b.atCeiling.map(\.layer) && a.receptiveField == b.receptiveField
    }

    /// Judges `record` (eval phase when present, else train) with `rule`, leaving out the layers at
    /// their `ceilings`; with a `receptiveField` prediction, compares it with the measured tail.
    public init(record: EpochRecord, ceilings: StructuralCeilings = StructuralCeilings(),
                rule: TailPatternRule = TailPatternRule(), receptiveField: ReceptiveFieldPrediction? = nil) {
        epoch = record.epoch
        let phase: Phase = record.layers.contains { $0.phase == .eval } ? .eval : .train
        self.phase = phase
        pattern = rule.detect(in: record, phase: phase, ceilings: ceilings)
        atCeiling = record.layers.filter { $0.phase == phase && ceilings.isAtCeiling($0, share: rule.ceilingShare) }
            .compactMap { values in
                guard let ceiling = ceilings[values.layer], let saturation = values.statistics[.lsat] else { return nil }
                return (values.layer, saturation, ceiling, values.features)
            }
        if let receptiveField {
            let tracked = record.layers.filter { $0.phase == phase }.map(\.layer)
            self.receptiveField = ReceptiveFieldAgreement(prediction: receptiveField, measured: pattern, trackedLayers: tracked)
        }
    }

    /// The layers the verdict names (the tail), empty when there is no pattern.
    public var namedLayers: [String] { pattern?.layers ?? [] }

    /// One line per layer at its ceiling: "conv1 is at its structural ceiling: 9 of 32 directions (1 input channel × 3×3 kernel), not counted."
    public var ceilingLines: [String] {
        atCeiling.map { entry in
            "\(entry.layer) is at its structural ceiling: at most \(entry.ceiling.dimensions) of \(entry.features) directions"
                + (entry.ceiling.reason.isEmpty ? "" : " (\(entry.ceiling.reason))") + "; the rule does not count it."
        }
    }

    /// The verdict for the console: the tail-pattern advice, or a line saying there is none.
    public var text: String {
        var lines: [String] = []
        if let pattern {
            lines.append(pattern.advice)
        } else {
            lines.append("No tail pattern (epoch \(epoch), \(phase.rawValue)): no run of final layers has saturation far below the layers before it.")
        }
        lines += ceilingLines
        if let receptiveField { lines.append(receptiveField.sentence) }
        return lines.joined(separator: "\n")
    }
}
