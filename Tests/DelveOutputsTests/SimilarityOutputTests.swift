import Foundation
import Testing
@testable import Delve
@testable import DelveOutputs

/// cka.csv, the CKA heat map (SVG, PNG, TensorBoard, report) and the collapse warnings in the report and advice.
@Suite("CKA and collapse outputs")
struct SimilarityOutputTests {
    static let matrix = CKAMatrix(phase: .eval, layers: ["conv1", "fc,1", "out"], features: [8, 16, 4], samples: 120,
                                  values: [1, 0.6, 0.3, 0.6, 1, 0.8, 0.3, 0.8, 1])

    static func record(_ epoch: Int, cka: Bool = true, notes: [String] = []) -> EpochRecord {
        var record = SampleRun.record(epoch: epoch, epochs: 3)
        if cka { record.similarity = [matrix] }
        if !notes.isEmpty { record.layers[0].notes += notes }
        return record
    }

    @Test("cka.csv: one block per epoch and phase, rewritten on resume; no file without CKA")
    func csv() throws {
        let text = CKAWriter.render([(0, Self.matrix)])
        #expect(text == """
            epoch,phase,layer,samples,conv1,"fc,1",out
            0,eval,conv1,120,1.0,0.6,0.3
            0,eval,"fc,1",120,0.6,1.0,0.8
            0,eval,out,120,0.3,0.8,1.0

            """)
        let run = try RunDirectory(path: WriterFixture.temporaryDirectory().path)
        let writers = try makeWriters([.csv], run: run)
        try writers.write(Self.record(0, cka: false))
        #expect(!FileManager.default.fileExists(atPath: run.ckaCSVURL.path))
        try writers.write(Self.record(1))
        try writers.write(Self.record(2))
        let written = try String(contentsOf: run.ckaCSVURL, encoding: .utf8)
        #expect(written.split(separator: "\n").count == 1 + 2 * 3)
        #expect(written.contains("\n2,eval,out,120,0.3,0.8,1.0\n"))
        let writer = CKAWriter(url: run.ckaCSVURL)
        try writer.resume(after: [Self.record(1)])
        #expect(try String(contentsOf: run.ckaCSVURL, encoding: .utf8).split(separator: "\n").count == 1 + 3)
    }

    @Test("the heat map: a cell per pair with its value, in the figures only when the run has CKA")
    func heatmap() throws {
        let figure = SimilarityPlots.ckaHeatmap(Self.matrix, epoch: 4)
        let cells = figure.elements.filter { if case .rect(_, _, let w, let h, _) = $0 { return w > 20 && h > 20 }; return false }
        #expect(cells.count == 9)
        let texts = figure.elements.compactMap { if case .text(let t, _, _, _, _, _, _) = $0 { return t }; return nil }
        #expect(texts.filter { $0 == "0.80" }.count == 2 && texts.filter { $0 == "0.30" }.count == 2 && texts.filter { $0 == "1.00" }.count == 3 + 1)   // the diagonal and the colour bar's top tick
        #expect(texts.contains("epoch 4, 120 samples; brighter = more alike"))
        #expect(!RunPlots.figures(history: [Self.record(0, cka: false)]).contains { $0.name == "cka" })
        let names = RunPlots.figures(history: [Self.record(0), Self.record(1, cka: false)]).map(\.name)
        #expect(names == RunPlots.names + ["cka"])
        let png = try PNGEncoder.encode(Rasterizer.render(figure))
        #expect(png.count > 1000 && Array(png.prefix(4)) == [0x89, 0x50, 0x4E, 0x47])
        #expect(SVGRenderer.render(SimilarityPlots.ckaHeatmap(nil, epoch: 0)).contains("no CKA recorded"))
    }

    @Test("plots/cka.svg and .png, the report's CKA and collapse sections, the advice")
    func runFiles() throws {
        let run = try RunDirectory(path: WriterFixture.temporaryDirectory().path)
        let warning = "collapse: layer 'conv1' (train), epoch 1: RankMe 1.2 is below 10 % of its 32 dimensions"
        let writers = try makeWriters([.plot, .report], run: run)
        try writers.write(Self.record(0))
        try writers.write(Self.record(1, notes: [warning]))
        try writers.close()
        for ext in ["svg", "png"] {
            #expect(FileManager.default.fileExists(atPath: run.plotsDirectory.appendingPathComponent("cka.\(ext)").path))
        }
        let page = try String(contentsOf: run.reportURL, encoding: .utf8)
        #expect(page.contains("<h2>Layer similarity (linear CKA)</h2>") && page.contains("href=\"cka.csv\""))
        #expect(page.contains("<h2>Collapse warnings</h2>") && page.contains("RankMe 1.2 is below 10 % of its 32 dimensions"))
        #expect(page.components(separatedBy: "<svg ").count - 1 == 6)
        let advice = try #require(CollapseAdvice.advice(for: writers.history.records))
        #expect(advice.hasPrefix("Dimensional collapse (RankMe): 1 warning(s)\n  - layer 'conv1' (train), epoch 1: RankMe 1.2"))
        #expect(CollapseAdvice.advice(for: [Self.record(0)]) == nil)
        let plain = ReportPage.html(runName: "x", info: nil, history: [Self.record(0, cka: false)], running: false)
        #expect(!plain.contains("Layer similarity") && !plain.contains("Collapse warnings"))
    }

    @Test("rethreshold recomputes rankme and alphareq when the run had them and keeps the CKA matrices")
    func rethreshold() throws {
        let run = try RunDirectory(path: WriterFixture.temporaryDirectory().path)
        let writers = try makeWriters([.jsonl], run: run)
        var record = Self.record(0)
        let eigenvalues = record.layers[0].eigenvalues!
        record.layers[0].statistics[.rankme] = Spectrum(eigenvalues: eigenvalues, samples: 1).rankMe
        record.layers[0].statistics[.alphareq] = -1   // a stale value: rethreshold must recompute it
        try writers.write(record)
        try writers.close()
        let back = try Rethreshold.records(run: run, threshold: 0.9)[0]
        #expect(back.similarity == [Self.matrix])
        #expect(back.layers[0].statistics[.rankme] == record.layers[0].statistics[.rankme])
        let alpha = try #require(back.layers[0].statistics[.alphareq])
        #expect(abs(alpha - Spectrum(eigenvalues: eigenvalues, samples: 1).alphaReQ) < 1e-12 && alpha > 0)
        #expect(back.layers[1].statistics[.rankme] == nil)   // only where the run had it
    }

    @Test("TensorBoard gets the heat map as an image")
    func tensorboard() throws {
        let run = try RunDirectory(path: WriterFixture.temporaryDirectory().path)
        let writers = try makeWriters([.tensorboard], run: run)
        try writers.write(Self.record(0))
        try writers.close()
        let files = try FileManager.default.contentsOfDirectory(atPath: run.url.path).filter { $0.hasPrefix("events.out.tfevents") }
        let bytes = try Data(contentsOf: run.url.appendingPathComponent(try #require(files.first)))
        #expect(bytes.range(of: Data("plots/cka".utf8)) != nil)
    }
}
