import Foundation
import Testing
@testable import Delve
@testable import DelveOutputs

/// Runs recorded by Delve 0.1.50 itself, read back: `Tests/Fixtures/delve-0.1.50-run` (tiny.csv beside tiny/,
/// made by python/tests/delve_reference_run.py with Delve's csv and npy writers, stats lsat, idim, cov).
@Suite("Delve 0.1.50 runs")
struct DelveRunFilesTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/delve-0.1.50-run")

    /// A copy of the fixture in a temporary folder (tests that change files).
    static func copy() throws -> URL {
        let target = try WriterFixture.temporaryDirectory().appendingPathComponent("run")
        try FileManager.default.copyItem(at: fixture, to: target)
        return target
    }

    @Test("the records are Delve's CSV values, with D and the eigenvalues of Delve's covariance matrices")
    func records() throws {
        let files = DelveRunFiles(savefile: Self.fixture.appendingPathComponent("tiny").path)
        let records = try files.records()
        #expect(records.map(\.epoch) == [0, 1])
        // tiny.csv, row 0: train-loss 1.2772588729858398, lsat/idim of fc1 0.5/3 and of fc2 0.6666666666666666/2.
        #expect(records[0].scalars.map(\.name) == ["train-loss", "eval-loss"])
        #expect(records[0].scalars[0].value == 1.2772588729858398)
        #expect(records[1].scalars[1].value == 1.123843789100647)
        #expect(records[0].layers.map { "\($0.phase.rawValue) \($0.layer)" } == ["train fc1", "train fc2", "eval fc1", "eval fc2"])
        for record in records {
            for entry in record.layers {
                let d = entry.layer == "fc1" ? 6 : 3
                #expect(entry.features == d)
                #expect(entry.statistics == (d == 6 ? [.lsat: 0.5, .idim: 3] : [.lsat: 0.6666666666666666, .idim: 2]))
                #expect(entry.eigenvalues?.count == d)
                #expect(entry.samples == 0)
            }
        }
        // numpy.linalg.eigvalsh of the same files, largest first.
        let fc1 = try #require(records[0].layers[0].eigenvalues)
        for (value, expected) in zip(fc1, [0.9596393771988897, 0.48405889276359604, 0.20735316659887906, 0.04999574405621471]) {
            #expect(abs(value - expected) < 1e-12)
        }
        #expect(fc1[4] < 1e-12 && fc1[5] < 1e-12)
        let fc2 = try #require(records[1].layers[3].eigenvalues)
        for (value, expected) in zip(fc2, [0.03758045567066564, 0.01340999717944577, 0.009609573455459267]) {
            #expect(abs(value - expected) < 1e-14)
        }
    }

    @Test("rethresholded at Delve's δ with Delve's convention gives Delve's values; other δ as Delve's compute_saturation")
    func rethresholded() throws {
        let files = DelveRunFiles(savefile: Self.fixture.appendingPathComponent("tiny").path)
        let csv = try files.records()
        let again = try files.rethresholded(threshold: 0.99, convention: .delve)
        for (a, b) in zip(again, csv) {
            #expect(a.layers.map(\.statistics) == b.layers.map(\.statistics))
            #expect(a.scalars.map(\.name) == b.scalars.map(\.name) && a.scalars.map(\.value) == b.scalars.map(\.value))
            #expect(a.threshold == 0.99)
        }
        // δ = 0.8: delve.metrics.compute_intrinsic_dimensionality gives train fc1 1, train fc2 1, eval fc1 2, eval fc2 1.
        let low = try files.rethresholded(threshold: 0.8, convention: .delve)
        #expect(low[0].layers.map { $0.statistics[.idim] } == [1, 1, 2, 1])
        #expect(low[0].layers[0].statistics[.lsat] == 1.0 / 6)
        let paper = try files.rethresholded(threshold: 0.8)
        #expect(paper[1].layers.map { $0.statistics[.idim] } == [2, 2, 3, 2])
        #expect(throws: WriterError.self) { _ = try files.rethresholded(threshold: 0) }
    }

    @Test("without covariance matrices, rethreshold names the folder and what it needs")
    func noCovariance() throws {
        let run = try Self.copy()
        for name in try FileManager.default.contentsOfDirectory(atPath: run.appendingPathComponent("tiny").path)
        where name.contains("covariance-matrix") {
            try FileManager.default.removeItem(at: run.appendingPathComponent("tiny/\(name)"))
        }
        let files = DelveRunFiles(savefile: run.appendingPathComponent("tiny").path)
        #expect(try files.records()[0].layers[0].features == 0)
        #expect(try files.records()[0].layers[0].eigenvalues == nil)
        do {
            _ = try files.rethresholded(threshold: 0.9)
            Issue.record("expected an error without covariance matrices")
        } catch {
            #expect(error.description.hasPrefix(run.appendingPathComponent("tiny").path + ": this Delve run has no covariance matrices"))
            #expect(error.description.contains("stats including 'cov'"))
        }
        #expect(files.reportInfo.configuration[1].value.contains("no covariance matrices saved"))
    }

    @Test("the run is found from its .csv, its folder, the savefile path and the parent; errors name the path")
    func locate() throws {
        let run = try Self.copy()
        let expected = RecordedRun.delve(DelveRunFiles(savefile: run.appendingPathComponent("tiny").path))
        #expect(try RecordedRun.locate(run.appendingPathComponent("tiny.csv").path) == expected)
        #expect(try RecordedRun.locate(run.appendingPathComponent("tiny.csv").path + "/") == expected)
        #expect(try RecordedRun.locate(run.appendingPathComponent("tiny").path) == expected)
        #expect(try RecordedRun.locate(run.appendingPathComponent("tiny").path + "/") == expected)
        #expect(try RecordedRun.locate(run.path) == expected)
        // Without the folder, the savefile path names the CSV.
        try FileManager.default.moveItem(at: run.appendingPathComponent("tiny"), to: run.appendingPathComponent("moved"))
        #expect(try RecordedRun.locate(run.appendingPathComponent("tiny").path) == expected)
        // Two runs in one folder: listed.
        try FileManager.default.copyItem(at: run.appendingPathComponent("tiny.csv"), to: run.appendingPathComponent("moved.csv"))
        try FileManager.default.moveItem(at: run.appendingPathComponent("moved"), to: run.appendingPathComponent("tiny"))
        try FileManager.default.copyItem(at: run.appendingPathComponent("tiny"), to: run.appendingPathComponent("moved"))
        #expect(throws: WriterError.io(path: run.path, reason: "holds 2 Delve runs (moved.csv, tiny.csv): pass one of the .csv files")) {
            _ = try RecordedRun.locate(run.path)
        }
        // Delve's folder without its CSV.
        try FileManager.default.removeItem(at: run.appendingPathComponent("moved.csv"))
        do {
            _ = try RecordedRun.locate(run.appendingPathComponent("moved").path)
            Issue.record("expected an error for the missing CSV")
        } catch {
            #expect(error.description.hasPrefix(run.appendingPathComponent("moved.csv").path + ": no such file"))
        }
        let missing = run.appendingPathComponent("nowhere").path
        #expect(throws: WriterError.io(path: missing, reason: "no such run directory (nor a Delve run's nowhere.csv beside it)")) {
            _ = try RecordedRun.locate(missing)
        }
        #expect(throws: WriterError.io(path: missing + ".csv", reason: "no such file (expected a run directory, or a Delve run's <savefile>.csv)")) {
            _ = try RecordedRun.locate(missing + ".csv")
        }
        // This package's run directory stays one.
        let own = try RunDirectory(path: run.appendingPathComponent("own").path)
        try Data("x\n".utf8).write(to: own.jsonlURL)
        #expect(try RecordedRun.locate(own.url.path) == .directory(own))
    }

    @Test("the report page has the layers, Delve's values and what Delve does not record")
    func report() throws {
        let run = try Self.copy()
        let files = DelveRunFiles(savefile: run.appendingPathComponent("tiny").path)
        #expect(try files.writeReport() == 2)
        let page = try String(contentsOf: run.appendingPathComponent("tiny/report.html"), encoding: .utf8)
        #expect(page.contains("<td class=\"name\">fc1</td><td class=\"text\">train</td><td>6</td><td>0</td>"))
        #expect(page.contains("<td class=\"name\">fc2</td><td class=\"text\">eval</td><td>3</td>"))
        #expect(page.contains("<span>0.667</span>"))
        #expect(page.contains("Delve 0.1.50 (Python): tiny.csv and tiny/"))
        #expect(page.contains("sample counts (shown as 0)"))
        // The footer links what is there (the CSV one folder up, the folder itself), not this package's files.
        #expect(page.contains("The run's files: <a href=\"../tiny.csv\">tiny.csv</a>, <a href=\".\">tiny/</a>."))
        #expect(!page.contains("statistics.jsonl"))
        // Beside the CSV, and elsewhere (absolute links).
        let beside = run.appendingPathComponent("beside.html"), elsewhere = run.appendingPathComponent("sub/deeper/page.html")
        try FileManager.default.createDirectory(at: elsewhere.deletingLastPathComponent(), withIntermediateDirectories: true)
        try files.writeReport(to: beside)
        try files.writeReport(to: elsewhere)
        let besidePage = try String(contentsOf: beside, encoding: .utf8)
        #expect(besidePage.contains("<a href=\"tiny.csv\">tiny.csv</a>, <a href=\"tiny/\">tiny/</a>."))
        let farPage = try String(contentsOf: elsewhere, encoding: .utf8)
        #expect(farPage.contains("<a href=\"\(files.csvURL.standardizedFileURL.absoluteString)\">tiny.csv</a>"))
    }
}
