import Delve

/// The layer-by-layer evidence figure: panels one above the other that share the layers (network order)
/// on the x axis — the saturation of the last epoch, the linear-probe accuracy (eval) and the receptive
/// field of each layer as a share of the input — so that the measured tail pattern, where the probes stop
/// improving (Alain & Bengio 2016) and the receptive-field prediction (Richter, Shenk et al. 2021,
/// arXiv 2106.12307) read against each other.
public enum LayerEvidencePlots {
    /// One bar panel: its title, a value in [0, 1] per layer (nil: none), how to label a bar, and the
    /// layers whose bars are drawn in vermillion.
    struct Panel {
        var title: String
        var values: [Double?]
        var label: (Int, Double) -> String
        var marked: Set<Int>
        var color: RGB
    }

    /// The figure for `layers` (network order) at `record`: saturation in `phase` (the tail layers in
    /// vermillion), probe accuracy in the eval phase when the record has it, and the receptive field
    /// r / input size (capped at 100 %; predicted unproductive layers in vermillion, r in pixels above the
    /// bar) when `prediction` is given. Nil when the record has neither probes nor a prediction: the
    /// saturation alone is the standard bar chart.
    public static func layerEvidence(record: EpochRecord, phase: Phase, layers: [String],
                                     prediction: ReceptiveFieldPrediction?, tail: Set<String>) -> Figure? {
        var panels: [Panel] = []
        let saturation = layers.map { record.values(layer: $0, phase: phase)?.statistics[.lsat] }
        panels.append(Panel(title: "saturation (\(phase.rawValue)); the measured tail in vermillion", values: saturation,
                            label: { _, v in String(Int((v * 100).rounded())) },
                            marked: Set(layers.indices.filter { tail.contains(layers[$0]) }), color: Palette.blue))
        let accuracy = layers.map { record.values(layer: $0, phase: .eval)?.statistics[.probeAccuracy] }
        if accuracy.contains(where: { $0 != nil }) {
            panels.append(Panel(title: "linear-probe accuracy (eval)", values: accuracy,
                                label: { _, v in String(Int((v * 100).rounded())) }, marked: [], color: Palette.bluishGreen))
        }
        if let prediction, let size = prediction.input.max(), size > 0 {
            let byName = Dictionary(prediction.layers.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
            let fields = layers.map { byName[$0]?.receptiveField.max() }
            let unproductive = Set(prediction.unproductiveLayers)
            panels.append(Panel(
                title: "receptive field r / input \(prediction.inputText); predicted unproductive in vermillion",
                values: fields.map { $0.map { min(1, $0 / Double(size)) } },
                label: { i, _ in fields[i].map { "r=\(Int($0.rounded()))" } ?? "" },
                marked: Set(layers.indices.filter { unproductive.contains(layers[$0]) }), color: Palette.skyBlue))
        }
        guard panels.count > 1 else { return nil }

        let axis = LayerAxis(layers: layers)
        let (width, left, plotWidth, group) = (axis.width, axis.left, axis.plotWidth, axis.group)
        let panelHeight = 150.0, gap = 40.0, top = 70.0
        let height = Int(top + Double(panels.count) * (panelHeight + gap) - gap + axis.bottom)
        let title = "Layer by layer, epoch \(record.epoch)"
        var figure = Figure(width: width, height: height, title: title)
        figure.drawTitle(title, subtitle: "one panel above the other; the layers line up across the panels")
        for (p, panel) in panels.enumerated() {
            let area = PlotRect(x: left, y: top + Double(p) * (panelHeight + gap) + 18, width: plotWidth, height: panelHeight - 18)
            figure.add(.text(panel.title, at: Point(left, area.y - 6), size: Figure.FontSize.legend, color: Palette.ink, bold: true))
            let yScale = LinearScale(domain: (0, 1), range: (area.maxY, area.y + 12))
            figure.drawYAxis(area: area, scale: yScale, ticks: [0, 0.5, 1], label: { SaturationPlots.percent($0, 0.5) }, title: nil)
            let barWidth = group * 0.7
            for i in layers.indices {
                guard i < panel.values.count, let value = panel.values[i], value.isFinite else { continue }
                let x = area.x + Double(i) * group + group * 0.15
                let y = yScale(min(1, max(0, value)))
                let color = panel.marked.contains(i) ? Palette.vermillion : panel.color
                figure.add(.rect(x: x, y: y, width: barWidth, height: area.maxY - y, fill: color))
                let text = panel.label(i, value)
                if Figure.textWidth(text, size: Figure.FontSize.small) <= group + 2 {
                    figure.add(.text(text, at: Point(x + barWidth / 2, y - 4), size: Figure.FontSize.small, color: Palette.ink, anchor: .middle))
                }
            }
            figure.add(.line([Point(area.x, area.maxY), Point(area.maxX, area.maxY)], color: Palette.ink, width: 1))
            guard p == panels.count - 1 else { continue }
            for i in layers.indices { axis.drawLabel(i, baseline: area.maxY, highlighted: tail.contains(layers[i]), into: &figure) }
        }
        figure.add(.text("layer (network order)" + (axis.caption.map { ": \($0)" } ?? ""), at: Point(left + plotWidth / 2, Double(height) - 10),
                         size: Figure.FontSize.axisTitle, color: Palette.ink, anchor: .middle))
        return figure
    }
}
