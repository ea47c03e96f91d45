import Delve

/// An sRGB colour with 8 bits per channel.
public struct RGB: Equatable, Hashable, Sendable {
    /// Red.
    public var r: UInt8
    /// Green.
    public var g: UInt8
    /// Blue.
    public var b: UInt8

    /// Creates a colour from its channels.
    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) {
        self.r = r
        self.g = g
        self.b = b
    }

    /// Creates a colour from a hex number such as `0xE69F00`.
    public init(hex: UInt32) {
        self.init(UInt8(hex >> 16 & 0xFF), UInt8(hex >> 8 & 0xFF), UInt8(hex & 0xFF))
    }

    /// `#rrggbb`
    public var hexText: String {
        "#" + [r, g, b].map { String($0, radix: 16).leftPadded(to: 2) }.joined()
    }

    /// Linear interpolation between `self` (t = 0) and `other` (t = 1).
    public func mixed(with other: RGB, _ t: Double) -> RGB {
        func mix(_ a: UInt8, _ b: UInt8) -> UInt8 { UInt8((Double(a) + (Double(b) - Double(a)) * min(1, max(0, t))).rounded()) }
        return RGB(mix(r, other.r), mix(g, other.g), mix(b, other.b))
    }

    /// Relative luminance in [0, 1] (Rec. 709 weights on the 8-bit values; enough to pick black or white text).
    public var luminance: Double { (0.2126 * Double(r) + 0.7152 * Double(g) + 0.0722 * Double(b)) / 255 }

    /// White.
    public static let white = RGB(255, 255, 255)
    /// Black.
    public static let black = RGB(0, 0, 0)
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}

/// A point in figure coordinates (pixels, origin top left, y down).
public struct Point: Equatable, Sendable {
    /// Horizontal position.
    public var x: Double
    /// Vertical position (down).
    public var y: Double
    /// Creates a point.
    public init(_ x: Double, _ y: Double) {
        self.x = x
        self.y = y
    }
}

/// Where a text's anchor point lies along the text.
public enum TextAnchor: String, Sendable {
    /// The anchor is at the start of the text.
    case start
    /// The anchor is in the middle.
    case middle
    /// The anchor is at the end.
    case end
}

/// One drawing primitive of a ``Figure``; every renderer (SVG, PNG) draws exactly these.
public enum PlotElement: Sendable, Equatable {
    /// A polyline of the given stroke width, solid or dashed (`dash`: on/off lengths).
    case line([Point], color: RGB, width: Double, dash: [Double]? = nil)
    /// A filled polygon.
    case polygon([Point], fill: RGB)
    /// A filled axis-aligned rectangle.
    case rect(x: Double, y: Double, width: Double, height: Double, fill: RGB)
    /// A filled circle.
    case circle(center: Point, radius: Double, fill: RGB)
    /// Text in the figure's monospace font: `at` is the anchor point on the baseline, `size` the font size
    /// in pixels (a character is 0.6 × size wide), `rotation` in degrees clockwise around `at`.
    case text(String, at: Point, size: Double, color: RGB, anchor: TextAnchor = .start, rotation: Double = 0, bold: Bool = false)
}

/// A vector picture: a canvas size, a background and a list of primitives drawn in order.
public struct Figure: Sendable, Equatable {
    /// Width in pixels.
    public var width: Int
    /// Height in pixels.
    public var height: Int
    /// The figure's title (also the SVG `<title>`).
    public var title: String
    /// Background colour.
    public var background: RGB
    /// The primitives, drawn in order.
    public var elements: [PlotElement] = []

    /// Creates an empty figure.
    public init(width: Int, height: Int, title: String, background: RGB = .white) {
        self.width = width
        self.height = height
        self.title = title
        self.background = background
    }

    /// Appends a primitive.
    public mutating func add(_ element: PlotElement) {
        elements.append(element)
    }

    /// The width of `text` at font `size`: every character is 0.6 × size wide (monospace).
    public static func textWidth(_ text: String, size: Double) -> Double {
        Double(text.count) * size * 0.6
    }
}
