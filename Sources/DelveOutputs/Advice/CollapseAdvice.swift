import Delve

/// The collapse warnings of a run: the layer notes starting with `collapse:` that the tracker adds when
/// RankMe falls below a share of a layer's dimension or by more than half within an epoch
/// (`TrackerOptions/collapseShare`).
public enum CollapseAdvice {
    /// Every collapse note of `history`, oldest epoch first.
    public static func warnings(in history: [EpochRecord]) -> [String] {
        history.flatMap { record in record.layers.flatMap { $0.notes.filter { $0.hasPrefix("collapse:") } } }
    }

    /// The advice printed at the end of `delve train`, or nil when no layer collapsed.
    public static func advice(for history: [EpochRecord]) -> String? {
        let warnings = warnings(in: history)
        guard !warnings.isEmpty else { return nil }
        let shown = warnings.suffix(8).map { "  - \($0.dropFirst("collapse: ".count))" }.joined(separator: "\n")
        let more = warnings.count > 8 ? "\n  (\(warnings.count - 8) earlier warning(s) in the report)" : ""
        return "Dimensional collapse (RankMe): \(warnings.count) warning(s)\n\(shown)\(more)\n"
            + "  A layer whose representations span few directions carries little information about its input: "
            + "check the learning rate, weight decay and normalisation, or whether the loss rewards constant outputs."
    }
}
