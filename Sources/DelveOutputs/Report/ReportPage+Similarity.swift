import Delve

extension ReportPage {
    /// The report's linear-CKA section (heat map `ckaSVG`, notes, link to `cka.csv`) and collapse
    /// warnings section; each only when the run has something to show.
    static func similarityAndCollapseSections(_ history: [EpochRecord], cka ckaSVG: String) -> String {
        var h = ""
        if !ckaSVG.isEmpty, let (_, matrix) = SimilarityPlots.latest(history) {
            h += "<section><h2>Layer similarity (linear CKA)</h2>\n" + ckaSVG
            h += "<p>Linear CKA (Kornblith et al. 2019) between the tracked layers' \(escape(matrix.phase.rawValue)) outputs "
                + "(convolutions by the spatial mean per channel, sequences by the last step); every epoch's matrix is in "
                + "<a href=\"cka.csv\">cka.csv</a>.</p>\n"
            if !matrix.notes.isEmpty {
                h += "<ul class=\"notes\">" + matrix.notes.map { "<li>\(escape($0))</li>" }.joined() + "</ul>\n"
            }
            h += "</section>\n"
        }
        let warnings = CollapseAdvice.warnings(in: history)
        if !warnings.isEmpty {
            h += "<section><h2>Collapse warnings</h2>\n<ul class=\"notes\">"
            h += warnings.map { "<li>\(escape($0))</li>" }.joined() + "</ul></section>\n"
        }
        return h
    }
}
