import Foundation
import Testing
@testable import Delve
import DelveOutputs   // the console summary of skipped batches

/// Bad activations (NaN/±∞ values, a width that changes, an empty batch): by default an error that
/// names the layer, phase and batch; with `BadBatchPolicy.skip` the batch is left out, counted per
/// layer and phase, and reported — and the statistics equal those of a run without it.
@Suite("Bad batches: error by default, skip and count on request")
struct BadBatchTests {
    private func dense(_ values: [Float], rows: Int) -> ArrayActivationBatch {
        ArrayActivationBatch(values: values, shape: [rows, values.count / rows], kind: .dense)
    }

    private func tracker(_ policy: BadBatchPolicy) throws -> SaturationTracker {
        var options = TrackerOptions(statistics: [.trc, .idim])
        options.badBatchPolicy = policy
        return try SaturationTracker(options: options)
    }

    /// The bad batches of the three kinds, for a layer of 4 features.
    private static let badBatches: [(name: String, batch: ArrayActivationBatch, reason: String)] = {
        var nan = [Float](repeating: 0.5, count: 12); nan[7] = .nan
        var inf = [Float](repeating: 0.5, count: 12); inf[2] = -.infinity
        return [
            ("NaN", ArrayActivationBatch(values: nan, shape: [3, 4], kind: .dense), "non-finite"),
            ("infinity", ArrayActivationBatch(values: inf, shape: [3, 4], kind: .dense), "non-finite"),
            ("width change", ArrayActivationBatch(values: [Float](repeating: 1, count: 15), shape: [3, 5], kind: .dense), "5"),
            ("empty batch", ArrayActivationBatch(values: [], shape: [0, 4], kind: .dense), "empty"),
        ]
    }()

    @Test("by default each bad batch is an error naming the layer, the phase and the batch number",
          arguments: 0..<4)
    func failByDefault(index: Int) throws {
        let bad = Self.badBatches[index]
        var rng = TestRandom(seed: 21)
        let tracker = try tracker(.fail)
        try tracker.record(layer: "fc2", phase: .eval, batch: dense(rng.floats(40), rows: 10))
        try tracker.record(layer: "fc2", phase: .eval, batch: dense(rng.floats(40), rows: 10))
        do {
            try tracker.record(layer: "fc2", phase: .eval, batch: bad.batch)
            Issue.record("the \(bad.name) batch was accepted")
        } catch {
            guard case let .badBatch(layer, phase, batch, reason) = error else {
                Issue.record("unexpected error \(error)"); return
            }
            #expect(layer == "fc2" && phase == .eval && batch == 3)
            let text = String(describing: error)
            #expect(text.contains("fc2") && text.contains("batch 3"), "\(text)")
            // One "layer …" and one "batch N" — the epoch's count, not the accumulator's lifetime count.
            #expect(text.components(separatedBy: "layer ").count == 2, "\(text)")
            let words = text.split(separator: " ")
            let batchNumbers = zip(words, words.dropFirst()).filter { $0 == "batch" && $1.first?.isNumber == true }
            #expect(batchNumbers.count == 1, "\(text)")
            #expect(reason.lowercased().contains(bad.reason) || reason.contains("finite"), "\(bad.name): \(reason)")
        }
        // The next batch is number 4 (rejected batches count too); the rejected ones changed nothing.
        do {
            try tracker.record(layer: "fc2", phase: .eval, batch: bad.batch)
            Issue.record("the second \(bad.name) batch was accepted")
        } catch {
            #expect(String(describing: error).hasPrefix("layer 'fc2' (eval), batch 4:"), "\(error)")
        }
        let layer = try #require(tracker.endEpoch().layers.first)
        #expect(layer.samples == 20 && layer.skippedBatches == 0)
    }

    @Test("with .skip each bad batch is left out, counted and reported; the statistics equal a run without it",
          arguments: 0..<4)
    func skipAndCount(index: Int) throws {
        let bad = Self.badBatches[index]
        var rng = TestRandom(seed: 22)
        let first = rng.floats(40), second = rng.floats(40)
        let clean = try tracker(.fail)
        try clean.record(layer: "fc2", phase: .train, batch: dense(first, rows: 10))
        try clean.record(layer: "fc2", phase: .train, batch: dense(second, rows: 10))
        let expected = try #require(clean.endEpoch().layers.first)

        let skipping = try tracker(.skip)
        try skipping.record(layer: "fc2", phase: .train, batch: dense(first, rows: 10))
        try skipping.record(layer: "fc2", phase: .train, batch: bad.batch)
        try skipping.record(layer: "fc2", phase: .train, batch: bad.batch)
        try skipping.record(layer: "fc2", phase: .train, batch: dense(second, rows: 10))
        let record = try skipping.endEpoch()
        let layer = try #require(record.layers.first)
        #expect(layer.samples == 20 && layer.features == 4)
        #expect(layer.skippedBatches == 2 && record.skippedBatches == 2)
        #expect(layer.notes.contains { $0.contains("skipped 2 bad batch") && $0.contains("batch 2") }, "\(layer.notes)")
        #expect(layer.statistics[.idim] == expected.statistics[.idim])
        let trace = try #require(expected.statistics[.trc])
        #expect(abs(try #require(layer.statistics[.trc]) - trace) <= 1e-12 * trace)

        // Seen by the user: console summary, JSONL (read back), and the count resets next epoch.
        #expect(ConsoleWriter.epochSummary(record).contains("fc2 (train): skipped 2 bad batch"))
        let json = record.jsonValue
        #expect(json.text.contains("\"skipped_batches\":2"))
        let back = try EpochRecord(json: json)
        #expect(back.layers.first?.skippedBatches == 2)
        try skipping.record(layer: "fc2", phase: .train, batch: dense(first, rows: 10))
        let next = try skipping.endEpoch()
        #expect(next.skippedBatches == 0 && next.layers.first?.notes.isEmpty == true)
    }

    @Test("a layer whose every batch was skipped still appears, with 0 samples, its count and NaN statistics")
    func everyBatchSkipped() throws {
        let skipping = try tracker(.skip)
        var nan = [Float](repeating: 1, count: 8); nan[0] = .nan
        try skipping.record(layer: "head", phase: .train, batch: dense(nan, rows: 2))
        let record = try skipping.endEpoch()
        let layer = try #require(record.values(layer: "head", phase: .train))
        #expect(layer.samples == 0 && layer.skippedBatches == 1)
        #expect(layer.statistics.keys.sorted { $0.rawValue < $1.rawValue } == [.idim, .trc] && layer.statistics.values.allSatisfy { $0.isNaN })
        #expect(layer.notes.contains { $0.contains("no batch was accepted") })
        #expect(ConsoleWriter.epochSummary(record).contains("head (train): skipped 1 bad batch"))
    }

    @Test("delve analyze: a chunk with NaN fails the file by default; with .skip it is left out and counted")
    func analyzerChunks() throws {
        let directory = try NPYTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var rng = TestRandom(seed: 23)
        var values = rng.floats(30 * 4)
        values[15 * 4 + 2] = .nan   // row 15: in the second chunk of 10 rows
        let path = directory + "/act.npy"
        try NPYWriter.write(values, shape: [30, 4], to: path)
        let withoutChunk = Array(values[0..<40]) + Array(values[80..<120])
        let reference = directory + "/reference.npy"
        try NPYWriter.write(withoutChunk, shape: [20, 4], to: reference)

        var analyzer = ActivationFileAnalyzer(statistics: [.trc, .idim], chunkRows: 10)
        #expect(throws: ActivationFileError.self) { try analyzer.analyze(path: path) }
        analyzer.badBatchPolicy = .skip
        let skipped = try analyzer.analyze(path: path)
        let expected = try analyzer.analyze(path: reference)
        #expect(skipped.skippedBatches == 1 && expected.skippedBatches == 0)
        #expect(skipped.samples == 20)
        #expect(skipped.statistics.notes.contains { $0.contains("skipped 1 chunk") })
        let trace = try #require(expected.statistics.values[.trc])
        #expect(abs(try #require(skipped.statistics.values[.trc]) - trace) <= 1e-12 * trace)
        #expect(skipped.statistics.values[.idim] == expected.statistics.values[.idim])
    }
}
