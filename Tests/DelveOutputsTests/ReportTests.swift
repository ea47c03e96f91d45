import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import Delve
@testable import DelveOutputs

@Suite("Report")
struct ReportTests {
    @Test("the page refreshes while the run is in progress and not after close; it is self-contained")
    func refreshAndSelfContained() throws {
        let run = try RunDirectory(path: WriterFixture.temporaryDirectory().path)
        let writers = try makeWriters([.jsonl, .report], run: run, configuration: [.init("model", "<mlp & co>")])
        try writers.write(SampleRun.record(epoch: 0, epochs: 2))
        let running = try String(contentsOf: run.reportURL, encoding: .utf8)
        #expect(running.contains("<meta http-equiv=\"refresh\" content=\"15\">"))
        #expect(running.contains("running"))
        try writers.write(SampleRun.record(epoch: 1, epochs: 2))
        try writers.close()
        let final = try String(contentsOf: run.reportURL, encoding: .utf8)
        #expect(!final.contains("http-equiv=\"refresh\""))
        #expect(final.contains("finished"))
        #expect(final.contains("2 epochs recorded, last epoch 1"))
        #expect(final.contains("&lt;mlp &amp; co&gt;"))
        // Self-contained: no scripts, external styles, images or frames; the only URLs are SVG namespaces.
        for forbidden in ["<script", "<link", "<img", "<iframe", "src=", "url(", "https://"] {
            #expect(!final.contains(forbidden), "report contains \(forbidden)")
        }
        let urls = final.components(separatedBy: "http://").dropFirst()
        #expect(urls.allSatisfy { $0.hasPrefix("www.w3.org/2000/svg") })
        // The five figures are inline, and every layer of the last epoch is in the table.
        #expect(final.components(separatedBy: "<svg ").count - 1 == 5)
        for layer in SampleRun.layers { #expect(final.contains("<td class=\"name\">\(layer.name)</td>")) }
        #expect(final.contains("<th>test-accuracy</th>"))
    }

    @Test("the report's inline SVGs are well-formed XML")
    func inlineSVG() throws {
        let history = (0..<3).map { SampleRun.record(epoch: $0, epochs: 3) }
        let page = ReportPage.html(runName: "r", info: nil, history: history, running: false)
        var rest = page[...]
        var count = 0
        while let start = rest.range(of: "<svg "), let end = rest.range(of: "</svg>", range: start.upperBound..<rest.endIndex) {
            #expect(XMLCollector.parse(String(rest[start.lowerBound..<end.upperBound])) != nil)
            rest = rest[end.upperBound...]
            count += 1
        }
        #expect(count == 5)
    }

    @Test("regenerating from JSONL reproduces the writer's final page")
    func regenerate() throws {
        let run = try RunDirectory(path: WriterFixture.temporaryDirectory().path)
        try SampleRun.write(to: run, epochs: 3, kinds: [.jsonl, .report])
        let written = try String(contentsOf: run.reportURL, encoding: .utf8)
        let other = run.url.appendingPathComponent("again.html")
        #expect(try ReportWriter.regenerate(run: run, output: other) == 3)
        let again = try String(contentsOf: other, encoding: .utf8)
        func withoutTime(_ s: String) -> String { s.replacingOccurrences(of: #"Generated [0-9TZ:-]+\."#, with: "", options: .regularExpression) }
        #expect(withoutTime(again) == withoutTime(written))
    }

    @Test("a CSV written by Python Delve becomes records: layer statistics and scalars")
    func pythonCSV() throws {
        let csv = """
            ;train-saturation_fc1;train-intrinsic-dimensionality_fc1;eval-saturation_fc1;train-covariance-log-determinant_fc1;test-accuracy
            0;0.25;4.0;0.5;-3.5;0.8
            1;0.3;;0.5;-inf;0.85

            """
        let records = try CSVRecords.records(fromCSV: csv, path: "s.csv")
        #expect(records.map(\.epoch) == [0, 1])
        #expect(records[0].layers.count == 2)
        #expect(records[0].layers[0].layer == "fc1" && records[0].layers[0].phase == .train)
        #expect(records[0].layers[0].statistics == [.lsat: 0.25, .idim: 4, .logdet: -3.5])
        #expect(records[1].layers[0].statistics == [.lsat: 0.3, .logdet: -.infinity])
        #expect(records[0].layers[1].statistics == [.lsat: 0.5])
        #expect(records[1].scalars.map(\.name) == ["test-accuracy"])
        #expect(records[1].scalars[0].value == 0.85)
        #expect(throws: WriterError.self) { _ = try CSVRecords.records(fromCSV: ";a\n0;x\n", path: "s.csv") }
        // A run directory with only a CSV gets a report too.
        let run = try RunDirectory(path: WriterFixture.temporaryDirectory().path)
        try Data(csv.utf8).write(to: run.csvURL)
        #expect(try ReportWriter.regenerate(run: run) == 2)
        #expect(try String(contentsOf: run.reportURL, encoding: .utf8).contains("Layer saturation, epoch 1"))
        let empty = try RunDirectory(path: WriterFixture.temporaryDirectory().path)
        #expect(throws: WriterError.self) { try ReportWriter.regenerate(run: empty) }
    }
}
