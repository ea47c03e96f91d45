import Foundation
import Testing
@testable import Delve
@testable import DelveOutputs

/// The report's verdict section against golden files (`Golden/verdict-*.html`); with
/// `DELVE_RECORD_GOLDEN=1` in the environment the files are rewritten instead.
@Suite("Report verdict section")
struct VerdictSectionTests {
    /// A history of two epochs: 6 convolutions of width 32, the first at its ceiling of 9, then a classifier.
    static func history(tail: Bool) -> [EpochRecord] {
        let last: [Double] = tail ? [0.27, 0.55, 0.6, 0.5, 0.08, 0.05] : [0.27, 0.55, 0.6, 0.5, 0.45, 0.4]
        return [0, 1].map { epoch in
            var layers = last.enumerated().map { i, s in
                LayerEpochValues(layer: "features.\(i * 3)", phase: .eval, features: 32, samples: 500,
                                 statistics: [.lsat: epoch == 1 ? s : 0.5, .idim: (s * 32).rounded()])
            }
            layers.append(LayerEpochValues(layer: "classifier", phase: .eval, features: 10, samples: 500, statistics: [.lsat: 0.8]))
            return EpochRecord(epoch: epoch, layers: layers, scalars: [("test-accuracy", 0.97)])
        }
    }

    static let ceilings = StructuralCeilings([
        ("features.0", StructuralCeiling(dimensions: 9, reason: "1 input channel × 3×3 kernel")),
        ("features.3", StructuralCeiling(dimensions: 288, reason: "32 input channels × 3×3 kernel")),
    ])

    func check(_ name: String, tail: Bool) throws {
        let history = Self.history(tail: tail)
        let verdict = Verdict(record: history[1], ceilings: Self.ceilings)
        let html = ReportPage.verdictSection(verdict, ceilings: Self.ceilings, last: history[1])
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden/\(name)")
        if ProcessInfo.processInfo.environment["DELVE_RECORD_GOLDEN"] == "1" {
            try Data(html.utf8).write(to: url)
            return
        }
        let golden = try String(contentsOf: url, encoding: .utf8)
        #expect(html == golden)
        // The whole page puts the section first and marks the named layers in the figures.
        let info = RunInfo(configuration: [], ceilings: Self.ceilings)
        let page = ReportPage.html(runName: "r", info: info, history: history, running: false)
        let verdictAt = try #require(page.range(of: "<h2>Verdict</h2>"))
        let configurationAt = try #require(page.range(of: "<h2>Run configuration</h2>"))
        #expect(verdictAt.lowerBound < configurationAt.lowerBound)
        #expect(page.contains(html))
        #expect(page.contains("structural ceiling"))
        let figures = RunPlots.figures(history: history, ceilings: Self.ceilings, named: verdict.namedLayers)
        let bars = try #require(figures.first { $0.name == "saturation" }?.figure)
        let underlined = bars.elements.filter { if case .rect(_, _, _, 4, Palette.vermillion) = $0 { true } else { false } }
        #expect(underlined.count == (tail ? 2 : 0))
        func ceilingMarks(_ figure: Figure) -> Int {
            figure.elements.filter { if case .line(_, Palette.ink, 2.5, nil) = $0 { true } else { false } }.count
        }
        #expect(ceilingMarks(bars) == 2)  // features.0's mark and the legend's (288 ≥ 32 limits nothing)
        let unmarked = RunPlots.figures(history: history).first { $0.name == "saturation" }?.figure
        #expect(unmarked.map(ceilingMarks) == 0)
        let heatmap = try #require(figures.first { $0.name == "saturation-heatmap" }?.figure)
        let frames = heatmap.elements.filter { if case .line(let points, Palette.vermillion, _, _) = $0 { points.count == 5 } else { false } }
        #expect(frames.count == (tail ? 1 : 0))
    }

    @Test("a tail-pattern history: names the layers and what to try, explains the ceiling")
    func tailPattern() throws {
        try check("verdict-tail.html", tail: true)
    }

    @Test("a history without a tail pattern says so")
    func noTailPattern() throws {
        try check("verdict-none.html", tail: false)
    }
}
