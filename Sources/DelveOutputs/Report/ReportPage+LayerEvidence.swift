import Delve

extension ReportPage {
    /// The "Layer by layer" section: the ``LayerEvidencePlots`` figure of the last epoch (saturation in
    /// the verdict's phase, probe accuracy, receptive field), when the run has probes or a receptive-field
    /// prediction; empty otherwise.
    static func layerEvidenceSection(_ history: [EpochRecord], verdict: Verdict?, receptiveField: ReceptiveFieldPrediction?) -> String {
        guard let last = history.last else { return "" }
        let phase = verdict?.phase ?? (last.layers.contains { $0.phase == .eval } ? .eval : .train)
        guard let figure = LayerEvidencePlots.layerEvidence(record: last, phase: phase, layers: RunPlots.layerOrder(history),
                                                            prediction: receptiveField, tail: Set(verdict?.namedLayers ?? []))
        else { return "" }
        var h = "<section id=\"layer-by-layer\"><h2>Layer by layer</h2>\n<p>Each layer seen from up to three sides, one panel above the other: "
        h += "how much of its feature space it uses (saturation), how well a linear probe on its output separates the classes, "
        h += "and how much of the input its receptive field already covers. Layers that add nothing show low saturation, "
        h += "no gain in probe accuracy over the layer before, and a receptive field past the input.</p>\n"
        return h + "<figure>" + SVGRenderer.render(figure, standalone: false) + "</figure>\n</section>\n"
    }
}
