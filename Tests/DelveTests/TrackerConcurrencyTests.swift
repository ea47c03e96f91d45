import Foundation
import Testing
@testable import Delve

/// Many threads feeding one tracker give the serial run's statistics (within the rounding of the
/// merge order). `make tsan` runs this suite under ThreadSanitizer.
@Suite("SaturationTracker from many threads")
struct TrackerConcurrencyTests {
    /// 24 batches for each of three layers (widths 5, 8, 3), in both phases.
    private static func work() -> [(layer: String, phase: Phase, values: [Float], shape: [Int])] {
        var rng = TestRandom(seed: 31)
        var items: [(layer: String, phase: Phase, values: [Float], shape: [Int])] = []
        for batch in 0..<24 {
            for (layer, width) in [("fc1", 5), ("fc2", 8), ("out", 3)] {
                let phase: Phase = batch % 3 == 0 ? .eval : .train
                let values = rng.floats(12 * width).map { $0 * Float(1 + batch % 4) + Float(width) }
                items.append((layer, phase, values, [12, width]))
            }
        }
        return items
    }

    /// Runs `body(worker)` on `count` new threads at once and waits for all of them. Real threads
    /// (not `DispatchQueue.concurrentPerform`, which may run iterations on one worker and whose
    /// internal synchronization can hide a race from ThreadSanitizer).
    private func runOnThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
        let start = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
        for worker in 0..<count {
            let thread = Thread {
                start.wait()
                body(worker)
                done.signal()
            }
            thread.start()
        }
        for _ in 0..<count { start.signal() }
        for _ in 0..<count { done.wait() }
    }

    private static func options() -> TrackerOptions {
        TrackerOptions(statistics: [.lsat, .idim, .trc, .cov])
    }

    @Test("records from 8 threads (layers and phases interleaved) equal the serial run")
    func manyThreads() throws {
        let items = Self.work()
        let serial = try SaturationTracker(options: Self.options())
        for item in items {
            try serial.record(layer: item.layer, phase: item.phase, values: item.values, shape: item.shape, kind: .dense)
        }
        let expected = try serial.endEpoch()

        let shared = try SaturationTracker(options: Self.options())
        let failures = CovarianceTestCounter()
        runOnThreads(8) { worker in
            for index in stride(from: worker, to: items.count, by: 8) {
                let item = items[index]
                do {
                    try shared.record(layer: item.layer, phase: item.phase, values: item.values, shape: item.shape, kind: .dense)
                } catch {
                    failures.increment()
                }
                // Readers running at the same time as the writers.
                _ = shared.layerNames
                _ = shared.epoch
            }
        }
        shared.addScalar("loss", 0.25)
        let record = try shared.endEpoch()
        #expect(failures.value == 0)
        #expect(record.layers.count == expected.layers.count)
        for want in expected.layers {
            let got = try #require(record.values(layer: want.layer, phase: want.phase))
            #expect(got.samples == want.samples && got.features == want.features)
            #expect(got.statistics[.idim] == want.statistics[.idim])
            let trace = try #require(want.statistics[.trc])
            #expect(abs(try #require(got.statistics[.trc]) - trace) <= 1e-10 * trace)
            for (a, b) in zip(try #require(got.covariance), try #require(want.covariance)) {
                #expect(abs(a - b) <= 1e-10 * max(1, abs(b)))
            }
        }
        #expect(record.scalar(named: "loss") == 0.25)
    }

    @Test("one layer fed 240 small batches by 8 threads at once: every sample counted, serial covariance")
    func oneLayerContended() throws {
        var rng = TestRandom(seed: 32)
        let batches = (0..<240).map { _ in rng.floats(4 * 3) }
        let serial = try SaturationTracker(options: Self.options())
        for batch in batches { try serial.record(layer: "hot", phase: .train, values: batch, shape: [4, 3], kind: .dense) }
        let expected = try #require(serial.endEpoch().layers.first)

        let shared = try SaturationTracker(options: Self.options())
        let failures = CovarianceTestCounter()
        runOnThreads(8) { worker in
            for index in stride(from: worker, to: batches.count, by: 8) {
                do {
                    try shared.record(layer: "hot", phase: .train, values: batches[index], shape: [4, 3], kind: .dense)
                } catch {
                    failures.increment()
                }
            }
        }
        let got = try #require(shared.endEpoch().layers.first)
        #expect(failures.value == 0)
        #expect(got.samples == 960 && got.samples == expected.samples)
        for (a, b) in zip(try #require(got.covariance), try #require(expected.covariance)) {
            #expect(abs(a - b) <= 1e-10 * max(1, abs(b)))
        }
    }
}
