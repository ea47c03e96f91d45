import Foundation
import Testing
@testable import Delve
@testable import DelveOutputs

@Suite("Layer by layer: saturation, probe accuracy and receptive field, one panel above the other")
struct LayerEvidencePlotTests {
    /// The tail history of `VerdictSectionTests` (tail features.12, features.15), with probe accuracies on
    /// the eval entries of the last epoch: 0.50, 0.70, 0.90, 0.95, 0.96, 0.96 and 0.97 for the classifier.
    static func history() -> [EpochRecord] {
        var history = VerdictSectionTests.history(tail: true)
        let accuracy = [0.5, 0.7, 0.9, 0.95, 0.96, 0.96, 0.97]
        for i in history[1].layers.indices { history[1].layers[i].statistics[.probeAccuracy] = accuracy[i] }
        return history
    }

    /// The bars (rectangles) of a figure, in drawing order, with their fill.
    static func bars(_ figure: Figure) -> [(height: Double, fill: RGB)] {
        figure.elements.compactMap { element in
            guard case let .rect(_, _, _, height, fill) = element else { return nil }
            return (height, fill)
        }
    }

    static func texts(_ figure: Figure) -> [String] {
        figure.elements.compactMap { element in
            guard case let .text(text, _, _, _, _, _, _) = element else { return nil }
            return text
        }
    }

    @Test("three panels: bar heights follow the values, the tail and the predicted unproductive layers in vermillion")
    func threePanels() throws {
        let history = Self.history()
        let layers = RunPlots.layerOrder(history)
        let prediction = ReceptiveFieldAdviceTests.prediction(unproductive: ["features.9", "features.12", "features.15"])
        let figure = try #require(LayerEvidencePlots.layerEvidence(record: history[1], phase: .eval, layers: layers, prediction: prediction,
                                                                   tail: ["features.12", "features.15"]))
        let bars = Self.bars(figure)
        // 7 saturation bars, 7 probe bars, 6 receptive-field bars (the classifier has none in the prediction).
        #expect(bars.count == 20)
        let saturation = Array(bars[0..<7]), probe = Array(bars[7..<14]), field = Array(bars[14..<20])
        // Heights are proportional to the values (same scale in every panel): 0.27 vs 0.55 saturation.
        #expect(abs(saturation[1].height / saturation[0].height - 0.55 / 0.27) < 1e-9)
        #expect(abs(probe[2].height / probe[0].height - 0.9 / 0.5) < 1e-9)
        // r = 3, 5, 7, 9, 11, 13 at an 8×8 input: 3/8, 5/8, 7/8 of the input, then capped at 100 %.
        #expect(abs(field[1].height / field[0].height - 5.0 / 3.0) < 1e-9)
        #expect(field[3].height == field[5].height && abs(field[3].height / field[0].height - 8.0 / 3.0) < 1e-9)
        #expect(saturation.map(\.fill) == [Palette.blue, Palette.blue, Palette.blue, Palette.blue, Palette.vermillion, Palette.vermillion, Palette.blue])
        #expect(probe.allSatisfy { $0.fill == Palette.bluishGreen })
        #expect(field.map(\.fill) == [Palette.skyBlue, Palette.skyBlue, Palette.skyBlue, Palette.vermillion, Palette.vermillion, Palette.vermillion])
        let texts = Self.texts(figure)
        #expect(texts.contains("r=13") && texts.contains("96") && texts.contains("linear-probe accuracy (eval)"))
    }

    @Test("without probes and prediction there is no figure (the bar chart shows saturation); with one of them, two panels")
    func panelsPresent() throws {
        let plain = VerdictSectionTests.history(tail: true)
        let layers = RunPlots.layerOrder(plain)
        #expect(LayerEvidencePlots.layerEvidence(record: plain[1], phase: .eval, layers: layers, prediction: nil, tail: []) == nil)
        let probes = try #require(LayerEvidencePlots.layerEvidence(record: Self.history()[1], phase: .eval, layers: layers, prediction: nil, tail: []))
        #expect(Self.bars(probes).count == 14)
        #expect(!Self.texts(probes).contains { $0.hasPrefix("receptive field") })
    }

    @Test("the report shows the section right after the verdict only when there is something to show")
    func reportSection() {
        let prediction = ReceptiveFieldAdviceTests.prediction(unproductive: ["features.12", "features.15"])
        let page = ReportPage.html(runName: "r", info: nil, history: Self.history(), running: false, receptiveField: prediction)
        let section = page.range(of: "<section id=\"layer-by-layer\">")
        #expect(section != nil)
        if let section, let field = page.range(of: "<section id=\"receptive-field\">") { #expect(section.lowerBound < field.lowerBound) }
        let plain = ReportPage.html(runName: "r", info: nil, history: VerdictSectionTests.history(tail: true), running: false)
        #expect(!plain.contains("layer-by-layer"))
    }
}
