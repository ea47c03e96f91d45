import Delve

/// Colours for plots: the Okabe–Ito palette (distinguishable with the common forms of colour blindness,
/// Okabe & Ito 2008) and a viridis-like sequential map for heat maps.
public enum Palette {
    /// Okabe–Ito blue.
    public static let blue = RGB(hex: 0x0072B2)
    /// Okabe–Ito orange.
    public static let orange = RGB(hex: 0xE69F00)
    /// Okabe–Ito sky blue.
    public static let skyBlue = RGB(hex: 0x56B4E9)
    /// Okabe–Ito bluish green.
    public static let bluishGreen = RGB(hex: 0x009E73)
    /// Okabe–Ito vermillion.
    public static let vermillion = RGB(hex: 0xD55E00)
    /// Okabe–Ito reddish purple.
    public static let reddishPurple = RGB(hex: 0xCC79A7)
    /// Okabe–Ito yellow (low contrast on white: used last).
    public static let yellow = RGB(hex: 0xF0E442)
    /// Text and axes.
    public static let ink = RGB(hex: 0x222222)
    /// Secondary text.
    public static let muted = RGB(hex: 0x666666)
    /// Grid lines.
    public static let grid = RGB(hex: 0xE4E4E4)
    /// Cells without a value.
    public static let missing = RGB(hex: 0xF2F2F2)

    /// The series colours in order (Okabe–Ito without black).
    public static let series: [RGB] = [blue, orange, bluishGreen, vermillion, skyBlue, reddishPurple, yellow, ink]

    /// The colour of series `index` (colours repeat after ``series``; ``dash(for:)`` then changes).
    public static func color(_ index: Int) -> RGB { series[index % series.count] }

    /// A dash pattern distinguishing series that share a colour (nil = solid for the first round).
    public static func dash(for index: Int) -> [Double]? {
        switch (index / series.count) % 3 {
        case 0: return nil
        case 1: return [2, 3]
        default: return [8, 3, 2, 3]
        }
    }

    /// The sequential map at `t` in [0, 1]: dark purple → blue → green → yellow (viridis anchor colours,
    /// linearly interpolated); perceptually ordered and readable in greyscale.
    public static func sequential(_ t: Double) -> RGB {
        let anchors: [RGB] = [RGB(hex: 0x440154), RGB(hex: 0x3B528B), RGB(hex: 0x21918C), RGB(hex: 0x5EC962), RGB(hex: 0xFDE725)]
        let x = min(1, max(0, t.isNaN ? 0 : t)) * Double(anchors.count - 1)
        let i = min(anchors.count - 2, Int(x))
        return anchors[i].mixed(with: anchors[i + 1], x - Double(i))
    }
}
