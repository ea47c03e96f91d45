import Foundation
import Testing
@testable import Delve
@testable import DelveLinearAlgebra

@Suite("SaturationTracker epoch end")
struct TrackerEpochEndTests {
    /// Three wide layers (solved side by side when BLAS has several threads) and a narrow one;
    /// `beforeEnd` runs between the last batch and the epoch end.
    func run(tracker: SaturationTracker, beforeEnd: () -> Void = {}) throws -> EpochRecord {
        var rng = TestRandom(seed: 41)
        let widths = [("fc1", 150), ("fc2", 200), ("tiny", 5), ("fc3", 130)]
        for batch in 0..<3 {
            for (index, (name, d)) in widths.enumerated() {
                // A decaying spectrum: column j scaled by 0.97^j (plus a layer-specific twist).
                var values = rng.floats(256 * d)
                for r in 0..<256 {
                    for j in 0..<d { values[r * d + j] *= Float(pow(0.97, Double(j)) * Double(index + 1)) }
                }
                let phase: Phase = batch == 2 ? .eval : .train
                try tracker.record(layer: name, phase: phase,
                                   batch: ArrayActivationBatch(values: values, shape: [256, d], kind: .dense))
            }
        }
        beforeEnd()
        return try tracker.endEpoch()
    }

    /// Records the epoch of ``run(tracker:)`` and ends it with the solves side by side: BLAS on at least two
    /// threads and no single-thread scope open. Other suites' scopes set BLAS to one thread process-wide, so
    /// it waits for them to close before the epoch end, and tries again if one opened in between; returns
    /// the record and how many solves ran side by side (0 when no attempt got them to run so).
    func runSideBySide(options: TrackerOptions) throws -> (record: EpochRecord, solves: Int) {
        try SingleThreadScope.withBaseThreadCount(atLeast: 2) {
            var last: (record: EpochRecord, solves: Int)?
            for _ in 0..<20 {
                let tracker = try SaturationTracker(options: options)
                let record = try run(tracker: tracker) {
                    var waits = 0
                    while SingleThreadScope.snapshot().depth > 0, waits < 2000 {
                        usleep(5000)
                        waits += 1
                    }
                }
                let solves = tracker.lock.withLock { tracker.lastConcurrentSolves }
                last = (record, solves)
                if solves > 0 { break }
            }
            return try #require(last)
        }
    }

    @Test("the side-by-side epoch-end solves give the one-after-another results, in layer order")
    func concurrentSpectraMatchSequential() throws {
        let options = TrackerOptions(statistics: [.lsat, .idim, .trc, .erank, .logdet])
        let (concurrent, solves) = try runSideBySide(options: options)
        let sequentialTracker = try SaturationTracker(options: options)
        let sequential = try BLAS.withSingleThread { try run(tracker: sequentialTracker) }
        // Every (layer, phase) was solved by the side-by-side workers, and inside a scope none was.
        #expect(solves == 8)
        #expect(sequentialTracker.lock.withLock { sequentialTracker.lastConcurrentSolves } == 0)
        #expect(concurrent.layers.map(\.layer) == ["fc1", "fc1", "fc2", "fc2", "tiny", "tiny", "fc3", "fc3"])
        #expect(concurrent.layers.map(\.phase) == sequential.layers.map(\.phase))
        #expect(concurrent.layers.map(\.layer) == sequential.layers.map(\.layer))
        for (a, b) in zip(concurrent.layers, sequential.layers) {
            #expect(a.samples == b.samples)
            #expect(a.statistics[.lsat] == b.statistics[.lsat])
            #expect(a.statistics[.idim] == b.statistics[.idim])
            for stat in [Statistic.trc, .erank, .logdet] {
                let x = try #require(a.statistics[stat]), y = try #require(b.statistics[stat])
                #expect(abs(x - y) <= 1e-9 * max(1, abs(y)), "\(a.layer) \(stat): \(x) vs \(y)")
            }
        }
        // The wide layers are really full rank with a spread spectrum (the comparison is not vacuous).
        let fc2 = try #require(concurrent.layers.first { $0.layer == "fc2" && $0.phase == .train })
        #expect(fc2.samples == 512)
        #expect(try #require(fc2.statistics[.idim]) > 50)
    }
}
