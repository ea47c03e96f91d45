import Delve

/// One line of a line chart: points (x, y); non-finite y values break the line.
public struct LineSeries: Sendable {
    /// The legend label.
    public var name: String
    /// The points' x values.
    public var x: [Double]
    /// The points' y values (NaN or ±∞: a gap).
    public var y: [Double]
    /// The line colour.
    public var color: RGB
    /// The dash pattern (nil: solid).
    public var dash: [Double]?

    /// Creates a series.
    public init(name: String, x: [Double], y: [Double], color: RGB, dash: [Double]? = nil) {
        self.name = name
        self.x = x
        self.y = y
        self.color = color
        self.dash = dash
    }

    /// The runs of consecutive finite points.
    var segments: [[(Double, Double)]] {
        var runs: [[(Double, Double)]] = []
        var current: [(Double, Double)] = []
        for (x, y) in zip(x, y) {
            if x.isFinite, y.isFinite {
                current.append((x, y))
            } else if !current.isEmpty {
                runs.append(current)
                current = []
            }
        }
        if !current.isEmpty { runs.append(current) }
        return runs
    }
}

extension Figure {
    /// Draws a line chart of `series` into `area`: grid, axes with nice ticks, lines and (for few points)
    /// markers. `yDomain` fixes the y range (e.g. 0...1 for saturation); otherwise it fits the data.
    /// `integerX` keeps x ticks on whole numbers (epochs, component counts).
    mutating func drawLineChart(
        area: PlotRect, series: [LineSeries], yDomain: (Double, Double)? = nil,
        yLabel: (Double, Double) -> String = { NiceTicks.label($0, step: $1) },
        xTitle: String?, yTitle: String?, integerX: Bool = true, markers: Bool = true, maxYTicks: Int = 5
    ) {
        let xs = series.flatMap { s in zip(s.x, s.y).filter { $0.1.isFinite }.map(\.0) }.filter(\.isFinite)
        let ys = series.flatMap(\.y).filter(\.isFinite)
        guard let xMin = xs.min(), let xMax = xs.max() else {
            drawYAxis(area: area, scale: LinearScale(domain: (0, 1), range: (area.maxY, area.y)), ticks: [], label: { _ in "" }, title: yTitle)
            drawXAxis(area: area, scale: LinearScale(domain: (0, 1), range: (area.x, area.maxX)), ticks: [], label: { _ in "" }, title: xTitle)
            drawEmpty(area, message: "no finite values yet")
            return
        }
        let xDomain = xMin == xMax ? (xMin - 1, xMax + 1) : (xMin, xMax)
        let domainY = yDomain ?? NiceTicks.niceRange(lower: ys.min()!, upper: ys.max()!, maxCount: maxYTicks)
        let xScale = LinearScale(domain: xDomain, range: (area.x + 6, area.maxX - 6))
        let yScale = LinearScale(domain: domainY, range: (area.maxY, area.y))
        let yTicks = NiceTicks.ticks(lower: domainY.0, upper: domainY.1, maxCount: maxYTicks)
        let yStep = NiceTicks.step(lower: domainY.0, upper: domainY.1, maxCount: maxYTicks)
        drawYAxis(area: area, scale: yScale, ticks: yTicks, label: { yLabel($0, yStep) }, title: yTitle)
        let maxXTicks = max(2, Int(area.width / 60))
        var xTicks = NiceTicks.ticks(lower: xDomain.0, upper: xDomain.1, maxCount: maxXTicks)
        var xStep = NiceTicks.step(lower: xDomain.0, upper: xDomain.1, maxCount: maxXTicks)
        if integerX {
            xStep = max(1, xStep.rounded())
            xTicks = xTicks.filter { $0 == $0.rounded() && $0 >= xMin && $0 <= xMax }
            if xTicks.isEmpty { xTicks = [xMin] }
        }
        drawXAxis(area: area, scale: xScale, ticks: xTicks, label: { NiceTicks.label($0, step: xStep) }, title: xTitle)
        let pointCount = series.map(\.x.count).max() ?? 0
        for s in series {
            for run in s.segments {
                let points = run.map { Point(xScale($0.0), yScale($0.1)) }
                if points.count >= 2 { add(.line(points, color: s.color, width: 2, dash: s.dash)) }
                if markers, pointCount <= 40 || points.count == 1 {
                    for p in points { add(.circle(center: p, radius: 3, fill: s.color)) }
                }
            }
        }
    }
}
