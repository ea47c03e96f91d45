import Foundation
import Testing
@testable import Delve
@testable import DelveOutputs

@Suite("JSONL writer")
struct WriterJSONLTests {
    @Test("golden line: every value, non-finite numbers as strings")
    func golden() throws {
        let url = try WriterFixture.temporaryDirectory().appendingPathComponent("statistics.jsonl")
        let writer = try JSONLWriter(url: url)
        try writer.write(WriterFixture.record(epoch: 0))
        let text = try String(contentsOf: url, encoding: .utf8)
        let expected = """
            {"epoch":0,"threshold":0.99,"values":{"train-saturation_fc1":0.5,"train-intrinsic-dimensionality_fc1":2,\
            "train-saturation_fc2":0.3333333333333333,"train-intrinsic-dimensionality_fc2":1,"eval-saturation_fc1":0.75,\
            "eval-intrinsic-dimensionality_fc1":3,"eval-covariance-log-determinant_fc1":"-inf","train-accuracy":0.875,\
            "test-loss":"nan"},"layers":[{"layer":"fc1","phase":"train","features":4,"samples":100,\
            "statistics":{"lsat":0.5,"idim":2},"eigenvalues":[3,1,0.25,0],"notes":[]},{"layer":"fc2","phase":"train",\
            "features":2,"samples":100,"statistics":{"lsat":0.3333333333333333,"idim":1},"notes":[]},\
            {"layer":"fc1","phase":"eval","features":4,"samples":50,"statistics":{"lsat":0.75,"idim":3,"logdet":"-inf"},\
            "notes":[]}],"scalars":[{"name":"train-accuracy","value":0.875},{"name":"test-loss","value":"nan"}]}

            """
        #expect(text == expected)
        // Lines are appended whole: a second epoch adds exactly one line.
        try writer.write(WriterFixture.record(epoch: 1))
        try writer.close()
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        #expect(String(lines[0]) + "\n" == expected)
    }

    @Test("records read back equal what was written")
    func roundTrip() throws {
        let run = try RunDirectory(path: WriterFixture.temporaryDirectory().path)
        let writer = try JSONLWriter(url: run.jsonlURL)
        let written = [WriterFixture.record(epoch: 0), WriterFixture.record(epoch: 1, extraLayer: true)]
        for record in written { try writer.write(record) }
        try writer.close()
        let read = try run.readRecords()
        #expect(read.count == 2)
        for (a, b) in zip(read, written) {
            #expect(a.epoch == b.epoch && a.threshold == b.threshold)
            #expect(a.layers == b.layers)
            #expect(a.scalars.map(\.name) == b.scalars.map(\.name))
            #expect(a.keyedValues.map(\.key) == b.keyedValues.map(\.key))
            #expect(zip(a.keyedValues, b.keyedValues).allSatisfy { $0.value == $1.value || ($0.value.isNaN && $1.value.isNaN) })
        }
        #expect(read[1].layers[3].notes == ["fewer samples than features"])
    }

    @Test("resuming keeps earlier epochs and appends")
    func resume() throws {
        let run = try RunDirectory(path: WriterFixture.temporaryDirectory().path)
        let first = try JSONLWriter(url: run.jsonlURL)
        for epoch in 0..<3 { try first.write(WriterFixture.record(epoch: epoch)) }
        try first.close()
        let resumed = try JSONLWriter(url: run.jsonlURL, initialEpoch: 2)
        try resumed.write(WriterFixture.record(epoch: 2))
        try resumed.close()
        #expect(try run.readRecords().map(\.epoch) == [0, 1, 2])
    }

    @Test("JSON parser keeps key order, unescapes, and rejects bad text with the line number")
    func parser() throws {
        let value = try JSONValue.parse(#"{"b":1,"a":[true,null,"x\"\u00e9\n"],"c":-2.5e3}"#)
        #expect(value.objectValue?.map(\.0) == ["b", "a", "c"])
        #expect(value["a"] == .array([.bool(true), .null, .string("x\"é\n")]))
        #expect(value["c"]?.doubleValue == -2500)
        #expect(try JSONValue.parse(value.text) == value)
        #expect(throws: WriterError.self) { _ = try JSONValue.parse(#"{"a":1,}"#, source: "f.jsonl", line: 7) }
        do {
            _ = try JSONValue.parse("[1 2]", source: "f.jsonl", line: 7)
            Issue.record("expected an error")
        } catch {
            #expect(error.description.hasPrefix("f.jsonl:7:"))
        }
    }

    @Test("run.json keeps configuration order and status")
    func runInfo() throws {
        let run = try RunDirectory(path: WriterFixture.temporaryDirectory().path)
        let writers = try makeWriters([.csv, .jsonl], run: run,
                                      configuration: [.init("model", "mlp"), .init("batch size", "64"), .init("δ", "0.99")])
        #expect(try run.readInfo()?.status == .running)
        #expect(try run.readInfo()?.configuration.map(\.name) == ["model", "batch size", "δ"])
        try writers.write(WriterFixture.record(epoch: 0))
        try writers.close()
        #expect(try run.readInfo()?.status == .closed)
        #expect(FileManager.default.fileExists(atPath: run.csvURL.path))
        #expect(try run.readRecords().count == 1)
    }

    @Test("writer names parse; unknown names are rejected")
    func kinds() throws {
        #expect(try WriterKind.parseList("csv, jsonl,csv") == [.csv, .jsonl])
        #expect(throws: WriterError.self) { _ = try WriterKind.parseList("csv,xls") }
    }
}
