import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import Delve
@testable import DelveOutputs

/// Parses XML with Foundation's XMLParser and collects element names and text.
final class XMLCollector: NSObject, XMLParserDelegate {
    var elements: [String] = []
    var text = ""
    var error: Error?

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        elements.append(name)
    }
    func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }
    func parser(_ parser: XMLParser, parseErrorOccurred parseError: Error) { error = parseError }

    static func parse(_ xml: String) -> XMLCollector? {
        let collector = XMLCollector()
        let parser = XMLParser(data: Data(xml.utf8))
        parser.delegate = collector
        return parser.parse() && collector.error == nil ? collector : nil
    }
}

@Suite("SVG and plots")
struct PlotSVGTests {
    @Test("text is escaped and the document is well-formed")
    func escaping() throws {
        var figure = Figure(width: 100, height: 50, title: "a < b & \"c\"")
        figure.add(.text("x<y> & 'z'\u{1}", at: Point(1, 20), size: 12, color: .black, anchor: .middle, rotation: -45))
        figure.add(.line([Point(0, 0), Point(10.123, 5)], color: Palette.blue, width: 2, dash: [4, 2]))
        let svg = SVGRenderer.render(figure)
        let parsed = try #require(XMLCollector.parse(svg))
        #expect(parsed.elements == ["svg", "title", "rect", "text", "polyline"])
        #expect(parsed.text.contains("a < b & \"c\""))
        #expect(parsed.text.contains("x<y> & 'z'"))
        #expect(svg.contains(#"transform="rotate(-45 1 20)""#))
        #expect(svg.contains(#"points="0,0 10.12,5""#))
        #expect(svg.contains(#"stroke-dasharray="4 2""#))
        #expect(XMLCollector.parse("<svg><text>a & b</text></svg>") == nil)  // the checker does reject bad XML
    }

    @Test("nice ticks")
    func ticks() {
        #expect(NiceTicks.ticks(lower: 0, upper: 1, maxCount: 5) == [0, 0.2, 0.4, 0.6000000000000001, 0.8, 1])
        #expect(NiceTicks.ticks(lower: 0, upper: 9, maxCount: 5) == [0, 2, 4, 6, 8])
        #expect(NiceTicks.ticks(lower: 0.13, upper: 0.97, maxCount: 4).map { NiceTicks.label($0, step: 0.2) } == ["0.2", "0.4", "0.6", "0.8"])
        #expect(NiceTicks.niceRange(lower: 0.08, upper: 2.18, maxCount: 4) == (0, 2.5))
        #expect(NiceTicks.label(5, step: 5) == "5")
        #expect(NiceTicks.label(0.25, step: 0.05) == "0.25")
        #expect(NiceTicks.ticks(lower: 3, upper: 3) == [3])
    }

    @Test("cumulative explained variance and idim")
    func explained() {
        #expect(SaturationPlots.cumulativeExplainedVariance([1, 3, -0.1, 0]) == [0.75, 1, 1, 1])
        #expect(SaturationPlots.cumulativeExplainedVariance([0, 0]).isEmpty)
    }

    @Test("every standard plot of a sample run is well-formed SVG with its title, layers and legend")
    func runPlots() throws {
        let history = (0..<4).map { SampleRun.record(epoch: $0, epochs: 4) }
        let figures = RunPlots.figures(history: history)
        #expect(figures.map(\.name) == RunPlots.names)
        for (name, figure) in figures {
            let parsed = try #require(XMLCollector.parse(SVGRenderer.render(figure)), "\(name) is not well-formed")
            #expect(parsed.elements.first == "svg")
            if name.hasPrefix("saturation") {
                for layer in SampleRun.layers { #expect(parsed.text.contains(layer.name), "\(name) lacks \(layer.name)") }
            }
        }
        let saturation = SVGRenderer.render(figures[0].figure)
        #expect(saturation.contains(">train</text>") && saturation.contains(">eval</text>"))
        #expect(saturation.contains("Layer saturation, epoch 3"))
        // 6 layers × 2 phases bars (plus the background and legend boxes).
        #expect(saturation.components(separatedBy: "<rect").count - 1 == 1 + 2 + 12)
    }

    @Test("plots of an empty history say so instead of failing")
    func empty() throws {
        for (name, figure) in RunPlots.figures(history: []) {
            let parsed = try #require(XMLCollector.parse(SVGRenderer.render(figure)), "\(name)")
            #expect(parsed.text.contains("no "), "\(name)")
        }
    }
}

@Suite("Layer labels")
struct PlotLayerLabelTests {
    @Test("short names stay; long names lose their common start and end, then their middle")
    func abbreviate() {
        #expect(LayerLabels.abbreviate(["conv1", "fc1"], limit: 10) == (["conv1", "fc1"], nil))
        let deep = (0..<3).map { "encoder.layers.\($0).self_attention.out_proj" }
        let result = LayerLabels.abbreviate(deep, limit: 12)
        #expect(result.labels == ["0", "1", "2"])
        #expect(result.caption == "encoder.layers.*.self_attention.out_proj")
        // Nothing in common: shortened in the middle.
        #expect(LayerLabels.abbreviate(["a_very_long_layer_name_x", "b"], limit: 10).labels == ["a_ve..me_x", "b"])
        // The common part is cut at a separator, never inside a word.
        let partial = LayerLabels.abbreviate(["block.conv", "block.conv_long_name_here"], limit: 12)
        #expect(partial.caption == "block.*")
        #expect(partial.labels == ["conv", "conv_.._here"])
        #expect(LayerLabels.middleTruncated("abcdefghij", limit: 6) == "ab..ij")
    }
}
