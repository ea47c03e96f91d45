import Delve

extension AnalyzeReport {
    /// The probe of the layer `name`, if `--labels` gave one.
    private func probe(_ name: String) -> ActivationFileAnalyzer.ProbeResult? {
        probes.first { $0.name == name }
    }

    /// `probe-r2` and `probe-accuracy` when the run has probes.
    var probeColumns: [String] { probes.isEmpty ? [] : [Statistic.probeR2.rawValue, Statistic.probeAccuracy.rawValue] }

    /// The layer's probe cells (empty text where a value does not exist: no evaluation rows).
    func probeCells(for name: String, exact: Bool) -> [String] {
        guard !probes.isEmpty else { return [] }
        guard let probe = probe(name) else { return ["", ""] }
        func text(_ value: Double) -> String { exact ? delveNumberText(value) : String(format: "%.4f", value) }
        return [text(probe.probe.r2), probe.accuracy.map(text) ?? ""]
    }

    /// `"probe_r2"`, `"probe_accuracy"` (absent without evaluation rows), `"probe_fit_samples"`,
    /// `"probe_eval_samples"` and `"probe_classes"` of the layer's probe.
    func probeJSON(for name: String) -> [(String, JSONValue)] {
        guard let probe = probe(name) else { return [] }
        var fields: [(String, JSONValue)] = [("probe_r2", .double(probe.probe.r2))]
        if let accuracy = probe.accuracy { fields.append(("probe_accuracy", .double(accuracy))) }
        fields += [("probe_fit_samples", .number(Double(probe.fitSamples))), ("probe_eval_samples", .number(Double(probe.evalSamples))),
                   ("probe_classes", .number(Double(probe.probe.classes)))]
        return fields
    }

    /// One note per probe: the split and λ, and that no accuracy exists without evaluation rows.
    func probeNotes() -> [String] {
        probes.map { probe in
            "\(probe.name): probe fitted on the first \(probe.fitSamples) rows (\(probe.probe.classes) classes, λ = \(probe.probe.ridge)), "
                + (probe.evalSamples > 0 ? "accuracy on the last \(probe.evalSamples)" : "no rows left to evaluate: no probe-accuracy")
        }
    }
}
