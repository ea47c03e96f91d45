import Foundation
import Testing
@testable import Delve
import DelveOutputs

/// No statistic without data: an empty `.npy` file is an error naming it, a layer without samples has
/// NaN statistics (written as `nan` in CSV and JSON) with a note — never 0.
@Suite("No statistic without data")
final class NoDataTests {
    let directory: String
    init() throws { directory = try NPYTestSupport.temporaryDirectory() }
    deinit { try? FileManager.default.removeItem(atPath: directory) }

    @Test("analyze: (0, D), (0, C, H, W) and (N, 0) fail with an error naming the file", arguments: [
        ([0, 8], "no data: no samples"), ([0, 3, 4, 4], "no data: no samples"),
        ([5, 0], "every other dimension must be at least 1"), ([4, 2, 0, 3], "every other dimension must be at least 1"),
    ])
    func emptyFiles(shape: [Int], reason: String) throws {
        let path = directory + "/empty-\(shape.map(String.init).joined(separator: "x")).npy"
        try NPYWriter.write([Float](repeating: 1, count: shape.reduce(1, *)), shape: shape, to: path)
        do {
            let result = try ActivationFileAnalyzer().analyze(path: path)
            Issue.record("shape \(shape) gave statistics \(result.statistics.values)")
        } catch {
            #expect(error.path == path)
            #expect(error.description.hasPrefix(path) && error.description.contains(reason))
        }
    }

    @Test("a spectrum without samples gives NaN for every statistic, with the note")
    func spectrumWithoutSamples() throws {
        let none = try CovarianceAccumulator(features: 3).spectrum()
        let stats = none.statistics(Statistic.allCases, threshold: 0.99, convention: .paper, covarianceTrace: nil)
        #expect(stats.values.count == Statistic.spectral.filter(\.isScalar).count)
        #expect(stats.values.values.allSatisfy { $0.isNaN })
        #expect(stats.notes == [Spectrum.noSamplesNote])
    }

    @Test("a tracked layer with no accepted batch is NaN in the record, the CSV and the JSONL, and left out of the average")
    func layerWithoutSamplesInTheOutputs() throws {
        var options = TrackerOptions(statistics: [.lsat, .idim])
        options.badBatchPolicy = .skip
        let tracker = try SaturationTracker(options: options)
        var rng = TestRandom(seed: 3)
        try tracker.record(layer: "fc1", phase: .train, batch: ArrayActivationBatch(values: rng.floats(40), shape: [10, 4], kind: .dense))
        try tracker.record(layer: "head", phase: .train, batch: ArrayActivationBatch(values: [], shape: [0, 4], kind: .dense))
        let run = try RunDirectory(path: directory + "/run")
        let writers = try makeWriters([.csv, .jsonl], run: run)
        tracker.addWriter(writers)
        let record = try tracker.endEpoch()
        try tracker.close()
        let head = try #require(record.values(layer: "head", phase: .train))
        #expect(head.samples == 0 && head.statistics[.lsat]!.isNaN && head.statistics[.idim]!.isNaN)
        let fc1 = try #require(record.values(layer: "fc1", phase: .train)?.statistics[.lsat])
        #expect(record.scalar(named: "average-train-sat") == fc1)
        let csv = try String(contentsOf: run.csvURL, encoding: .utf8).split(separator: "\n")
        let columns = csv[0].split(separator: ";", omittingEmptySubsequences: false)
        let cells = csv[1].split(separator: ";", omittingEmptySubsequences: false)
        let column = try #require(columns.firstIndex(of: "train-saturation_head"))
        #expect(cells[column] == "nan")
        let line = try String(contentsOf: run.jsonlURL, encoding: .utf8)
        #expect(line.contains("\"nan\"") && !line.contains("\"train-saturation_head\":0"))
        let back = try run.readRecords()
        #expect(back.first?.values(layer: "head", phase: .train)?.statistics[.lsat]?.isNaN == true)
    }
}
