import Delve

/// A rectangle in figure coordinates.
public struct PlotRect: Equatable, Sendable {
    /// Left edge.
    public var x: Double
    /// Top edge.
    public var y: Double
    /// Width.
    public var width: Double
    /// Height.
    public var height: Double
    /// Creates a rectangle.
    public init(x: Double, y: Double, width: Double, height: Double) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }
    /// Right edge.
    public var maxX: Double { x + width }
    /// Bottom edge.
    public var maxY: Double { y + height }
}

/// Maps a data interval linearly onto a pixel interval.
public struct LinearScale: Sendable {
    /// The data interval.
    public var domain: (Double, Double)
    /// The pixel interval (may be reversed, as for y axes).
    public var range: (Double, Double)
    /// Creates a scale.
    public init(domain: (Double, Double), range: (Double, Double)) {
        self.domain = domain
        self.range = range
    }
    /// The pixel position of `value`.
    public func callAsFunction(_ value: Double) -> Double {
        let span = domain.1 - domain.0
        let t = span == 0 ? 0.5 : (value - domain.0) / span
        return range.0 + t * (range.1 - range.0)
    }
}

/// One entry of a legend.
public struct LegendEntry: Sendable {
    /// How the entry's key is drawn.
    public enum Kind: Sendable {
        /// A short line, solid or dashed.
        case line(dash: [Double]?)
        /// A filled square.
        case box
    }
    /// The label.
    public var label: String
    /// The colour.
    public var color: RGB
    /// The key's shape.
    public var kind: Kind
    /// Creates an entry.
    public init(_ label: String, color: RGB, kind: Kind) {
        self.label = label
        self.color = color
        self.kind = kind
    }
}

/// Shared pieces of chart drawing: titles, axes with grid lines, legends.
extension Figure {
    /// Font sizes used by every plot.
    enum FontSize {
        static let title = 16.0
        static let subtitle = 12.0
        static let axisTitle = 12.0
        static let tick = 11.0
        static let legend = 12.0
        static let small = 10.0
    }

    /// The title (and a muted subtitle under it) at the top left.
    mutating func drawTitle(_ title: String, subtitle: String? = nil) {
        add(.text(title, at: Point(16, 24), size: FontSize.title, color: Palette.ink, bold: true))
        if let subtitle {
            add(.text(subtitle, at: Point(16, 42), size: FontSize.subtitle, color: Palette.muted))
        }
    }

    /// Horizontal grid lines and labels at `ticks` on the left of `area`, the y axis line, and the axis title.
    mutating func drawYAxis(area: PlotRect, scale: LinearScale, ticks: [Double], label: (Double) -> String, title: String?, size: Double = FontSize.tick) {
        for tick in ticks {
            let y = scale(tick)
            add(.line([Point(area.x, y), Point(area.maxX, y)], color: Palette.grid, width: 1))
            add(.text(label(tick), at: Point(area.x - 6, y + size * 0.35), size: size, color: Palette.muted, anchor: .end))
        }
        add(.line([Point(area.x, area.y), Point(area.x, area.maxY)], color: Palette.ink, width: 1))
        if let title {
            let labelWidth = ticks.map { Figure.textWidth(label($0), size: size) }.max() ?? 0
            let x = area.x - labelWidth - 14
            add(.text(title, at: Point(x, area.y + area.height / 2), size: FontSize.axisTitle, color: Palette.ink, anchor: .middle, rotation: -90))
        }
    }

    /// Tick marks and labels at `ticks` under `area`, the x axis line, and the axis title.
    mutating func drawXAxis(area: PlotRect, scale: LinearScale, ticks: [Double], label: (Double) -> String, title: String?, size: Double = FontSize.tick) {
        for tick in ticks {
            let x = scale(tick)
            add(.line([Point(x, area.maxY), Point(x, area.maxY + 4)], color: Palette.ink, width: 1))
            add(.text(label(tick), at: Point(x, area.maxY + 6 + size), size: size, color: Palette.muted, anchor: .middle))
        }
        add(.line([Point(area.x, area.maxY), Point(area.maxX, area.maxY)], color: Palette.ink, width: 1))
        if let title {
            add(.text(title, at: Point(area.x + area.width / 2, area.maxY + 14 + 2 * size), size: FontSize.axisTitle, color: Palette.ink, anchor: .middle))
        }
    }

    /// The width a legend needs when laid out in one column.
    static func legendWidth(_ entries: [LegendEntry]) -> Double {
        (entries.map { textWidth($0.label, size: FontSize.legend) }.max() ?? 0) + 34
    }

    /// Draws legend entries in a row (ending at `right`) or in a column (starting at `left`), from `top`.
    mutating func drawLegend(_ entries: [LegendEntry], top: Double, right: Double? = nil, left: Double? = nil) {
        let size = FontSize.legend
        var positions: [Point] = []
        if let right {
            let widths = entries.map { Figure.textWidth($0.label, size: size) + 38 }
            var x = right - widths.reduce(0, +)
            for w in widths { positions.append(Point(x, top)); x += w }
        } else {
            for i in entries.indices { positions.append(Point(left ?? 0, top + Double(i) * (size + 8))) }
        }
        for (entry, p) in zip(entries, positions) {
            switch entry.kind {
            case .line(let dash):
                add(.line([Point(p.x, p.y - size * 0.35), Point(p.x + 24, p.y - size * 0.35)], color: entry.color, width: 2.5, dash: dash))
            case .box:
                add(.rect(x: p.x + 6, y: p.y - size * 0.8, width: 12, height: 12, fill: entry.color))
            }
            add(.text(entry.label, at: Point(p.x + 30, p.y), size: size, color: Palette.ink))
        }
    }

    /// A message centred in `area` (for a plot without data).
    mutating func drawEmpty(_ area: PlotRect, message: String) {
        add(.text(message, at: Point(area.x + area.width / 2, area.y + area.height / 2), size: FontSize.subtitle, color: Palette.muted, anchor: .middle))
    }
}
