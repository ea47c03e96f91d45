import Foundation
import Testing
@testable import Delve
import DelveLinearAlgebra

@Suite("Tracker state: save and restore between epochs")
struct TrackerStateTests {
    func batch(_ rng: inout TestRandom, rows: Int, features: Int) -> ArrayActivationBatch {
        ArrayActivationBatch(values: rng.floats(rows * features), shape: [rows, features], kind: .dense)
    }

    func temporaryDirectory() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("delve-tracker-state-\(UUID().uuidString)", isDirectory: true)
    }

    /// Epoch 0 and 1 straight, versus epoch 0, save, load into a new tracker, epoch 1. Both run on one
    /// BLAS thread: the eigensolver's last bits depend on the thread count, which other suites running
    /// in parallel may change for a moment (a scope keeps it at 1 until every scope has ended).
    func compare(resetCovariance: Bool) throws -> (straight: EpochRecord, resumed: EpochRecord, state: TrackerState) {
        try BLAS.withSingleThread { try compareRuns(resetCovariance: resetCovariance) }
    }

    func compareRuns(resetCovariance: Bool) throws -> (straight: EpochRecord, resumed: EpochRecord, state: TrackerState) {
        var options = TrackerOptions(statistics: [.lsat, .idim, .trc])
        options.resetCovariance = resetCovariance
        var rng = TestRandom(seed: 11)
        let epochs = (0..<2).map { _ in (0..<3).map { _ in (batch(&rng, rows: 16, features: 5), batch(&rng, rows: 16, features: 3)) } }

        let straight = try SaturationTracker(options: options)
        var straightRecord: EpochRecord?
        for batches in epochs {
            for (a, b) in batches {
                try straight.record(layer: "fc1", phase: .train, batch: a)
                try straight.record(layer: "fc2", phase: .eval, batch: b)
            }
            straightRecord = try straight.endEpoch()
        }

        let first = try SaturationTracker(options: options)
        for (a, b) in epochs[0] {
            try first.record(layer: "fc1", phase: .train, batch: a)
            try first.record(layer: "fc2", phase: .eval, batch: b)
        }
        try first.endEpoch()
        let folder = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        try first.exportState().write(to: folder)
        let state = try TrackerState.read(from: folder)
        let second = try SaturationTracker(options: options)
        try second.restoreState(state, source: folder.path)
        #expect(second.epoch == 1)
        for (a, b) in epochs[1] {
            try second.record(layer: "fc1", phase: .train, batch: a)
            try second.record(layer: "fc2", phase: .eval, batch: b)
        }
        return (straightRecord!, try second.endEpoch(), state)
    }

    @Test("accumulated over the run (resetCovariance off): the restored tracker's next epoch equals the uninterrupted one")
    func keepsAccumulators() throws {
        let (straight, resumed, state) = try compare(resetCovariance: false)
        #expect(state.accumulators.count == 2)
        #expect(resumed.epoch == 1)
        #expect(resumed.jsonValue == straight.jsonValue)
        #expect(resumed.layers.first?.samples == 96)   // both epochs' 2 × 3 × 16 samples
    }

    @Test("reset every epoch: no accumulators are saved and the next epoch still matches")
    func resetEveryEpoch() throws {
        let (straight, resumed, state) = try compare(resetCovariance: true)
        #expect(state.accumulators.isEmpty)
        #expect(state.layerOrder == ["fc1", "fc2"])
        #expect(resumed.jsonValue == straight.jsonValue)
    }

    @Test("a damaged accumulator file or a missing tracker.json is an error naming the file")
    func damaged() throws {
        var options = TrackerOptions()
        options.resetCovariance = false
        let tracker = try SaturationTracker(options: options)
        var rng = TestRandom(seed: 3)
        try tracker.record(layer: "fc", phase: .train, batch: batch(&rng, rows: 8, features: 4))
        try tracker.endEpoch()
        let folder = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        try tracker.exportState().write(to: folder)
        let file = folder.appendingPathComponent("train-0.cov")
        var bytes = try Data(contentsOf: file)
        bytes[50] ^= 0xFF
        try bytes.write(to: file)
        do {
            _ = try TrackerState.read(from: folder)
            Issue.record("a damaged accumulator was read")
        } catch {
            #expect(error.description.contains("train-0.cov"))
        }
        try FileManager.default.removeItem(at: folder.appendingPathComponent(TrackerState.fileName))
        do {
            _ = try TrackerState.read(from: folder)
            Issue.record("a missing tracker.json was accepted")
        } catch {
            #expect(error.description.contains("tracker.json"))
        }
    }
}
