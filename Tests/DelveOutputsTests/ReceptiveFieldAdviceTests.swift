import Foundation
import Testing
@testable import Delve
@testable import DelveOutputs

@Suite("Receptive-field prediction: file, advice and report")
struct ReceptiveFieldAdviceTests {
    /// A prediction over the layers of `VerdictSectionTests.history` (features.0, .3, …, .15) at 8×8 inputs:
    /// 3×3 convolutions, so r = 3, 5, 7, … and j = 1; `unproductive` as given.
    static func prediction(unproductive: [String]) -> ReceptiveFieldPrediction {
        var layers: [ReceptiveFieldPrediction.Layer] = []
        for i in 0..<6 {
            let r = Double(3 + 2 * i)
            layers.append(ReceptiveFieldPrediction.Layer(name: "features.\(i * 3)", type: "Conv2d", receptiveField: [r, r], jump: [1, 1]))
        }
        return ReceptiveFieldPrediction(input: [8, 8], layers: layers, borderLayer: unproductive.first, unproductiveLayers: unproductive)
    }

    @Test("the JSON form round-trips; a malformed file is an error naming it")
    func json() throws {
        var p = Self.prediction(unproductive: ["features.12", "features.15"])
        p.layers[1].jump = [0.5, 2]
        let text = p.jsonValue.text
        #expect(text.hasPrefix(#"{"input":[8,8],"layers":[{"name":"features.0","type":"Conv2d","receptive_field":[3,3],"jump":[1,1]}"#))
        #expect(text.hasSuffix(#""border_layer":"features.12","unproductive_layers":["features.12","features.15"]}"#))
        #expect(try ReceptiveFieldPrediction(json: try JSONValue.parse(text), source: "x") == p)
        let none = ReceptiveFieldPrediction(input: [4, 6], layers: [], borderLayer: nil, unproductiveLayers: [])
        #expect(none.jsonValue.text == #"{"input":[4,6],"layers":[],"border_layer":null,"unproductive_layers":[]}"#)
        #expect(try ReceptiveFieldPrediction(json: none.jsonValue, source: "x") == none)
        #expect(throws: WriterError.malformed(path: "f.json", line: 1, reason: "not a receptive-field file: \"input\" must be [height, width]")) {
            try ReceptiveFieldPrediction(json: try JSONValue.parse(#"{"input":[8],"layers":[]}"#), source: "f.json")
        }
        #expect(throws: WriterError.malformed(path: "f.json", line: 1, reason: "not a receptive-field file: \"receptive_field\" must hold two positive numbers")) {
            try ReceptiveFieldPrediction(json: try JSONValue.parse(#"{"input":[8,8],"layers":[{"name":"a","receptive_field":[0,3],"jump":[1,1]}]}"#),
                                         source: "f.json")
        }
    }

    @Test("agreement: positions counted among the tracked layers, within one layer agrees", arguments: [
        (["features.12", "features.15"], true,
         "The receptive field predicts the convolutions from features.12 on to be unproductive at 8×8 inputs; the measured tail starts at features.12: they agree."),
        (["features.9", "features.12", "features.15"], true,
         "The receptive field predicts the convolutions from features.9 on to be unproductive at 8×8 inputs; the measured tail starts at features.12: they agree within one layer."),
        (["features.3", "features.6", "features.9", "features.12", "features.15"], true,
         "The receptive field predicts the convolutions from features.3 on to be unproductive at 8×8 inputs; the measured tail starts at features.12: they disagree by 3 layers."),
        ([], true,
         "The receptive field predicts no unproductive convolution at 8×8 inputs; the measured tail starts at features.12: they disagree (the tail has another cause than the receptive field)."),
        (["features.15"], false,
         "The receptive field predicts the convolutions from features.15 on to be unproductive at 8×8 inputs; no tail is measured: they disagree (the predicted layers may still learn non-spatial features)."),
        ([], false, "The receptive field predicts no unproductive convolution at 8×8 inputs; no tail is measured: they agree."),
    ])
    func agreement(_ unproductive: [String], _ tail: Bool, _ sentence: String) throws {
        // The tail history: features.0 is at its ceiling and set aside; the tail is features.12, features.15.
        let record = VerdictSectionTests.history(tail: tail)[1]
        let verdict = Verdict(record: record, ceilings: VerdictSectionTests.ceilings,
                              receptiveField: Self.prediction(unproductive: unproductive))
        #expect(verdict.pattern?.layers == (tail ? ["features.12", "features.15"] : nil))
        let agreement = try #require(verdict.receptiveField)
        #expect(agreement.sentence == sentence)
        #expect(agreement.agree == sentence.contains("they agree"))
        #expect(verdict.text.hasSuffix("\n" + sentence))
        #expect(Verdict(record: record, ceilings: VerdictSectionTests.ceilings).receptiveField == nil)
    }

    @Test("the report shows the prediction per layer next to the measured saturation, rebuilt from receptive-field.json")
    func report() throws {
        let history = VerdictSectionTests.history(tail: true)
        let p = Self.prediction(unproductive: ["features.9", "features.12", "features.15"])
        let page = ReportPage.html(runName: "r", info: RunInfo(configuration: [], ceilings: VerdictSectionTests.ceilings),
                                   history: history, running: false, receptiveField: p)
        #expect(page.contains("<section id=\"receptive-field\"><h2>Receptive field</h2>"))
        // features.9: r 9×9 (3 + 2·3), j 1×1, predicted unproductive and border, saturation 50.0 %, not in the tail.
        #expect(page.contains("<tr><td class=\"name\">features.9</td><td class=\"text\">Conv2d</td><td>9×9</td><td>1×1</td>"
            + "<td class=\"text\">unproductive (border)</td><td>50.0%</td><td class=\"text\"></td></tr>"))
        #expect(page.contains("<td>11×11</td><td>1×1</td><td class=\"text\">unproductive</td><td>8.0%</td>"
            + "<td class=\"text\"><span style=\"color:#D55E00\">tail</span></td></tr>"))
        #expect(page.contains("they agree within one layer."))
        #expect(!ReportPage.html(runName: "r", info: nil, history: history, running: false).contains("id=\"receptive-field\""))

        // From the files: `delve report` reads receptive-field.json.
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("delve-rf-report-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: url) }
        let run = try RunDirectory(path: url.path)
        let jsonl = try JSONLWriter(url: run.jsonlURL)
        for record in history { try jsonl.write(record) }
        try jsonl.close()
        try run.writeReceptiveField(p)
        #expect(try run.readReceptiveField() == p)
        try ReportWriter.regenerate(run: run)
        let rebuilt = try String(contentsOf: run.reportURL, encoding: .utf8)
        #expect(rebuilt.contains("<td class=\"text\">unproductive (border)</td>"))
        try Data("{\"input\": 8}".utf8).write(to: run.receptiveFieldURL)
        #expect(throws: WriterError.malformed(path: run.receptiveFieldURL.path, line: 1, reason: "not a receptive-field file: \"input\" must be [height, width]")) {
            try ReportWriter.regenerate(run: run)
        }
    }
}
