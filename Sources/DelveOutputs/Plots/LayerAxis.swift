import Delve

/// The x axis of a chart with one column per layer (network order): the abbreviated labels, the figure
/// width, the columns' left edge and width, and whether the labels stand at 45° (when the widest does not
/// fit its column; the first one, ending under its column, must then not leave the figure on the left).
struct LayerAxis {
    /// The labels (`LayerLabels.abbreviate`) and the caption of what they leave out.
    let names: [String]
    let caption: String?
    let width: Int
    let left: Double
    let plotWidth: Double
    /// The width of one layer's column.
    let group: Double
    let rotate: Bool
    /// The room under the plot area for the labels and the axis title.
    let bottom: Double
    let labelSize = Figure.FontSize.tick

    init(layers: [String]) {
        (names, caption) = LayerLabels.abbreviate(layers, limit: 24)
        let widest = names.map { Figure.textWidth($0, size: Figure.FontSize.tick) }.max() ?? 0
        width = max(560, min(1400, 120 + layers.count * 64))
        var left = 64.0
        var plotWidth = Double(width) - left - 24
        var group = layers.isEmpty ? plotWidth : plotWidth / Double(layers.count)
        rotate = widest > group * 0.92
        if rotate, let first = names.first {
            left = max(left, Figure.textWidth(first, size: Figure.FontSize.tick) * 0.72 - group / 2 + 12)
            plotWidth = Double(width) - left - 24
            group = plotWidth / Double(layers.count)
        }
        self.left = left
        self.plotWidth = plotWidth
        self.group = group
        bottom = rotate ? 44 + widest * 0.72 : 58
    }

    /// Draws label `i` under the plot area ending at `baseline`, in vermillion and bold when `highlighted`.
    func drawLabel(_ i: Int, baseline: Double, highlighted: Bool, into figure: inout Figure) {
        let center = left + (Double(i) + 0.5) * group
        let color = highlighted ? Palette.vermillion : Palette.ink
        if rotate {
            figure.add(.text(names[i], at: Point(center + 4, baseline + 12), size: labelSize, color: color, anchor: .end, rotation: -45, bold: highlighted))
        } else {
            figure.add(.text(names[i], at: Point(center, baseline + 18), size: labelSize, color: color, anchor: .middle, bold: highlighted))
        }
    }
}
