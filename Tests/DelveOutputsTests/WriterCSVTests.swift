import Foundation
import Testing
@testable import Delve
@testable import DelveOutputs

/// Small records shared by the writer tests.
enum WriterFixture {
    /// Epoch `epoch` of a two-layer network with train and eval values and two user scalars.
    static func record(epoch: Int, extraLayer: Bool = false) -> EpochRecord {
        var layers = [
            LayerEpochValues(layer: "fc1", phase: .train, features: 4, samples: 100,
                             statistics: [.lsat: 0.5, .idim: 2], eigenvalues: [3, 1, 0.25, 0]),
            LayerEpochValues(layer: "fc2", phase: .train, features: 2, samples: 100,
                             statistics: [.lsat: 1.0 / 3.0 + Double(epoch), .idim: 1]),
            LayerEpochValues(layer: "fc1", phase: .eval, features: 4, samples: 50,
                             statistics: [.lsat: 0.75, .idim: 3, .logdet: -.infinity]),
        ]
        if extraLayer {
            layers.append(LayerEpochValues(layer: "fc3", phase: .train, features: 8, samples: 100,
                                           statistics: [.lsat: 1e-7], notes: ["fewer samples than features"]))
        }
        return EpochRecord(epoch: epoch, layers: layers,
                           scalars: [("train-accuracy", 0.875), ("test-loss", .nan)], threshold: 0.99)
    }

    /// A fresh empty temporary directory.
    static func temporaryDirectory(_ name: String = #function) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("delve-writer-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

@Suite("CSV writer")
struct WriterCSVTests {
    @Test("keyed values follow network order, statistic order, then scalars")
    func keyedValues() {
        let keys = WriterFixture.record(epoch: 0).keyedValues.map(\.key)
        #expect(keys == [
            "train-saturation_fc1", "train-intrinsic-dimensionality_fc1",
            "train-saturation_fc2", "train-intrinsic-dimensionality_fc2",
            "eval-saturation_fc1", "eval-intrinsic-dimensionality_fc1", "eval-covariance-log-determinant_fc1",
            "train-accuracy", "test-loss",
        ])
    }

    @Test("golden text: Delve's layout, late columns leave earlier cells empty")
    func golden() throws {
        let dir = try WriterFixture.temporaryDirectory()
        let url = dir.appendingPathComponent("statistics.csv")
        let writer = try CSVWriter(url: url)
        try writer.write(WriterFixture.record(epoch: 0))
        try writer.write(WriterFixture.record(epoch: 1, extraLayer: true))
        try writer.close()
        let text = try String(contentsOf: url, encoding: .utf8)
        let expected = """
            ;train-saturation_fc1;train-intrinsic-dimensionality_fc1;train-saturation_fc2;\
            train-intrinsic-dimensionality_fc2;eval-saturation_fc1;eval-intrinsic-dimensionality_fc1;\
            eval-covariance-log-determinant_fc1;train-accuracy;test-loss;train-saturation_fc3
            0;0.5;2.0;0.3333333333333333;1.0;0.75;3.0;-inf;0.875;nan;
            1;0.5;2.0;1.3333333333333333;1.0;0.75;3.0;-inf;0.875;nan;1e-07

            """
        #expect(text == expected)
        // No temporary file is left behind by the atomic rewrite.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["statistics.csv"])
    }

    @Test("resuming keeps rows before the initial epoch and appends")
    func resumeAppends() throws {
        let url = try WriterFixture.temporaryDirectory().appendingPathComponent("statistics.csv")
        let first = try CSVWriter(url: url)
        for epoch in 0..<3 { try first.write(WriterFixture.record(epoch: epoch)) }
        try first.close()
        // Resume from a checkpoint of epoch 2: rows 0 and 1 stay, row 2 is replaced, row 3 appended.
        let resumed = try CSVWriter(url: url, initialEpoch: 2)
        #expect(resumed.rows.map(\.index) == [0, 1])
        try resumed.write(WriterFixture.record(epoch: 2, extraLayer: true))
        try resumed.write(WriterFixture.record(epoch: 3))
        let table = try CSVWriter.parse(try String(contentsOf: url, encoding: .utf8), path: url.path)
        #expect(table.rows.map(\.index) == [0, 1, 2, 3])
        #expect(table.columns.last == "train-saturation_fc3")
        #expect(table.rows[1].cells["train-saturation_fc2"] == "1.3333333333333333")
        #expect(table.rows[1].cells["train-saturation_fc3"] == nil)
        #expect(table.rows[2].cells["train-saturation_fc3"] == "1e-07")
        #expect(table.rows[3].cells["train-saturation_fc2"] == "3.3333333333333335")
    }

    @Test("fresh writer overwrites an old file")
    func freshOverwrites() throws {
        let url = try WriterFixture.temporaryDirectory().appendingPathComponent("statistics.csv")
        try Data("old;content\n".utf8).write(to: url)
        let writer = try CSVWriter(url: url)
        try writer.write(WriterFixture.record(epoch: 0))
        let text = try String(contentsOf: url, encoding: .utf8)
        #expect(text.hasPrefix(";train-saturation_fc1;"))
        #expect(text.split(separator: "\n").count == 2)
    }

    @Test("quoted fields round-trip and malformed files are reported with their line")
    func parsing() throws {
        let text = CSVWriter.render(columns: ["a;b", "q\"x"], rows: [(0, ["a;b": "1", "q\"x": "2"])])
        #expect(text == ";\"a;b\";\"q\"\"x\"\n0;1;2\n")
        let table = try CSVWriter.parse(text, path: "t.csv")
        #expect(table.columns == ["a;b", "q\"x"])
        #expect(table.rows[0].cells == ["a;b": "1", "q\"x": "2"])
        #expect(throws: WriterError.malformed(path: "t.csv", line: 2, reason: "expected 3 fields separated by ';', found 2")) {
            _ = try CSVWriter.parse(";a;b\n0;1\n", path: "t.csv")
        }
    }
}
