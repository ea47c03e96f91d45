import Foundation
import Testing
@testable import Delve

@Suite("RankMe collapse warning")
struct CollapseWarningTests {
    /// rows × 16 values: `rank` independent directions (the rest copies of them), or noise in all 16.
    static func batch(rows: Int, rank: Int, seed: UInt64) -> [Float] {
        var rng = CovarianceTestRandom(seed: seed)
        var out: [Float] = []
        for _ in 0..<rows {
            let base = (0..<rank).map { _ in rng.gaussian() }
            for j in 0..<16 { out.append(Float(base[j % rank] * (1 + 0.1 * Double(j)))) }
        }
        return out
    }

    static func run(ranks: [Int], share: Double = 0.1) throws -> [[String]] {
        var options = TrackerOptions(statistics: [.lsat, .rankme])
        options.collapseShare = share
        let tracker = try SaturationTracker(options: options)
        var notes: [[String]] = []
        for (epoch, rank) in ranks.enumerated() {
            for b in 0..<4 {
                try tracker.record(layer: "fc", phase: .eval, values: batch(rows: 64, rank: rank, seed: UInt64(epoch * 10 + b)),
                                   shape: [64, 16], kind: .dense)
            }
            notes.append(try tracker.endEpoch().layers[0].notes.filter { $0.hasPrefix("collapse:") })
        }
        return notes
    }

    @Test("a collapsing sequence warns, naming the layer, the phase and the epoch")
    func collapsing() throws {
        let notes = try Self.run(ranks: [16, 16, 4, 1])
        #expect(notes[0].isEmpty && notes[1].isEmpty)
        // 16 → 4 directions: RankMe falls by more than half within epoch 2.
        #expect(notes[2].count == 1 && notes[2][0].hasPrefix("collapse: layer 'fc' (eval), epoch 2: RankMe fell by more than half within the epoch, from "))
        // One direction: RankMe ≈ 1 < 10 % of 16, and again more than halved.
        #expect(notes[3].contains { $0.hasPrefix("collapse: layer 'fc' (eval), epoch 3: RankMe 1") && $0.hasSuffix("is below 10 % of its 16 dimensions") })
        #expect(notes[3].contains { $0.contains("fell by more than half") })
    }

    @Test("a stable sequence does not warn; without rankme nothing is checked")
    func stable() throws {
        #expect(try Self.run(ranks: [16, 16, 16, 16]).allSatisfy(\.isEmpty))
        #expect(try Self.run(ranks: [8, 8, 8]).allSatisfy(\.isEmpty))   // RankMe ≈ 8 of 16: above 10 %
        let tracker = try SaturationTracker(options: TrackerOptions(statistics: [.lsat]))
        for epoch in 0..<2 {
            try tracker.record(layer: "fc", phase: .eval, values: Self.batch(rows: 64, rank: epoch == 0 ? 16 : 1, seed: 5),
                               shape: [64, 16], kind: .dense)
            #expect(try tracker.endEpoch().layers[0].notes.allSatisfy { !$0.hasPrefix("collapse:") })
        }
    }

    @Test("the share is an option; out of [0, 1] it is refused; a resumed run seeds the previous epoch")
    func options() throws {
        #expect(try Self.run(ranks: [8], share: 0.6)[0].count == 1)   // RankMe ≈ 8 < 0.6 · 16
        var bad = TrackerOptions()
        bad.collapseShare = 1.5
        #expect(throws: TrackerError.self) { try SaturationTracker(options: bad) }
        let tracker = try SaturationTracker(options: TrackerOptions(statistics: [.rankme]))
        tracker.seedCollapseWarning(from: EpochRecord(epoch: 4, layers: [
            LayerEpochValues(layer: "fc", phase: .eval, features: 16, samples: 100, statistics: [.rankme: 15])]))
        try tracker.record(layer: "fc", phase: .eval, values: Self.batch(rows: 64, rank: 4, seed: 1), shape: [64, 16], kind: .dense)
        #expect(try tracker.endEpoch().layers[0].notes.contains { $0.contains("fell by more than half within the epoch, from 15 to") })
    }
}
