import Delve
import DelveOutputs
import Foundation

/// The output of `delve analyze` in its three formats.
struct AnalyzeReport {
    /// The requested statistics (in order), δ and the idim convention.
    let options: StatisticsOptions
    /// One result per file that could be analyzed.
    let results: [ActivationFileAnalyzer.Result]
    /// Linear CKA between the files (`--cka`), rows in file order.
    var cka: CKAMatrix? = nil
    /// The linear probe of each result (`--labels`), in the same order; empty without labels.
    var probes: [ActivationFileAnalyzer.ProbeResult] = []

    private var statistics: [Statistic] { options.statistics }
    private var threshold: Double { options.threshold }

    private var scalarStatistics: [Statistic] { statistics.filter(\.isScalar) }

    /// `{"threshold": δ, "layers": [{"name", "samples", "features", "stats": {...}}]}` (plus
    /// `"skipped_batches"` when chunks were skipped); non-finite
    /// numbers as the strings "inf", "-inf", "nan"; `cov` as nested arrays.
    func json() -> String {
        let layers: [JSONValue] = results.map { result in
            var stats: [(String, JSONValue)] = []
            for statistic in statistics {
                if statistic == .cov {
                    let d = result.features
                    let matrix = result.covariance ?? []
                    guard matrix.count == d * d else {
                        stats.append(("cov", .null))
                        continue
                    }
                    stats.append(("cov", .array((0..<d).map { i in .array((0..<d).map { j in .double(matrix[i * d + j]) }) })))
                } else {
                    stats.append((statistic.rawValue, .double(result.statistics.values[statistic] ?? .nan)))
                }
            }
            var fields: [(String, JSONValue)] = [
                ("name", .string(result.name)),
                ("samples", .number(Double(result.samples))),
                ("features", .number(Double(result.features))),
                ("stats", .object(stats)),
            ]
            if result.skippedBatches > 0 { fields.append(("skipped_batches", .number(Double(result.skippedBatches)))) }
            fields += probeJSON(for: result.name)
            return .object(fields)
        }
        var object: [(String, JSONValue)] = [("threshold", .double(threshold)), ("layers", .array(layers))]
        if let cka {
            object.append(("cka", ckaJSON(cka)))
            object.append(("cka_layers", .array(cka.layers.map { .string($0) })))
            object.append(("cka_samples", .number(Double(cka.samples))))
        }
        return JSONValue.object(object).text
    }

    /// One header line and one line per layer: `name,samples,features,<stats>`.
    func csv() -> String {
        var out = (["name", "samples", "features"] + scalarStatistics.map(\.rawValue) + probeColumns).joined(separator: ",") + "\n"
        for result in results {
            var cells = [Self.csvCell(result.name), String(result.samples), String(result.features)]
            for statistic in scalarStatistics {
                cells.append(Self.exactText(result.statistics.values[statistic] ?? .nan, statistic: statistic))
            }
            cells += probeCells(for: result.name, exact: true)
            out += cells.joined(separator: ",") + "\n"
        }
        return out
    }

    /// An aligned table followed by the notes.
    func table() -> String {
        let header = ["layer", "samples", "features"] + scalarStatistics.map(\.rawValue) + probeColumns
        var rows: [[String]] = [header]
        for result in results {
            rows.append([result.name, String(result.samples), String(result.features)]
                + scalarStatistics.map { Self.readableText(result.statistics.values[$0] ?? .nan, statistic: $0) }
                + probeCells(for: result.name, exact: false))
        }
        var widths = [Int](repeating: 0, count: header.count)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        var out = ""
        if !results.isEmpty {
            for (r, row) in rows.enumerated() {
                let cells = row.enumerated().map { i, cell in
                    let pad = String(repeating: " ", count: widths[i] - cell.count)
                    return i == 0 ? cell + pad : pad + cell
                }
                out += cells.joined(separator: "  ") + "\n"
                if r == 0 { out += widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n" }
            }
            out += "δ = \(threshold)\n"
        }
        if let cka { out += "\n" + ckaTable(cka) }
        let notes = notes()
        if !notes.isEmpty {
            out += "\nnotes:\n" + notes.map { "  \($0)\n" }.joined()
        }
        return out
    }

    /// The notes of every layer, prefixed with its name, and (when asked for) the hint that `cov`
    /// is only written in JSON.
    func notes(includeCovarianceHint: Bool = true) -> [String] {
        var notes: [String] = []
        if includeCovarianceHint && statistics.contains(.cov) {
            notes.append("cov: the covariance matrix is only available with --format json")
        }
        for result in results {
            notes += result.statistics.notes.map { "\(result.name): \($0)" }
        }
        notes += cka?.notes.map { "cka: \($0)" } ?? []
        notes += probeNotes()
        return notes
    }

    /// Full precision (the shortest round-trip text); idim as an integer.
    static func exactText(_ value: Double, statistic: Statistic) -> String {
        if statistic == .idim, value.isFinite { return String(Int(value)) }
        return delveNumberText(value)
    }

    /// Rounded for people: idim as an integer, lsat with 4 decimals, others with 6 significant digits.
    static func readableText(_ value: Double, statistic: Statistic) -> String {
        guard value.isFinite else { return delveNumberText(value) }
        switch statistic {
        case .idim: return String(Int(value))
        case .lsat: return String(format: "%.4f", value)
        default: return String(format: "%.6g", value)
        }
    }

    /// A CSV cell, quoted when it contains a comma, quote or line break.
    static func csvCell(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
