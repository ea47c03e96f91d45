import Delve
import Foundation

/// An 8-bit RGB image, rows top to bottom, 3 bytes per pixel.
public struct RasterImage: Sendable, Equatable {
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// `height × width × 3` bytes.
    public var pixels: [UInt8]

    /// An image filled with `color`.
    public init(width: Int, height: Int, color: RGB = .white) {
        self.width = width
        self.height = height
        let count = max(0, width * height)
        if color.r == color.g, color.g == color.b {
            pixels = [UInt8](repeating: color.r, count: count * 3)
        } else {
            pixels = [UInt8](unsafeUninitializedCapacity: count * 3) { buffer, initialized in
                for i in 0..<count {
                    buffer[3 * i] = color.r
                    buffer[3 * i + 1] = color.g
                    buffer[3 * i + 2] = color.b
                }
                initialized = count * 3
            }
        }
    }

    /// The colour at column `x`, row `y`.
    public func pixel(_ x: Int, _ y: Int) -> RGB {
        let i = 3 * (y * width + x)
        return RGB(pixels[i], pixels[i + 1], pixels[i + 2])
    }
}

/// Draws a ``Figure`` into a ``RasterImage``: a scanline rasterizer for polygons, rectangles, circles,
/// stroked polylines and bitmap-font text (``BitmapFont``), rendered at `supersampling`² samples per
/// pixel and box-filtered down (anti-aliasing).
public enum Rasterizer {
    /// At most this many samples (pixels × supersampling²) are drawn; larger figures get less supersampling
    /// (memory: 3 bytes per sample).
    public static let sampleBudget = 16_000_000

    /// The figure as an image of `figure.width × figure.height` pixels, drawn with `supersampling`² samples
    /// per pixel (default 3, lowered for large figures to stay within ``sampleBudget``).
    public static func render(_ figure: Figure, supersampling: Int? = nil) -> RasterImage {
        let pixels = max(1, figure.width * figure.height)
        let affordable = max(1, Int((Double(sampleBudget) / Double(pixels)).squareRoot()))
        let s = max(1, min(supersampling ?? 3, affordable))
        var canvas = Canvas(width: figure.width * s, height: figure.height * s, scale: Double(s), background: figure.background)
        for element in figure.elements { canvas.draw(element) }
        return canvas.downsampled(by: s, width: figure.width, height: figure.height)
    }
}

/// The supersampled drawing surface.
private struct Canvas {
    let width: Int
    let height: Int
    let scale: Double
    var buffer: [UInt8]

    init(width: Int, height: Int, scale: Double, background: RGB) {
        self.width = width
        self.height = height
        self.scale = scale
        buffer = RasterImage(width: width, height: height, color: background).pixels
    }

    mutating func draw(_ element: PlotElement) {
        switch element {
        case .line(let points, let color, let width, let dash):
            stroke(points, width: width, color: color, dash: dash)
        case .polygon(let points, let fill):
            fillPolygon(points.map { Point($0.x * scale, $0.y * scale) }, color: fill)
        case .rect(let x, let y, let w, let h, let fill):
            fillRect(x0: x * scale, y0: y * scale, x1: (x + w) * scale, y1: (y + h) * scale, color: fill)
        case .circle(let center, let radius, let fill):
            fillDisk(center: Point(center.x * scale, center.y * scale), radius: radius * scale, color: fill)
        case .text(let text, let at, let size, let color, let anchor, let rotation, let bold):
            drawText(text, at: at, size: size, color: color, anchor: anchor, rotation: rotation, bold: bold)
        }
    }

    @inline(__always)
    mutating func set(_ x: Int, _ y: Int, _ c: RGB) {
        let i = 3 * (y * width + x)
        buffer[i] = c.r
        buffer[i + 1] = c.g
        buffer[i + 2] = c.b
    }

    /// Fills the samples whose centres lie in [x0, x1) × [y0, y1) (device coordinates).
    mutating func fillRect(x0: Double, y0: Double, x1: Double, y1: Double, color: RGB) {
        let xa = max(0, Int((min(x0, x1) - 0.5).rounded(.up))), xb = min(width, Int((max(x0, x1) - 0.5).rounded(.up)))
        let ya = max(0, Int((min(y0, y1) - 0.5).rounded(.up))), yb = min(height, Int((max(y0, y1) - 0.5).rounded(.up)))
        guard xa < xb, ya < yb else { return }
        for y in ya..<yb { for x in xa..<xb { set(x, y, color) } }
    }

    /// Even-odd scanline fill of a polygon in device coordinates, sampling at sample centres.
    mutating func fillPolygon(_ points: [Point], color: RGB) {
        guard points.count >= 3, points.allSatisfy({ $0.x.isFinite && $0.y.isFinite }) else { return }
        let minY = points.map(\.y).min()!, maxY = points.map(\.y).max()!
        let ya = max(0, Int((minY - 0.5).rounded(.up))), yb = min(height, Int((maxY - 0.5).rounded(.up)))
        guard ya < yb else { return }
        var crossings: [Double] = []
        for y in ya..<yb {
            let yc = Double(y) + 0.5
            crossings.removeAll(keepingCapacity: true)
            var j = points.count - 1
            for i in 0..<points.count {
                let p = points[i], q = points[j]
                if (p.y <= yc && yc < q.y) || (q.y <= yc && yc < p.y) {
                    crossings.append(p.x + (yc - p.y) * (q.x - p.x) / (q.y - p.y))
                }
                j = i
            }
            crossings.sort()
            var k = 0
            while k + 1 < crossings.count {
                let xa = max(0, Int((crossings[k] - 0.5).rounded(.up)))
                let xb = min(width, Int((crossings[k + 1] - 0.5).rounded(.up)))
                if xa < xb { for x in xa..<xb { set(x, y, color) } }
                k += 2
            }
        }
    }

    /// Fills the samples within `radius` of `center` (device coordinates).
    mutating func fillDisk(center: Point, radius: Double, color: RGB) {
        guard radius > 0, center.x.isFinite, center.y.isFinite else { return }
        let ya = max(0, Int((center.y - radius - 0.5).rounded(.up))), yb = min(height, Int((center.y + radius - 0.5).rounded(.up)))
        guard ya < yb else { return }
        for y in ya..<yb {
            let dy = Double(y) + 0.5 - center.y
            let half = (radius * radius - dy * dy).squareRoot()
            guard half.isFinite else { continue }
            let xa = max(0, Int((center.x - half - 0.5).rounded(.up))), xb = min(width, Int((center.x + half - 0.5).rounded(.up)))
            if xa < xb { for x in xa..<xb { set(x, y, color) } }
        }
    }

    /// Strokes a polyline (figure coordinates) with round joins, optionally dashed.
    mutating func stroke(_ points: [Point], width lineWidth: Double, color: RGB, dash: [Double]?) {
        let device = points.map { Point($0.x * scale, $0.y * scale) }
        let runs: [[Point]]
        if let dash, dash.count >= 2, dash.allSatisfy({ $0 > 0 }) {
            runs = dashed(device, pattern: dash.map { $0 * scale })
        } else {
            runs = [device]
        }
        let half = max(lineWidth * scale, 1) / 2
        for run in runs {
            for (p, q) in zip(run, run.dropFirst()) {
                let dx = q.x - p.x, dy = q.y - p.y
                let length = (dx * dx + dy * dy).squareRoot()
                guard length > 0 else { continue }
                let nx = -dy / length * half, ny = dx / length * half
                fillPolygon([Point(p.x + nx, p.y + ny), Point(q.x + nx, q.y + ny), Point(q.x - nx, q.y - ny), Point(p.x - nx, p.y - ny)], color: color)
            }
            if half >= 1.5 { for p in run { fillDisk(center: p, radius: half, color: color) } }
        }
    }

    /// Splits a polyline into the "on" pieces of a dash pattern (device coordinates).
    func dashed(_ points: [Point], pattern: [Double]) -> [[Point]] {
        var runs: [[Point]] = []
        var current: [Point] = []
        var index = 0
        var left = pattern[0]
        var on = true
        if let first = points.first { current = [first] }
        for (p, q) in zip(points, points.dropFirst()) {
            let dx = q.x - p.x, dy = q.y - p.y
            let length = (dx * dx + dy * dy).squareRoot()
            var done = 0.0
            while length - done > left {
                done += left
                let point = Point(p.x + dx * done / length, p.y + dy * done / length)
                if on {
                    current.append(point)
                    runs.append(current)
                    current = []
                } else {
                    current = [point]
                }
                on.toggle()
                index = (index + 1) % pattern.count
                left = pattern[index]
            }
            left -= length - done
            if on { current.append(q) }
        }
        if on, current.count >= 2 { runs.append(current) }
        return runs
    }

    /// Draws text with the bitmap font: a glyph unit is size / 10 pixels, a character 6 units wide.
    mutating func drawText(_ text: String, at: Point, size: Double, color: RGB, anchor: TextAnchor, rotation: Double, bold: Bool) {
        let unit = size / 10
        let total = Double(text.count * BitmapFont.advance) * unit
        var originX: Double
        switch anchor {
        case .start: originX = 0
        case .middle: originX = -total / 2
        case .end: originX = -total
        }
        let angle = rotation * Double.pi / 180
        let cosA = cos(angle), sinA = sin(angle)
        func place(_ lx: Double, _ ly: Double) -> Point {
            Point((at.x + lx * cosA - ly * sinA) * scale, (at.y + lx * sinA + ly * cosA) * scale)
        }
        for character in text {
            let rows = BitmapFont.rows(of: character)
            for (r, bits) in rows.enumerated() where bits != 0 {
                let top = -Double(BitmapFont.glyphHeight - r) * unit
                for c in 0..<BitmapFont.glyphWidth where bits & (1 << (BitmapFont.glyphWidth - 1 - c)) != 0 {
                    let left = originX + Double(c) * unit
                    let right = left + unit * (bold ? 1.45 : 1)
                    if rotation == 0 {
                        fillRect(x0: (at.x + left) * scale, y0: (at.y + top) * scale,
                                 x1: (at.x + right) * scale, y1: (at.y + top + unit) * scale, color: color)
                    } else {
                        fillPolygon([place(left, top), place(right, top), place(right, top + unit), place(left, top + unit)], color: color)
                    }
                }
            }
            originX += Double(BitmapFont.advance) * unit
        }
    }

    /// Box-filters `factor × factor` blocks of samples into pixels.
    func downsampled(by factor: Int, width outWidth: Int, height outHeight: Int) -> RasterImage {
        var image = RasterImage(width: outWidth, height: outHeight)
        let area = factor * factor
        let rowLength = width * 3
        buffer.withUnsafeBufferPointer { source in
            image.pixels.withUnsafeMutableBufferPointer { target in
                // Sums of each output pixel's block, one output row at a time.
                let sums = UnsafeMutableBufferPointer<Int>.allocate(capacity: outWidth * 3)
                defer { sums.deallocate() }
                for y in 0..<outHeight {
                    sums.update(repeating: 0)
                    for sy in 0..<factor {
                        let row = (y * factor + sy) * rowLength
                        var i = row
                        for x in 0..<outWidth {
                            var r = 0, g = 0, b = 0
                            for _ in 0..<factor {
                                r &+= Int(source[i]); g &+= Int(source[i + 1]); b &+= Int(source[i + 2])
                                i += 3
                            }
                            sums[3 * x] &+= r
                            sums[3 * x + 1] &+= g
                            sums[3 * x + 2] &+= b
                        }
                    }
                    let o = 3 * y * outWidth
                    for k in 0..<(outWidth * 3) { target[o + k] = UInt8((sums[k] + area / 2) / area) }
                }
            }
        }
        return image
    }
}
