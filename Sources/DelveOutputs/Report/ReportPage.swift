import Delve
import Foundation

/// Builds `report.html`: one self-contained page (inline CSS and SVG, no scripts, no network) with the run's
/// verdict (tail pattern or none, structural ceilings), configuration, the user scalars over epochs, the four saturation plots and a table of the last epoch.
/// While the run is in progress the page reloads itself every `refreshSeconds` (`<meta http-equiv="refresh">`);
/// the final page, written when the run is closed, has no refresh.
public enum ReportPage {
    /// The HTML of the report. `runName` is shown as the heading; `running` adds the refresh; `figures`
    /// are the run's standard figures when already built (``RunHistory/figures``); the structural
    /// ceilings are `info`'s; `receptiveField` (`receptive-field.json`) adds the prediction per layer;
    /// `pcaEvaluation` (`pca-eval.csv`) adds its section ("PCA evaluation"); `files` are the footer's
    /// links (default: the run directory's `statistics.csv`, `statistics.jsonl`, `run.json`, `plots/`).
    public static func html(runName: String, info: RunInfo?, history: [EpochRecord],
                            figures given: [(name: String, figure: Figure)]? = nil, running: Bool,
                            refreshSeconds: Int = 15, generated: Date = Date(),
                            receptiveField: ReceptiveFieldPrediction? = nil, pcaEvaluation: PCAEvaluation? = nil,
                            files: [(href: String, name: String)]? = nil) -> String {
        let ceilings = info?.ceilings ?? StructuralCeilings()
        let verdict = history.last.map { Verdict(record: $0, ceilings: ceilings, receptiveField: receptiveField) }
        let figures = given ?? RunPlots.figures(history: history, ceilings: ceilings, named: verdict?.namedLayers ?? [])
        func svg(_ name: String) -> String {
            guard let figure = figures.first(where: { $0.name == name })?.figure else { return "" }
            return "<figure>" + SVGRenderer.render(figure, standalone: false) + "</figure>\n"
        }
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        var h = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        if running { h += "<meta http-equiv=\"refresh\" content=\"\(refreshSeconds)\">\n" }
        h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        h += "<title>Delve report: \(escape(runName))</title>\n<style>\n\(css)</style>\n</head>\n<body>\n<main>\n"
        h += "<header><h1>Delve report <span class=\"run\">\(escape(runName))</span></h1>\n"
        let status = running ? "<span class=\"badge running\">running: this page refreshes every \(refreshSeconds) s</span>"
            : "<span class=\"badge closed\">finished</span>"
        let epochs = history.count
        h += "<p>\(status) \(epochs) epoch\(epochs == 1 ? "" : "s") recorded"
        if let last = history.last { h += ", last epoch \(last.epoch), δ = \(escape(delveNumberText(last.threshold)))" }
        h += ". Generated \(escape(formatter.string(from: generated))).</p></header>\n"

        h += verdictSection(verdict, ceilings: ceilings, last: history.last)
        h += layerEvidenceSection(history, verdict: verdict, receptiveField: receptiveField)
        h += receptiveFieldSection(receptiveField, verdict: verdict, last: history.last)
        h += "<section><h2>Run configuration</h2>\n<table class=\"config\">\n"
        if let info {
            if !info.started.isEmpty { h += "<tr><th>started</th><td>\(escape(info.started))</td></tr>\n" }
            for pair in info.configuration { h += "<tr><th>\(escape(pair.name))</th><td>\(escape(pair.value))</td></tr>\n" }
        }
        if info?.configuration.isEmpty ?? true { h += "<tr><td colspan=\"2\">no configuration recorded (run.json)</td></tr>\n" }
        h += "</table></section>\n"

        h += "<section><h2>Scalars</h2>\n" + svg("scalars") + "</section>\n"
        h += "<section><h2>Saturation</h2>\n" + svg("saturation") + svg("saturation-over-epochs") + svg("saturation-heatmap") + "</section>\n"
        h += "<section><h2>Spectra</h2>\n" + svg("explained-variance") + "</section>\n"
        h += similarityAndCollapseSections(history, cka: svg("cka"))
        h += probeSection(svg("probes"))
        h += pcaEvaluationSection(pcaEvaluation, baseline: history.last)
        h += "<section><h2>Last epoch</h2>\n" + lastEpochTable(history.last) + "</section>\n"
        let links = (files ?? runDirectoryFiles).map { "<a href=\"\(escape($0.href))\">\(escape($0.name))</a>" }
        h += "<footer>" + (files == nil ? "Files in this run directory: " : "The run's files: ") + links.joined(separator: ", ") + ". "
        h += "Made by Delve for Swift \(escape(DelveInfo.version)).</footer>\n"
        h += "</main>\n</body>\n</html>\n"
        return h
    }

    /// The footer's links for a run directory of this package (relative to its `report.html`).
    static let runDirectoryFiles: [(href: String, name: String)] = [
        ("statistics.csv", "statistics.csv"), ("statistics.jsonl", "statistics.jsonl"), ("run.json", "run.json"), ("plots/", "plots/"),
    ]

    /// The table of the last epoch: one row per layer and phase, one column per statistic, then the scalars.
    static func lastEpochTable(_ record: EpochRecord?) -> String {
        guard let record else { return "<p>No epoch recorded yet.</p>\n" }
        let stats = Statistic.allCases.filter { s in s.isScalar && record.layers.contains { $0.statistics[s] != nil } }
        var h = "<table class=\"numbers\">\n<thead><tr><th class=\"text\">layer</th><th class=\"text\">phase</th><th>D</th><th>samples</th>"
        for stat in stats { h += "<th title=\"\(escape(stat.delveKey))\">\(escape(stat.rawValue))</th>" }
        h += "</tr></thead>\n<tbody>\n"
        for entry in record.layers {
            h += "<tr><td class=\"name\">\(escape(entry.layer))</td><td class=\"text\">\(entry.phase.rawValue)</td><td>\(entry.features)</td><td>\(entry.samples)</td>"
            for stat in stats {
                guard let value = entry.statistics[stat] else { h += "<td>–</td>"; continue }
                if stat == .lsat, value.isFinite {
                    let percent = Int((min(1, max(0, value)) * 100).rounded())
                    h += "<td class=\"lsat\"><span class=\"bar\" style=\"width:\(percent)%\"></span><span>\(String(format: "%.3f", value))</span></td>"
                } else {
                    h += "<td>\(escape(ConsoleWriter.compact(value)))</td>"
                }
            }
            h += "</tr>\n"
        }
        h += "</tbody></table>\n"
        let notes = record.layers.flatMap { entry in entry.notes.map { "\(entry.layer) (\(entry.phase.rawValue)): \($0)" } }
        if !notes.isEmpty { h += "<ul class=\"notes\">" + notes.map { "<li>\(escape($0))</li>" }.joined() + "</ul>\n" }
        if !record.scalars.isEmpty {
            h += "<table class=\"numbers scalars\"><tr>" + record.scalars.map { "<th>\(escape($0.name))</th>" }.joined() + "</tr>\n<tr>"
            h += record.scalars.map { "<td>\(escape(ConsoleWriter.compact($0.value)))</td>" }.joined() + "</tr></table>\n"
        }
        return h
    }

    /// Escapes text for HTML content and attribute values.
    public static func escape(_ text: String) -> String {
        SVGRenderer.escape(text)
    }

    static let css = """
        body { margin: 0; background: #f6f6f4; color: #222; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
        main { max-width: 1180px; margin: 0 auto; padding: 20px 28px 40px; }
        h1 { font-size: 26px; margin: 8px 0 4px; }
        h1 .run { font-weight: normal; color: #555; font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 20px; }
        h2 { font-size: 18px; margin: 0 0 10px; }
        section { background: #fff; border: 1px solid #e2e2e2; border-radius: 8px; padding: 16px 20px; margin: 16px 0; }
        figure { margin: 8px 0 16px; overflow-x: auto; }
        figure svg { max-width: 100%; height: auto; }
        .badge { display: inline-block; padding: 1px 10px; border-radius: 10px; font-size: 13px; margin-right: 6px; }
        .badge.running { background: #E69F00; color: #222; }
        .badge.closed { background: #009E73; color: #fff; }
        table { border-collapse: collapse; }
        th, td { padding: 4px 12px 4px 0; text-align: left; vertical-align: top; }
        table.config th { color: #555; font-weight: 600; padding-right: 24px; }
        table.numbers { font-variant-numeric: tabular-nums; margin-bottom: 12px; }
        table.numbers th { border-bottom: 1px solid #ccc; text-align: right; }
        table.numbers td { text-align: right; border-bottom: 1px solid #eee; }
        table.numbers .text { text-align: left; }
        table.numbers td.name { text-align: left; font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; }
        td.lsat { position: relative; min-width: 120px; }
        td.lsat .bar { position: absolute; left: 0; top: 5px; bottom: 5px; background: #cfe3f1; z-index: 0; }
        td.lsat span:last-child { position: relative; z-index: 1; }
        ul.notes { color: #8a4b00; }
        section.verdict { border-left: 6px solid #009E73; }
        section.verdict:has(p.tail) { border-left-color: #D55E00; }
        section.verdict .named { color: #D55E00; }
        p.ceilings { color: #444; }
        footer { color: #666; font-size: 13px; margin-top: 20px; }

        """
}
