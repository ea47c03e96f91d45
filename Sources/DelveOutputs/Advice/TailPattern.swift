import Delve

/// Detection of the *tail pattern*: a run of consecutive layers at the end of a network whose
/// saturation sits far below the rest, a sign that those layers contribute little to the
/// representation (Richter, Shenk et al., *Feature Space Saturation during Training*, BMVC 2021;
/// Richter et al., *Should you go deeper?*, 2021).
///
/// The rule, applied to one phase of one epoch (layers in network order):
/// 1. The output layer is set aside: its width is fixed by the task, so its saturation says little
///    about depth. (With ``TailPatternRule/includeOutputLayer`` it is kept.)
/// 2. Walking back from the end, the tail is the longest run of layers whose saturation is below
///    ``TailPatternRule/relativeLevel`` (default ½) × the **median** saturation of the layers before
///    the run — and below ``TailPatternRule/absoluteLevel`` (default 0.5).
/// 3. A pattern is reported when the tail holds at least ``TailPatternRule/minimumLength`` layers
///    (default 2) and at least ``TailPatternRule/minimumHead`` layers (default 2) remain before it.
/// Nothing is said otherwise.
///
/// Given ``StructuralCeilings``, a layer at its ceiling (saturation ≥ ``TailPatternRule/ceilingShare``
/// of the most its shape allows) is left out before step 1: it is neither part of a tail nor of the
/// reference, since its low saturation is fixed by its shape.
public struct TailPatternRule: Sendable, Equatable {
    /// A tail layer's saturation must be below this share of the median of the layers before it.
    public var relativeLevel: Double = 0.5
    /// A tail layer's saturation must also be below this absolute value.
    public var absoluteLevel: Double = 0.5
    /// The fewest layers that make a tail.
    public var minimumLength: Int = 2
    /// The fewest layers that must stay before the tail (the reference for "the rest").
    public var minimumHead: Int = 2
    /// Whether the output layer takes part in the decision.
    public var includeOutputLayer: Bool = false
    /// A layer whose saturation reaches this share of its structural ceiling counts as at its ceiling.
    public var ceilingShare: Double = 0.85

    /// The default rule.
    public init() {}
}

/// A detected tail pattern.
public struct TailPattern: Sendable, Equatable {
    /// The unproductive layers, in network order.
    public var layers: [String]
    /// Their saturations, in the same order.
    public var saturations: [Double]
    /// The median saturation of the layers before the tail.
    public var referenceSaturation: Double

    /// Plain-language advice: which layers, how low, and the known remedies.
    public var advice: String {
        let list = zip(layers, saturations).map { "\($0) (\(format($1)))" }.joined(separator: ", ")
        return """
        Tail pattern: the last \(layers.count) tracked layers — \(list) — have saturation far below \
        the median \(format(referenceSaturation)) of the layers before them. They use only a small \
        part of their feature space and add little to the representation.
        What to try:
          • remove these layers (a shallower network reaches the same accuracy with less compute);
          • downsample later (move pooling/strided layers towards the end) so that deep layers still \
        see spatial detail;
          • or feed a higher input resolution, if the data allows it.
        """
    }

    private func format(_ value: Double) -> String {
        let percent = (value * 1000).rounded() / 10
        return "\(percent)%"
    }
}

extension TailPatternRule {
    /// Looks for the tail pattern in saturations given in network order; `nil` when there is none.
    ///
    /// Non-finite saturations make the input unusable: the function then returns `nil`.
    public func detect(_ layers: [(name: String, saturation: Double)]) -> TailPattern? {
        guard layers.allSatisfy({ $0.saturation.isFinite }) else { return nil }
        let considered = includeOutputLayer ? layers[...] : layers.dropLast()
        guard considered.count >= minimumLength + minimumHead else { return nil }
        var best: (start: Int, reference: Double)? = nil
        // Try every tail start from the longest admissible tail to the shortest; keep the
        // longest run in which every layer is low relative to the head before it.
        let end = considered.endIndex
        for start in (considered.startIndex + minimumHead)...(end - minimumLength) {
            let head = considered[considered.startIndex..<start].map(\.saturation)
            let reference = median(head)
            let tail = considered[start..<end]
            let low = tail.allSatisfy { $0.saturation < relativeLevel * reference && $0.saturation < absoluteLevel }
            if low {
                best = (start, reference)
                break
            }
        }
        guard let found = best else { return nil }
        let tail = considered[found.start..<end]
        return TailPattern(layers: tail.map(\.name), saturations: tail.map(\.saturation),
                           referenceSaturation: found.reference)
    }

    /// Looks for the tail pattern in one phase of an epoch record (saturation must have been computed),
    /// leaving out the layers at their structural ceiling.
    public func detect(in record: EpochRecord, phase: Phase = .eval,
                       ceilings: StructuralCeilings = StructuralCeilings()) -> TailPattern? {
        let entries = record.layers.filter { $0.phase == phase && $0.statistics[.lsat] != nil }
        // The output layer stays in place (step 1 sets it aside unless it takes part).
        let layers = entries.enumerated().compactMap { i, values -> (name: String, saturation: Double)? in
            let isOutput = i == entries.count - 1 && !includeOutputLayer
            guard isOutput || !ceilings.isAtCeiling(values, share: ceilingShare) else { return nil }
            return (values.layer, values.statistics[.lsat] ?? .nan)
        }
        return detect(layers)
    }
}

/// The median (the mean of the two middle values for an even count); 0 for no values.
func median(_ values: [Double]) -> Double {
    guard !values.isEmpty else { return 0 }
    let sorted = values.sorted()
    let mid = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}
