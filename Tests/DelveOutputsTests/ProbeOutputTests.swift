import Foundation
import Testing
@testable import Delve
@testable import DelveOutputs

/// probe-r2 and probe-accuracy in the record's keys, the JSONL round trip, the `probes` figure and the report section.
@Suite("Linear-probe outputs")
struct ProbeOutputTests {
    /// SampleRun's record with probe-r2 = 0.1·(layer+1) on train entries and probe-accuracy = 0.2 + 0.1·layer on eval entries.
    static func record(_ epoch: Int, probes: Bool = true) -> EpochRecord {
        var record = SampleRun.record(epoch: epoch, epochs: 3)
        guard probes else { return record }
        let names = record.layerNames
        for i in record.layers.indices {
            let index = Double(names.firstIndex(of: record.layers[i].layer)!)
            switch record.layers[i].phase {
            case .train: record.layers[i].statistics[.probeR2] = 0.1 * (index + 1)
            case .eval: record.layers[i].statistics[.probeAccuracy] = 0.2 + 0.1 * index
            }
        }
        return record
    }

    @Test("keys follow Delve's naming and survive the JSONL round trip")
    func keysAndJSON() throws {
        let record = Self.record(1)
        let first = record.layerNames[0]
        let keys = record.keyedValues.map(\.key)
        #expect(keys.contains("train-probe-r2_\(first)") && keys.contains("eval-probe-accuracy_\(first)"))
        #expect(!keys.contains("eval-probe-r2_\(first)") && !keys.contains("train-probe-accuracy_\(first)"))
        #expect(record.keyedValues.first { $0.key == "eval-probe-accuracy_\(first)" }?.value == 0.2)
        let back = try EpochRecord(json: try JSONValue.parse(record.jsonValue.text))
        for (a, b) in zip(back.layers, record.layers) { #expect(a.statistics == b.statistics) }
        let run = try RunDirectory(path: WriterFixture.temporaryDirectory().path)
        try makeWriters([.csv], run: run).write(record)
        let text = try String(contentsOf: run.csvURL, encoding: .utf8)
        let csv = try CSVRecords.records(fromCSV: text, path: run.csvURL.path)
        #expect(csv.first?.values(layer: first, phase: .train)?.statistics[.probeR2] == 0.1)
        #expect(csv.first?.values(layer: first, phase: .eval)?.statistics[.probeAccuracy] == 0.2)
    }

    @Test("the probes figure: one panel per layer, only for runs with probes; the report section")
    func figureAndReport() throws {
        let history = [Self.record(0), Self.record(1), Self.record(2)]
        let names = RunPlots.figures(history: history).map(\.name)
        #expect(names == RunPlots.names + ["probes"])
        #expect(RunPlots.figures(history: [Self.record(0, probes: false)]).map(\.name) == RunPlots.names)
        let figure = ProbePlots.probesOverEpochs(history)
        let layers = history[0].layerNames
        let bold = figure.elements.compactMap { if case .text(let t, _, _, _, _, _, true) = $0 { return t }; return nil }
        #expect(bold.filter(layers.contains) == layers, "one titled panel per layer, in network order")
        // Per panel three lines over three epochs: saturation, probe accuracy, probe R² (dashed).
        let lines = figure.elements.filter { if case .line(let points, _, 2, _) = $0 { return points.count == 3 }; return false }
        #expect(lines.count == 3 * layers.count)
        let page = ReportPage.html(runName: "r", info: nil, history: history, running: false)
        #expect(page.contains("<h2>Linear probes</h2>") && page.contains("probe-accuracy"))
        #expect(!ReportPage.html(runName: "r", info: nil, history: [Self.record(0, probes: false)], running: false).contains("Linear probes"))
    }
}
