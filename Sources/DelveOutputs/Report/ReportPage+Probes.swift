import Delve

extension ReportPage {
    /// The report's linear-probe section: saturation and probe accuracy per layer, one panel above the
    /// other (``ProbePlots``); empty when the run has no probes.
    static func probeSection(_ probesSVG: String) -> String {
        guard !probesSVG.isEmpty else { return "" }
        return "<section><h2>Linear probes</h2>\n"
            + "<p>For each tracked layer a ridge least-squares probe from its per-sample features (convolutions by the "
            + "spatial mean per channel, sequences by the last step) to the one-hot labels, solved in closed form from "
            + "the train phase's statistics: <code>probe-accuracy</code> classifies the eval batches, <code>probe-r2</code> "
            + "is the train fit's R².</p>\n" + probesSVG + "</section>\n"
    }
}
