import Delve
import Foundation

/// One run on a ``ComparisonPage``: its last epoch, verdict and cost.
public struct ComparedRun: Sendable {
    /// The run's name (`deep-cnn`).
    public var name: String
    /// One line on what the network is.
    public var summary: String
    /// The run's last epoch record.
    public var record: EpochRecord
    /// The layers' structural ceilings.
    public var ceilings: StructuralCeilings
    /// The final test accuracy (a fraction), when the model is a classifier.
    public var accuracy: Double?
    /// The number of parameters.
    public var parameters: Int
    /// Multiply-adds per sample of one forward pass.
    public var multiplyAdds: Int
    /// Wall-clock seconds per epoch (training, evaluation and statistics).
    public var secondsPerEpoch: Double
    /// The link to the run's full report, relative to the comparison page.
    public var reportLink: String
    /// The receptive-field prediction, compared with the measured tail in the verdict (nil: none).
    public var receptiveField: ReceptiveFieldPrediction?

    /// Creates the entry of one run.
    public init(name: String, summary: String, record: EpochRecord, ceilings: StructuralCeilings, accuracy: Double?,
                parameters: Int, multiplyAdds: Int, secondsPerEpoch: Double, reportLink: String) {
        self.name = name
        self.summary = summary
        self.record = record
        self.ceilings = ceilings
        self.accuracy = accuracy
        self.parameters = parameters
        self.multiplyAdds = multiplyAdds
        self.secondsPerEpoch = secondsPerEpoch
        self.reportLink = reportLink
    }

    /// The verdict on the run's last epoch.
    public var verdict: Verdict { Verdict(record: record, ceilings: ceilings, receptiveField: receptiveField) }
}

/// The side-by-side page of several runs (`runs/demo/index.html`): one self-contained page (inline CSS
/// and SVG, no scripts) with each run's saturation per layer, verdict, accuracy, parameters,
/// multiply-adds per sample and time per epoch, and links to the full reports.
public enum ComparisonPage {
    /// The HTML of the page.
    public static func html(title: String, runs: [ComparedRun], generated: Date = Date()) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        var h = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        h += "<title>\(ReportPage.escape(title))</title>\n<style>\n\(ReportPage.css)\(css)</style>\n</head>\n<body>\n<main class=\"wide\">\n"
        h += "<header><h1>\(ReportPage.escape(title))</h1>\n<p>\(runs.count) runs side by side. Generated "
        h += "\(ReportPage.escape(formatter.string(from: generated))).</p></header>\n"
        h += "<section id=\"cost\"><h2>Cost and accuracy</h2>\n" + headline(runs) + table(runs) + "</section>\n"
        h += "<section id=\"saturation\"><h2>Saturation per layer (last epoch)</h2>\n<div class=\"side\">\n"
        for run in runs {
            let verdict = run.verdict
            h += "<div class=\"run\" data-run=\"\(ReportPage.escape(run.name))\"><h3>\(ReportPage.escape(run.name))</h3>\n"
            h += "<p class=\"summary\">\(ReportPage.escape(run.summary))</p>\n"
            h += "<figure>" + SVGRenderer.render(figure(run, verdict: verdict), standalone: false) + "</figure>\n"
            if let pattern = verdict.pattern {
                h += "<p class=\"tail\"><b>Tail pattern</b>: " + pattern.layers.map { "<b class=\"named\">\(ReportPage.escape($0))</b>" }.joined(separator: ", ")
                h += " far below the median \(ReportPage.percent(pattern.referenceSaturation)) of the layers before them.</p>\n"
            } else {
                h += "<p class=\"healthy\"><b>No tail pattern.</b></p>\n"
            }
            h += ReportPage.ceilingSentence(run.ceilings, last: run.record, verdict: verdict)
            if let agreement = verdict.receptiveField { h += "<p class=\"receptive-field\">\(ReportPage.escape(agreement.sentence))</p>\n" }
            h += "<p><a href=\"\(ReportPage.escape(run.reportLink))\">Full report of \(ReportPage.escape(run.name))</a></p>\n</div>\n"
        }
        h += "</div></section>\n"
        h += "<footer>Made by Delve for Swift \(ReportPage.escape(DelveInfo.version)). Multiply-adds count the tracked layers "
        h += "(convolutions, linear and recurrent layers) for one sample; the time per epoch includes evaluation and the statistics.</footer>\n"
        h += "</main>\n</body>\n</html>\n"
        return h
    }

    /// The sentence comparing the most and the least expensive run.
    static func headline(_ runs: [ComparedRun]) -> String {
        guard runs.count >= 2, let costly = runs.max(by: { $0.multiplyAdds < $1.multiplyAdds }),
              let cheap = runs.min(by: { $0.multiplyAdds < $1.multiplyAdds }), cheap.multiplyAdds > 0,
              costly.name != cheap.name else { return "" }
        let ratio = Double(costly.multiplyAdds) / Double(cheap.multiplyAdds)
        var text = "<p class=\"headline\"><b>\(ReportPage.escape(costly.name))</b> costs <b>\(String(format: "%.1f", ratio))×</b> the "
        text += "multiply-adds per sample of <b>\(ReportPage.escape(cheap.name))</b>"
        if cheap.parameters > 0 {
            text += " and \(String(format: "%.1f", Double(costly.parameters) / Double(cheap.parameters)))× its parameters"
        }
        if let a = costly.accuracy, let b = cheap.accuracy {
            text += ", for a test accuracy of \(accuracyText(a)) against \(accuracyText(b))"
        }
        return text + ".</p>\n"
    }

    /// The numbers of every run, one column per run.
    static func table(_ runs: [ComparedRun]) -> String {
        var h = "<table class=\"numbers compare\">\n<thead><tr><th class=\"text\"></th>"
        for run in runs { h += "<th>\(ReportPage.escape(run.name))</th>" }
        h += "</tr></thead>\n<tbody>\n"
        let rows: [(key: String, label: String, value: (ComparedRun) -> String)] = [
            ("accuracy", "test accuracy", { $0.accuracy.map(accuracyText) ?? "–" }),
            ("parameters", "parameters", { grouped($0.parameters) }),
            ("multiply-adds", "multiply-adds per sample", { grouped($0.multiplyAdds) }),
            ("epoch-time", "time per epoch", { String(format: "%.1f s", $0.secondsPerEpoch) }),
            ("saturation", "mean saturation (\(runs.first?.verdict.phase.rawValue ?? "eval"))", { run in
                let phase = run.verdict.phase
                let sats = run.record.layers.filter { $0.phase == phase }.compactMap { $0.statistics[.lsat] }
                return sats.isEmpty ? "–" : ReportPage.percent(sats.reduce(0, +) / Double(sats.count))
            }),
            ("verdict", "verdict", { $0.verdict.pattern.map { "tail pattern (\($0.layers.count) layers)" } ?? "no tail pattern" }),
        ]
        for row in rows {
            h += "<tr><th class=\"text\">\(ReportPage.escape(row.label))</th>"
            for run in runs {
                h += "<td data-metric=\"\(row.key)\" data-run=\"\(ReportPage.escape(run.name))\">\(ReportPage.escape(row.value(run)))</td>"
            }
            h += "</tr>\n"
        }
        h += "<tr><th class=\"text\">report</th>"
        for run in runs { h += "<td><a href=\"\(ReportPage.escape(run.reportLink))\">report.html</a></td>" }
        return h + "</tr>\n</tbody></table>\n"
    }

    /// The bar chart of one run's saturation per layer in its verdict's phase, with ceilings and tail marked.
    static func figure(_ run: ComparedRun, verdict: Verdict) -> Figure {
        let layers = run.record.layerNames
        let values = layers.map { run.record.values(layer: $0, phase: verdict.phase)?.statistics[.lsat] }
        let limits = layers.map { layer -> Double? in
            guard let features = run.record.layers.first(where: { $0.layer == layer })?.features else { return nil }
            return run.ceilings.saturationLimit(layer: layer, features: features)
        }
        return SaturationPlots.layerSaturation(
            epoch: run.record.epoch, layers: layers, train: verdict.phase == .train ? values : layers.map { _ in nil },
            eval: verdict.phase == .eval ? values : layers.map { _ in nil }, threshold: run.record.threshold,
            limits: limits, named: Set(verdict.namedLayers))
    }

    static func accuracyText(_ value: Double) -> String { String(format: "%.1f%%", value * 100) }

    /// `1 234 567`: thousands separated by thin spaces.
    static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out += "\u{2009}" }
            out.append(c)
        }
        return (value < 0 ? "-" : "") + out
    }

    static let css = """
        main.wide { max-width: 1500px; }
        .side { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 20px; }
        .side h3 { margin: 0 0 4px; font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; }
        .side .summary { color: #555; margin: 0 0 6px; }
        p.headline { font-size: 17px; }
        table.compare td, table.compare th { padding-left: 18px; }
        .named { color: #D55E00; }
        p.tail { border-left: 4px solid #D55E00; padding-left: 8px; }
        p.healthy { border-left: 4px solid #009E73; padding-left: 8px; }

        """
}
