import Foundation
import Testing
@testable import Delve
@testable import DelveOutputs

@Suite("Tail pattern and structural ceilings")
struct TailPatternCeilingTests {
    /// An eval record of convolutions with D = 32 and the given saturations, then a classifier.
    static func record(_ saturations: [Double]) -> EpochRecord {
        var layers = saturations.enumerated().map { i, s in
            LayerEpochValues(layer: "conv\(i + 1)", phase: .eval, features: 32, samples: 500, statistics: [.lsat: s])
        }
        layers.append(LayerEpochValues(layer: "fc", phase: .eval, features: 10, samples: 500, statistics: [.lsat: 0.9]))
        return EpochRecord(epoch: 4, layers: layers)
    }

    static let firstConv = StructuralCeilings([("conv1", StructuralCeiling(dimensions: 9, reason: "1 input channel × 3×3 kernel"))])

    @Test("the first conv at its ceiling (9/32) no longer pulls the reference down")
    func firstConvAtCeiling() throws {
        let record = Self.record([9.0 / 32, 0.3, 0.9, 0.2, 0.2])
        // Counted, conv1 makes the median of the head 0.3: 0.2 is not below half of it.
        #expect(TailPatternRule().detect(in: record) == nil)
        let pattern = try #require(TailPatternRule().detect(in: record, ceilings: Self.firstConv))
        #expect(pattern.layers == ["conv4", "conv5"])
        #expect(abs(pattern.referenceSaturation - 0.6) < 1e-12)
        let verdict = Verdict(record: record, ceilings: Self.firstConv)
        #expect(verdict.atCeiling.map(\.layer) == ["conv1"])
        #expect(verdict.text.contains("conv1 is at its structural ceiling: at most 9 of 32 directions"))
    }

    @Test("a tail layer at its ceiling is not counted; below its ceiling it is")
    func tailLayerAtCeiling() throws {
        let sats = [0.6, 0.6, 0.6, 0.1, 8.0 / 32]
        let lastConv = StructuralCeilings([("conv5", StructuralCeiling(dimensions: 8, reason: "input width 8"))])
        #expect(TailPatternRule().detect(in: Self.record(sats.map { $0 == 0.25 ? 0.1 : $0 }))?.layers == ["conv4", "conv5"])
        // conv5 at 8/32 = its ceiling: the tail is conv4 alone, too short.
        #expect(TailPatternRule().detect(in: Self.record(sats), ceilings: lastConv) == nil)
        // conv5 at 1/32, far below its ceiling of 8/32: it counts.
        let low = Self.record([0.6, 0.6, 0.6, 0.1, 1.0 / 32])
        #expect(TailPatternRule().detect(in: low, ceilings: lastConv)?.layers == ["conv4", "conv5"])
    }

    @Test("a ceiling of at least D limits nothing")
    func noLimit() {
        let ceilings = StructuralCeilings([("conv1", StructuralCeiling(dimensions: 288, reason: ""))])
        #expect(ceilings.saturationLimit(layer: "conv1", features: 32) == nil)
        #expect(ceilings.saturationLimit(layer: "other", features: 32) == nil)
        #expect(Self.firstConv.saturationLimit(layer: "conv1", features: 32) == 9.0 / 32)
    }

    @Test("ceilings travel through run.json")
    func runInfoRoundTrip() throws {
        let info = RunInfo(configuration: [.init("model", "cnn")], ceilings: Self.firstConv)
        let read = RunInfo(json: try JSONValue.parse(info.jsonValue.text))
        #expect(read.ceilings == Self.firstConv)
        #expect(RunInfo(json: try JSONValue.parse(RunInfo(configuration: []).jsonValue.text)).ceilings.isEmpty)
    }

    @Test("ceilings stated by a library user reach run.json, the plots and the report")
    func statedByUser() throws {
        let folder = try WriterFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = try RunDirectory(path: folder.path)
        let writers = try makeWriters([.report], run: run, ceilings: Self.firstConv)
        try writers.write(Self.record([9.0 / 32, 0.3, 0.9, 0.2, 0.2]))
        try writers.close()
        #expect(try run.readInfo()?.ceilings == Self.firstConv)
        #expect(writers.history.verdict?.namedLayers == ["conv4", "conv5"])
        let page = try String(contentsOf: run.reportURL, encoding: .utf8)
        #expect(page.contains("conv1 at most 28.1% (9 of 32, 1 input channel × 3×3 kernel, at its ceiling and not counted by the rule)"))
        #expect(page.contains("<b class=\"named\">conv4</b>"))
    }
}
