import Delve

extension ReportPage {
    /// The report's first section: the verdict on the last epoch — the tail pattern with its layers and
    /// what to try, or that there is none — and one sentence on the layers' structural ceilings.
    static func verdictSection(_ verdict: Verdict?, ceilings: StructuralCeilings, last: EpochRecord?) -> String {
        var h = "<section class=\"verdict\" id=\"verdict\"><h2>Verdict</h2>\n"
        guard let verdict else { return h + "<p>No epoch recorded yet.</p>\n</section>\n" }
        if let pattern = verdict.pattern {
            let list = zip(pattern.layers, pattern.saturations).map { "<b class=\"named\">\(escape($0))</b> (\(percent($1)))" }
            h += "<p class=\"tail\"><b>Tail pattern</b> at epoch \(verdict.epoch) (\(verdict.phase.rawValue)): the last "
            h += "\(pattern.layers.count) tracked layers — \(list.joined(separator: ", ")) — have saturation far below the median "
            h += "\(percent(pattern.referenceSaturation)) of the layers before them. They use only a small part of their "
            h += "feature space and add little to the representation; the plots below mark them in vermillion.</p>\n"
            h += "<p>What to try:</p>\n<ul>\n<li>remove these layers (a shallower network reaches the same accuracy with less compute);</li>\n"
            h += "<li>downsample later (move pooling/strided layers towards the end) so that deep layers still see spatial detail;</li>\n"
            h += "<li>or feed a higher input resolution, if the data allows it.</li>\n</ul>\n"
        } else {
            h += "<p class=\"healthy\"><b>No tail pattern</b> at epoch \(verdict.epoch) (\(verdict.phase.rawValue)): no run of final "
            h += "layers has saturation far below the layers before it.</p>\n"
        }
        h += ceilingSentence(ceilings, last: last, verdict: verdict)
        if let agreement = verdict.receptiveField {
            h += "<p class=\"receptive-field\">\(escape(agreement.sentence)) See <a href=\"#receptive-field\">Receptive field</a>.</p>\n"
        }
        return h + "</section>\n"
    }

    /// One sentence on the structural ceilings that limit a layer below 100 %, empty when none does.
    static func ceilingSentence(_ ceilings: StructuralCeilings, last: EpochRecord?, verdict: Verdict?) -> String {
        guard let last else { return "" }
        let limited = ceilings.layers.compactMap { entry -> String? in
            guard let features = last.layers.first(where: { $0.layer == entry.name })?.features,
                  let limit = ceilings.saturationLimit(layer: entry.name, features: features) else { return nil }
            let reason = entry.ceiling.reason.isEmpty ? "" : ", \(entry.ceiling.reason)"
            let counted = verdict?.atCeiling.contains { $0.layer == entry.name } == true ? ", at its ceiling and not counted by the rule" : ""
            return "\(escape(entry.name)) at most \(percent(limit)) (\(entry.ceiling.dimensions) of \(features)\(escape(reason))\(counted))"
        }
        guard !limited.isEmpty else { return "" }
        return "<p class=\"ceilings\">The black mark on a bar is the layer's structural ceiling, the highest saturation its shape "
            + "allows however well it trains: \(limited.joined(separator: "; ")).</p>\n"
    }

    /// A saturation as a percentage with one decimal: `28.1%`.
    static func percent(_ value: Double) -> String {
        guard value.isFinite else { return delveNumberText(value) }
        return "\((value * 1000).rounded() / 10)%"
    }
}
