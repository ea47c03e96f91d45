import Delve
import Foundation

/// The result of `delve train --pca-eval`: the trained model evaluated on the test set with every
/// projectable tracked layer projected onto the leading eigenvectors of its last epoch's train
/// covariance that explain δ (Delve's PCA layers), one row per δ.
///
/// `pca-eval.csv` is wide: header `delta,accuracy,loss[,random-accuracy,random-loss],<layer>-kept…,
/// <layer>-features…`, one row per δ in the order given; `accuracy` is empty for a model without classes
/// (the autoencoder); `<layer>-kept` is k, the directions kept (the layer's intrinsic dimensionality at δ,
/// paper convention), and `<layer>-features` its D. The `random-` columns, present with the control
/// (`--pca-eval-random`), are the same evaluation with each layer's k directions replaced by k random
/// orthonormal ones (Delve's control experiment).
public struct PCAEvaluation: Equatable, Sendable {
    /// One evaluation at one δ.
    public struct Row: Equatable, Sendable {
        /// δ, the share of each layer's variance kept.
        public var delta: Double
        /// The test accuracy in [0, 1], `nil` for a model without classes.
        public var accuracy: Double?
        /// The mean test loss.
        public var loss: Double
        /// k per layer, in ``PCAEvaluation/layers`` order.
        public var kept: [Int]
        /// The control's test accuracy (k random orthonormal directions per layer), `nil` without the
        /// control or classes.
        public var randomAccuracy: Double?
        /// The control's mean test loss, `nil` without the control.
        public var randomLoss: Double?

        /// A row.
        public init(delta: Double, accuracy: Double?, loss: Double, kept: [Int],
                    randomAccuracy: Double? = nil, randomLoss: Double? = nil) {
            self.delta = delta
            self.accuracy = accuracy
            self.loss = loss
            self.kept = kept
            self.randomAccuracy = randomAccuracy
            self.randomLoss = randomLoss
        }
    }

    /// The file's name in the run directory.
    public static let fileName = "pca-eval.csv"
    /// The plot's name in `plots/` (`.svg` and `.png`).
    public static let plotName = "pca-eval"

    /// The projected layers, in the model's order.
    public var layers: [String]
    /// D per layer.
    public var features: [Int]
    /// One row per δ.
    public var rows: [Row]

    /// An evaluation table; every row must have one k per layer, and all rows or none the control's loss.
    public init(layers: [String], features: [Int], rows: [Row]) {
        precondition(features.count == layers.count && rows.allSatisfy { $0.kept.count == layers.count },
                     "PCAEvaluation: one feature count and one k per layer")
        precondition(rows.allSatisfy { $0.randomLoss != nil } || rows.allSatisfy { $0.randomLoss == nil },
                     "PCAEvaluation: the random-directions control in all rows or in none")
        self.layers = layers
        self.features = features
        self.rows = rows
    }

    /// Whether the rows have the random-directions control.
    public var hasRandomControl: Bool { rows.first?.randomLoss != nil }

    /// The CSV text (numbers as `delveNumberText`, the shortest round-trip text).
    public var csvText: String {
        let control = hasRandomControl ? ["random-accuracy", "random-loss"] : []
        var text = (["delta", "accuracy", "loss"] + control + layers.map { "\($0)-kept" } + layers.map { "\($0)-features" })
            .joined(separator: ",") + "\n"
        for row in rows {
            let random = hasRandomControl ? [row.randomAccuracy.map(delveNumberText) ?? "", row.randomLoss.map(delveNumberText) ?? ""] : []
            let cells = [delveNumberText(row.delta), row.accuracy.map(delveNumberText) ?? "", delveNumberText(row.loss)]
                + random + row.kept.map(String.init) + features.map(String.init)
            text += cells.joined(separator: ",") + "\n"
        }
        return text
    }

    /// `pca-eval.csv` in `run`.
    public static func url(in run: RunDirectory) -> URL { run.url.appendingPathComponent(fileName) }

    /// Writes `pca-eval.csv` atomically and the plot `plots/pca-eval.svg` and `.png`.
    public func write(to run: RunDirectory) throws(WriterError) {
        try writeAtomically(Data(csvText.utf8), to: Self.url(in: run))
        try createDirectory(run.plotsDirectory)
        let figure = PCAEvaluationPlot.figure(self)
        try writeAtomically(Data(SVGRenderer.render(figure).utf8), to: run.plotsDirectory.appendingPathComponent("\(Self.plotName).svg"))
        let png = run.plotsDirectory.appendingPathComponent("\(Self.plotName).png")
        let bytes: [UInt8]
        do { bytes = try PNGEncoder.encode(Rasterizer.render(figure)) } catch { throw .io(path: png.path, reason: error.message) }
        try writeAtomically(Data(bytes), to: png)
    }

    /// Removes `pca-eval.csv` and its plots from `run`, if present (a resumed run trains further).
    public static func removeFiles(from run: RunDirectory) {
        for url in [url(in: run), run.plotsDirectory.appendingPathComponent("\(plotName).svg"),
                    run.plotsDirectory.appendingPathComponent("\(plotName).png")] {
            try? FileManager.default.removeItem(at: url)
        }
    }

    /// The evaluation in `run`'s `pca-eval.csv`, `nil` when the run has none.
    public static func read(from run: RunDirectory) throws(WriterError) -> PCAEvaluation? {
        let url = url(in: run)
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        return try parse(String(decoding: data, as: UTF8.self), path: url.path)
    }

    /// Parses the CSV text of ``csvText``; errors name `path` and the line.
    public static func parse(_ text: String, path: String) throws(WriterError) -> PCAEvaluation {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        guard let header = lines.first?.split(separator: ",", omittingEmptySubsequences: false).map(String.init),
              header.count >= 3, header[0] == "delta", header[1] == "accuracy", header[2] == "loss" else {
            throw .malformed(path: path, line: 1, reason: "expected the header delta,accuracy,loss[,random-accuracy,random-loss],<layer>-kept…,<layer>-features…")
        }
        let control = header.count >= 5 && header[3] == "random-accuracy" && header[4] == "random-loss"
        let first = control ? 5 : 3
        guard (header.count - first) % 2 == 0 else {
            throw .malformed(path: path, line: 1, reason: "expected the header delta,accuracy,loss[,random-accuracy,random-loss],<layer>-kept…,<layer>-features…")
        }
        let count = (header.count - first) / 2
        var layers: [String] = []
        for i in 0..<count {
            let kept = header[first + i], features = header[first + count + i]
            guard kept.hasSuffix("-kept"), features == String(kept.dropLast(5)) + "-features" else {
                throw .malformed(path: path, line: 1, reason: "column '\(kept)' must be <layer>-kept with a matching <layer>-features")
            }
            layers.append(String(kept.dropLast(5)))
        }
        var rows: [Row] = []
        var features: [Int]?
        for (index, line) in lines.dropFirst().enumerated() {
            let number = index + 2
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard cells.count == header.count else {
                throw .malformed(path: path, line: number, reason: "\(cells.count) cells, the header has \(header.count)")
            }
            guard let delta = Double(cells[0]), let loss = Double(cells[2]) else {
                throw .malformed(path: path, line: number, reason: "delta and loss must be numbers")
            }
            let accuracy: Double?
            if cells[1].isEmpty { accuracy = nil } else if let value = Double(cells[1]) { accuracy = value } else {
                throw .malformed(path: path, line: number, reason: "accuracy '\(cells[1])' is not a number")
            }
            var randomAccuracy: Double?, randomLoss: Double?
            if control {
                if !cells[3].isEmpty {
                    guard let value = Double(cells[3]) else {
                        throw .malformed(path: path, line: number, reason: "random-accuracy '\(cells[3])' is not a number")
                    }
                    randomAccuracy = value
                }
                guard let value = Double(cells[4]) else {
                    throw .malformed(path: path, line: number, reason: "random-loss '\(cells[4])' is not a number")
                }
                randomLoss = value
            }
            let integers = cells.dropFirst(first).map { Int($0) }
            guard integers.allSatisfy({ $0 != nil }) else {
                throw .malformed(path: path, line: number, reason: "the -kept and -features cells must be integers")
            }
            let values = integers.map { $0! }
            let rowFeatures = Array(values.suffix(count))
            if let features, features != rowFeatures {
                throw .malformed(path: path, line: number, reason: "the -features cells differ from the first row's")
            }
            features = rowFeatures
            rows.append(Row(delta: delta, accuracy: accuracy, loss: loss, kept: Array(values.prefix(count)),
                            randomAccuracy: randomAccuracy, randomLoss: randomLoss))
        }
        return PCAEvaluation(layers: layers, features: features ?? [Int](repeating: 0, count: count), rows: rows)
    }
}

/// The `pca-eval` figure: test accuracy (when the model has classes) and each layer's kept share k/D
/// against δ.
public enum PCAEvaluationPlot {
    /// The figure of `evaluation`.
    public static func figure(_ evaluation: PCAEvaluation) -> Figure {
        let (labels, caption) = LayerLabels.abbreviate(evaluation.layers, limit: 24)
        let deltas = evaluation.rows.map(\.delta)
        var series: [LineSeries] = []
        var entries: [LegendEntry] = []
        if evaluation.rows.allSatisfy({ $0.accuracy != nil }), !evaluation.rows.isEmpty {
            series.append(LineSeries(name: "test accuracy", x: deltas, y: evaluation.rows.map { $0.accuracy! }, color: Palette.ink))
            entries.append(LegendEntry("test accuracy", color: Palette.ink, kind: .line(dash: nil)))
            if evaluation.rows.allSatisfy({ $0.randomAccuracy != nil }) {
                let dash: [Double] = [2, 3]
                series.append(LineSeries(name: "random directions", x: deltas, y: evaluation.rows.map { $0.randomAccuracy! },
                                         color: Palette.ink, dash: dash))
                entries.append(LegendEntry("random directions", color: Palette.ink, kind: .line(dash: dash)))
            }
        }
        for (i, label) in labels.enumerated() {
            let d = Double(max(evaluation.features[i], 1))
            let color = Palette.color(i), dash = Palette.dash(for: i) ?? [6, 4]
            series.append(LineSeries(name: label, x: deltas, y: evaluation.rows.map { Double($0.kept[i]) / d }, color: color, dash: dash))
            entries.append(LegendEntry("\(label) k/D", color: color, kind: .line(dash: dash)))
        }
        let legendWidth = Figure.legendWidth(entries)
        let height = max(420, 110 + entries.count * 20)
        let width = Int(720 + legendWidth)
        var figure = Figure(width: width, height: height, title: "PCA evaluation")
        figure.drawTitle("PCA evaluation", subtitle: "every tracked layer projected onto the directions explaining δ; kept share dashed"
                         + (caption.map { " (\($0))" } ?? ""))
        let area = PlotRect(x: 64, y: 64, width: Double(width) - 64 - legendWidth - 28, height: Double(height) - 64 - 58)
        figure.drawLineChart(area: area, series: series, yDomain: (0, 1), yLabel: { SaturationPlots.percent($0, $1) },
                             xTitle: "δ", yTitle: "accuracy, k / D", integerX: false)
        figure.drawLegend(entries, top: area.y + 8, left: area.maxX + 20)
        return figure
    }
}
