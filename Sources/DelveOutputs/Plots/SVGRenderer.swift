import Delve
import Foundation

/// Renders a ``Figure`` as a standalone SVG 1.1 document (well-formed XML, text escaped).
public enum SVGRenderer {
    /// The font stack used for text; monospace, so that text widths match ``Figure/textWidth(_:size:)``.
    public static let fontFamily = "DejaVu Sans Mono, Menlo, Consolas, Liberation Mono, monospace"

    /// The SVG document of `figure`. With `standalone` false the XML declaration is left out (for
    /// embedding in HTML).
    public static func render(_ figure: Figure, standalone: Bool = true) -> String {
        var out = standalone ? "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" : ""
        out += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(figure.width)\" height=\"\(figure.height)\" "
        out += "viewBox=\"0 0 \(figure.width) \(figure.height)\" font-family=\"\(fontFamily)\" role=\"img\">\n"
        out += "<title>\(escape(figure.title))</title>\n"
        out += "<rect x=\"0\" y=\"0\" width=\"\(figure.width)\" height=\"\(figure.height)\" fill=\"\(figure.background.hexText)\"/>\n"
        for element in figure.elements {
            switch element {
            case .line(let points, let color, let width, let dash):
                guard points.count >= 2 else { continue }
                out += "<polyline points=\"\(points.map { "\(n($0.x)),\(n($0.y))" }.joined(separator: " "))\" fill=\"none\" "
                out += "stroke=\"\(color.hexText)\" stroke-width=\"\(n(width))\" stroke-linejoin=\"round\" stroke-linecap=\"round\""
                if let dash, !dash.isEmpty { out += " stroke-dasharray=\"\(dash.map(n).joined(separator: " "))\"" }
                out += "/>\n"
            case .polygon(let points, let fill):
                guard points.count >= 3 else { continue }
                out += "<polygon points=\"\(points.map { "\(n($0.x)),\(n($0.y))" }.joined(separator: " "))\" fill=\"\(fill.hexText)\"/>\n"
            case .rect(let x, let y, let w, let h, let fill):
                out += "<rect x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(max(0, w)))\" height=\"\(n(max(0, h)))\" fill=\"\(fill.hexText)\"/>\n"
            case .circle(let c, let r, let fill):
                out += "<circle cx=\"\(n(c.x))\" cy=\"\(n(c.y))\" r=\"\(n(r))\" fill=\"\(fill.hexText)\"/>\n"
            case .text(let text, let at, let size, let color, let anchor, let rotation, let bold):
                out += "<text x=\"\(n(at.x))\" y=\"\(n(at.y))\" font-size=\"\(n(size))\" fill=\"\(color.hexText)\""
                if anchor != .start { out += " text-anchor=\"\(anchor.rawValue)\"" }
                if bold { out += " font-weight=\"bold\"" }
                if rotation != 0 { out += " transform=\"rotate(\(n(rotation)) \(n(at.x)) \(n(at.y)))\"" }
                out += " xml:space=\"preserve\">\(escape(text))</text>\n"
            }
        }
        return out + "</svg>\n"
    }

    /// Escapes `&`, `<`, `>`, `"` and `'` and drops characters XML 1.0 does not allow.
    public static func escape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default:
                let v = scalar.value
                if v == 0x9 || v == 0xA || v == 0xD || (v >= 0x20 && v != 0xFFFE && v != 0xFFFF) {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// A coordinate with at most two decimals, without trailing zeros.
    static func n(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let rounded = (value * 100).rounded() / 100
        if rounded == rounded.rounded() { return String(Int(rounded)) }
        var text = String(format: "%.2f", rounded)
        while text.hasSuffix("0") { text.removeLast() }
        return text
    }
}
