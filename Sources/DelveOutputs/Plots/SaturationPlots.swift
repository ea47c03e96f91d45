import Delve
import Foundation

/// The four standard plots of a run, as ``Figure``s (render them with ``SVGRenderer`` or
/// ``Rasterizer`` + ``PNGEncoder``). Saturation values are fractions in [0, 1], shown as percentages.
public enum SaturationPlots {
    static func percent(_ value: Double, _ step: Double) -> String {
        NiceTicks.label(value * 100, step: step * 100) + "%"
    }

    /// Plot 1: the saturation of every layer at one epoch, layers in network order on the x axis, a bar
    /// for train and one for eval (nil: no value). Long layer names are drawn at 45°. `limits[i]` (when
    /// not nil) is drawn as a black mark at layer i's structural ceiling; `named` layers (the verdict's
    /// tail) are underlined in vermillion with their labels.
    public static func layerSaturation(epoch: Int, layers: [String], train: [Double?], eval: [Double?], threshold: Double,
                                       limits: [Double?] = [], named: Set<String> = []) -> Figure {
        let axis = LayerAxis(layers: layers)
        let (names, caption, width, left, plotWidth, group) = (axis.names, axis.caption, axis.width, axis.left, axis.plotWidth, axis.group)
        var phases: [(String, [Double?], RGB)] = []
        if train.contains(where: { $0 != nil }) { phases.append(("train", train, Palette.blue)) }
        if eval.contains(where: { $0 != nil }) { phases.append(("eval", eval, Palette.orange)) }
        let height = Int(330 + axis.bottom)
        var figure = Figure(width: width, height: height, title: "Layer saturation, epoch \(epoch)")
        figure.drawTitle("Layer saturation, epoch \(epoch)", subtitle: "saturation = idim / D at δ = \(delveNumberText(threshold))")
        let area = PlotRect(x: left, y: 70, width: plotWidth, height: Double(height) - 70 - axis.bottom)
        var legend = phases.map { LegendEntry($0.0, color: $0.2, kind: .box) }
        if limits.contains(where: { $0 != nil }) { legend.append(LegendEntry("structural ceiling", color: Palette.ink, kind: .line(dash: nil))) }
        if layers.contains(where: named.contains) { legend.append(LegendEntry("tail pattern", color: Palette.vermillion, kind: .box)) }
        figure.drawLegend(legend, top: 62, right: area.maxX)
        let yScale = LinearScale(domain: (0, 1), range: (area.maxY, area.y + 14))
        figure.drawYAxis(area: area, scale: yScale, ticks: [0, 0.2, 0.4, 0.6, 0.8, 1], label: { percent($0, 0.2) }, title: "saturation")
        if layers.isEmpty || phases.isEmpty {
            figure.drawEmpty(area, message: "no saturation values")
        }
        let barWidth = group * 0.78 / Double(max(1, phases.count))
        for i in names.indices {
            let left = area.x + Double(i) * group + group * 0.11
            for (k, phase) in phases.enumerated() {
                guard i < phase.1.count, let value = phase.1[i], value.isFinite else { continue }
                let x = left + Double(k) * barWidth
                let y = yScale(min(1, max(0, value)))
                figure.add(.rect(x: x, y: y, width: barWidth - 1, height: area.maxY - y, fill: phase.2))
                let text = String(Int((value * 100).rounded()))
                if Figure.textWidth(text, size: Figure.FontSize.small) <= barWidth + 2 {
                    figure.add(.text(text, at: Point(x + barWidth / 2, y - 4), size: Figure.FontSize.small, color: Palette.ink, anchor: .middle))
                }
            }
            if i < limits.count, let limit = limits[i], limit.isFinite {
                let y = yScale(min(1, max(0, limit)))
                figure.add(.line([Point(left - 2, y), Point(left + group * 0.78 + 2, y)], color: Palette.ink, width: 2.5))
            }
            let isNamed = named.contains(layers[i])
            if isNamed {
                figure.add(.rect(x: left, y: area.maxY + 1, width: group * 0.78, height: 4, fill: Palette.vermillion))
            }
            axis.drawLabel(i, baseline: area.maxY, highlighted: isNamed, into: &figure)
        }
        figure.add(.line([Point(area.x, area.maxY), Point(area.maxX, area.maxY)], color: Palette.ink, width: 1))
        figure.add(.text("layer (network order)" + (caption.map { ": \($0)" } ?? ""), at: Point(area.x + area.width / 2, Double(height) - 10), size: Figure.FontSize.axisTitle, color: Palette.ink, anchor: .middle))
        return figure
    }

    /// Plot 2: the saturation of each layer over the epochs, one colour per layer; train solid, eval dashed.
    /// `series[i]` gives per epoch (aligned with `epochs`) the value of one layer and phase, NaN when missing.
    public static func saturationOverEpochs(epochs: [Int], series: [(layer: String, phase: Phase, values: [Double])]) -> Figure {
        var layerOrder: [String] = []
        for s in series where !layerOrder.contains(s.layer) { layerOrder.append(s.layer) }
        let phases = Set(series.map(\.phase))
        let (labels, caption) = LayerLabels.abbreviate(layerOrder, limit: 24)
        // Up to 8 layers: distinct Okabe–Ito colours. More: a colour ramp by depth (dark = first layer),
        // which reads better than repeated colours with dash patterns.
        let byDepth = layerOrder.count > Palette.series.count
        func color(_ i: Int) -> RGB {
            byDepth ? Palette.sequential(0.85 * Double(i) / Double(max(1, layerOrder.count - 1))) : Palette.color(i)
        }
        func dash(_ i: Int) -> [Double]? { byDepth ? nil : Palette.dash(for: i) }
        var entries = labels.enumerated().map { LegendEntry($1, color: color($0), kind: .line(dash: dash($0))) }
        if phases.count > 1 {
            entries.append(LegendEntry("train", color: Palette.muted, kind: .line(dash: nil)))
            entries.append(LegendEntry("eval", color: Palette.muted, kind: .line(dash: [6, 4])))
        }
        let legendWidth = Figure.legendWidth(entries)
        let height = max(420, 110 + entries.count * 20)
        let width = Int(720 + legendWidth)
        var figure = Figure(width: width, height: height, title: "Saturation over epochs")
        figure.drawTitle("Saturation over epochs", subtitle: "one line per layer" + (caption.map { " (\($0))" } ?? "") + (phases.count > 1 ? "; train solid, eval dashed" : ""))
        let area = PlotRect(x: 64, y: 64, width: Double(width) - 64 - legendWidth - 28, height: Double(height) - 64 - 58)
        let lines = series.map { s -> LineSeries in
            let index = layerOrder.firstIndex(of: s.layer) ?? 0
            let pattern: [Double]? = s.phase == .eval && phases.count > 1 ? [6, 4] : dash(index)
            return LineSeries(name: s.layer, x: epochs.map(Double.init), y: s.values, color: color(index), dash: pattern)
        }
        figure.drawLineChart(area: area, series: lines, yDomain: (0, 1), yLabel: { percent($0, $1) }, xTitle: "epoch", yTitle: "saturation")
        figure.drawLegend(entries, top: area.y + 8, left: area.maxX + 20)
        return figure
    }

    /// Plot 3: a heat map of saturation, layers (network order, top to bottom) × epochs; missing cells grey.
    /// `values[layer][epoch]` is NaN where a layer has no value; `named` layers (the verdict's tail) are
    /// framed and labelled in vermillion.
    public static func saturationHeatmap(layers: [String], epochs: [Int], values: [[Double]], phase: Phase,
                                         named: Set<String> = []) -> Figure {
        let (names, caption) = LayerLabels.abbreviate(layers, limit: 24)
        let labelWidth = names.map { Figure.textWidth($0, size: Figure.FontSize.tick) }.max() ?? 30
        let rowHeight = layers.count > 30 ? 14.0 : 24.0
        let height = Int(max(300, 130 + Double(layers.count) * rowHeight))
        let width = 860
        var figure = Figure(width: width, height: height, title: "Saturation heat map (\(phase.rawValue))")
        figure.drawTitle("Saturation heat map (\(phase.rawValue))", subtitle: "layers × epochs; brighter = more saturated" + (caption.map { "; layers \($0)" } ?? ""))
        let left = 24 + labelWidth
        let area = PlotRect(x: left, y: 62, width: Double(width) - left - 110, height: Double(height) - 62 - 52)
        guard !layers.isEmpty, !epochs.isEmpty else {
            figure.drawEmpty(area, message: "no saturation values")
            return figure
        }
        let cellW = area.width / Double(epochs.count), cellH = area.height / Double(layers.count)
        for (r, name) in names.enumerated() {
            for (c, _) in epochs.enumerated() {
                let value = r < values.count && c < values[r].count ? values[r][c] : .nan
                let fill = value.isFinite ? Palette.sequential(value) : Palette.missing
                let x = area.x + Double(c) * cellW, y = area.y + Double(r) * cellH
                figure.add(.rect(x: x, y: y, width: cellW + 0.3, height: cellH + 0.3, fill: fill))
                let text = value.isFinite ? String(Int((value * 100).rounded())) : ""
                if !text.isEmpty, cellW >= Figure.textWidth("100", size: Figure.FontSize.small) + 4, cellH >= 13 {
                    figure.add(.text(text, at: Point(x + cellW / 2, y + cellH / 2 + 3.5), size: Figure.FontSize.small,
                                     color: fill.luminance > 0.5 ? Palette.ink : .white, anchor: .middle))
                }
            }
            let isNamed = named.contains(layers[r])
            figure.add(.text(name, at: Point(area.x - 8, area.y + (Double(r) + 0.5) * cellH + 4), size: Figure.FontSize.tick,
                             color: isNamed ? Palette.vermillion : Palette.ink, anchor: .end, bold: isNamed))
        }
        let namedRows = layers.indices.filter { named.contains(layers[$0]) }
        if let first = namedRows.first, let last = namedRows.last {
            let top = area.y + Double(first) * cellH, bottom = area.y + Double(last + 1) * cellH
            figure.add(.line([Point(area.x, top), Point(area.maxX, top), Point(area.maxX, bottom), Point(area.x, bottom), Point(area.x, top)],
                             color: Palette.vermillion, width: 2.5))
        }
        let every = max(1, Int((Double(epochs.count) / (area.width / 44)).rounded(.up)))
        for (c, epoch) in epochs.enumerated() where c % every == 0 || c == epochs.count - 1 {
            if c == epochs.count - 1, c % every != 0, c % every < every / 2 + 1, epochs.count > 1 { continue }
            figure.add(.text(String(epoch), at: Point(area.x + (Double(c) + 0.5) * cellW, area.maxY + 16), size: Figure.FontSize.tick, color: Palette.muted, anchor: .middle))
        }
        figure.add(.text("epoch", at: Point(area.x + area.width / 2, area.maxY + 36), size: Figure.FontSize.axisTitle, color: Palette.ink, anchor: .middle))
        // Colour bar.
        let bar = PlotRect(x: area.maxX + 24, y: area.y, width: 14, height: min(area.height, 240))
        let steps = 60
        for i in 0..<steps {
            let t = Double(i) / Double(steps)
            figure.add(.rect(x: bar.x, y: bar.maxY - (t + 1 / Double(steps)) * bar.height, width: bar.width, height: bar.height / Double(steps) + 0.3, fill: Palette.sequential(t + 0.5 / Double(steps))))
        }
        for tick in [0.0, 0.25, 0.5, 0.75, 1] {
            let y = bar.maxY - tick * bar.height
            figure.add(.line([Point(bar.maxX, y), Point(bar.maxX + 4, y)], color: Palette.ink, width: 1))
            figure.add(.text(percent(tick, 0.25), at: Point(bar.maxX + 7, y + 4), size: Figure.FontSize.small, color: Palette.muted))
        }
        return figure
    }

    /// The cumulative explained variance of a spectrum: entry k − 1 is the share of the total variance in
    /// the k largest eigenvalues (negative eigenvalues, numerical noise, count as 0). Empty when the total is 0.
    public static func cumulativeExplainedVariance(_ eigenvalues: [Double]) -> [Double] {
        let values = eigenvalues.map { max(0, $0.isFinite ? $0 : 0) }.sorted(by: >)
        let total = values.reduce(0, +)
        guard total > 0 else { return [] }
        var sum = 0.0
        return values.map { sum += $0; return min(1, sum / total) }
    }

    /// Plot 4: per layer, the cumulative explained-variance curve over the number of components, the δ
    /// line, and the intrinsic dimensionality marked (the first k whose curve reaches δ, or `idim` when given).
    public static func explainedVariance(panels: [(title: String, eigenvalues: [Double], idim: Int?)], threshold: Double) -> Figure {
        let columns = max(1, min(3, panels.count))
        let rows = max(1, (panels.count + columns - 1) / columns)
        let panelW = 300.0, panelH = 230.0
        let width = Int(Double(columns) * panelW + 20)
        let height = Int(Double(rows) * panelH + 70)
        var figure = Figure(width: width, height: height, title: "Cumulative explained variance")
        figure.drawTitle("Cumulative explained variance", subtitle: "dashed: δ = \(NiceTicks.label(threshold, step: 0.01)); dotted: intrinsic dimensionality")
        if panels.isEmpty { figure.drawEmpty(PlotRect(x: 0, y: 60, width: Double(width), height: Double(height) - 60), message: "no eigenvalues recorded") }
        for (i, panel) in panels.enumerated() {
            let px = 10 + Double(i % columns) * panelW, py = 58 + Double(i / columns) * panelH
            let area = PlotRect(x: px + 52, y: py + 30, width: panelW - 70, height: panelH - 78)
            figure.add(.text(LayerLabels.middleTruncated(panel.title, limit: 40), at: Point(area.x, py + 18), size: Figure.FontSize.subtitle, color: Palette.ink, bold: true))
            let curve = cumulativeExplainedVariance(panel.eigenvalues)
            guard !curve.isEmpty else {
                figure.drawEmpty(area, message: "no variance")
                continue
            }
            let ks = (0...curve.count).map(Double.init)
            let series = LineSeries(name: panel.title, x: ks, y: [0] + curve, color: Palette.blue)
            figure.drawLineChart(area: area, series: [series], yDomain: (0, 1), yLabel: { percent($0, $1) }, xTitle: "components", yTitle: nil, markers: false, maxYTicks: 4)
            let xScale = LinearScale(domain: (0, Double(curve.count)), range: (area.x + 6, area.maxX - 6))
            let yScale = LinearScale(domain: (0, 1), range: (area.maxY, area.y))
            figure.add(.line([Point(area.x, yScale(threshold)), Point(area.maxX, yScale(threshold))], color: Palette.vermillion, width: 1.5, dash: [6, 4]))
            let k = panel.idim ?? ((curve.firstIndex(where: { $0 >= threshold - 1e-12 }) ?? (curve.count - 1)) + 1)
            let x = xScale(Double(k))
            figure.add(.line([Point(x, area.maxY), Point(x, area.y)], color: Palette.bluishGreen, width: 1.5, dash: [2, 3]))
            let label = "idim \(k) of \(curve.count)"
            let labelWidth = Figure.textWidth(label, size: Figure.FontSize.small)
            let anchor: TextAnchor = x + labelWidth + 6 > area.maxX ? .end : .start
            figure.add(.text(label, at: Point(anchor == .start ? x + 4 : x - 4, area.y + area.height * 0.55), size: Figure.FontSize.small, color: Palette.ink, anchor: anchor))
        }
        return figure
    }

    /// The user scalars over epochs (accuracy, loss, ...), one small chart per scalar.
    public static func scalarsOverEpochs(epochs: [Int], scalars: [(name: String, values: [Double])]) -> Figure {
        let columns = max(1, min(3, scalars.count))
        let rows = max(1, (scalars.count + columns - 1) / columns)
        let panelW = 300.0, panelH = 210.0
        let width = Int(Double(columns) * panelW + 20)
        let height = Int(Double(rows) * panelH + 50)
        var figure = Figure(width: width, height: height, title: "Scalars over epochs")
        figure.drawTitle("Scalars over epochs")
        if scalars.isEmpty { figure.drawEmpty(PlotRect(x: 0, y: 40, width: Double(width), height: Double(height) - 40), message: "no scalars recorded") }
        for (i, scalar) in scalars.enumerated() {
            let px = 10 + Double(i % columns) * panelW, py = 40 + Double(i / columns) * panelH
            let area = PlotRect(x: px + 58, y: py + 28, width: panelW - 76, height: panelH - 76)
            figure.add(.text(LayerLabels.middleTruncated(scalar.name, limit: 40), at: Point(area.x, py + 16), size: Figure.FontSize.subtitle, color: Palette.ink, bold: true))
            let series = LineSeries(name: scalar.name, x: epochs.map(Double.init), y: scalar.values, color: Palette.color(i))
            figure.drawLineChart(area: area, series: [series], xTitle: "epoch", yTitle: nil, maxYTicks: 4)
        }
        return figure
    }
}
