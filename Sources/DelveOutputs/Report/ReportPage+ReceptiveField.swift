import Delve

extension ReportPage {
    /// The "Receptive field" section: per layer its receptive field and jump, whether the prediction
    /// counts it unproductive (the border layer and the convolutions after it), its saturation in the
    /// verdict's phase and whether the measured tail holds it; empty without a prediction.
    static func receptiveFieldSection(_ prediction: ReceptiveFieldPrediction?, verdict: Verdict?, last: EpochRecord?) -> String {
        guard let prediction else { return "" }
        let tail = Set(verdict?.namedLayers ?? [])
        let unproductive = Set(prediction.unproductiveLayers)
        var h = "<section id=\"receptive-field\"><h2>Receptive field</h2>\n<p>At \(escape(prediction.inputText)) inputs, "
        if let border = prediction.borderLayer {
            h += "the input of the border layer <b>\(escape(border))</b> already sees the whole input, so it and the convolutions "
            h += "after it cannot add spatial context: they are predicted unproductive (Richter, Shenk et al. 2021). "
        } else {
            h += "no layer's input sees the whole input: no layer is predicted unproductive. "
        }
        h += "Receptive field r and jump j are in input pixels (height×width), padding included.</p>\n"
        h += "<table class=\"numbers\">\n<thead><tr><th class=\"text\">layer</th><th class=\"text\">type</th><th>r</th><th>j</th>"
        h += "<th class=\"text\">predicted</th>"
        if let verdict { h += "<th>saturation (\(verdict.phase.rawValue))</th><th class=\"text\">measured</th>" }
        h += "</tr></thead>\n<tbody>\n"
        for layer in prediction.layers {
            let border = layer.name == prediction.borderLayer ? " (border)" : ""
            let predicted = unproductive.contains(layer.name) ? "unproductive" + border : (border.isEmpty ? "" : "border")
            h += "<tr><td class=\"name\">\(escape(layer.name))</td><td class=\"text\">\(escape(layer.type))</td>"
            h += "<td>\(escape(ReceptiveFieldPrediction.sizeText(layer.receptiveField)))</td>"
            h += "<td>\(escape(ReceptiveFieldPrediction.sizeText(layer.jump)))</td><td class=\"text\">\(predicted)</td>"
            if let verdict {
                let saturation = last?.values(layer: layer.name, phase: verdict.phase)?.statistics[.lsat]
                h += "<td>\(saturation.map { percent($0) } ?? "–")</td>"
                h += "<td class=\"text\">\(tail.contains(layer.name) ? "<span style=\"color:#D55E00\">tail</span>" : "")</td>"
            }
            h += "</tr>\n"
        }
        h += "</tbody></table>\n"
        if let agreement = verdict?.receptiveField { h += "<p>\(escape(agreement.sentence))</p>\n" }
        return h + "</section>\n"
    }
}
