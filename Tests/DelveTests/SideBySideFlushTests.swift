import Foundation
import Testing
@testable import Delve

/// The tracker's side-by-side flushes of several dense layers' pending rows (`SideBySideFlushes`):
/// when they happen, that they leave the statistics at the float64 two-pass reference, and that
/// threads recording at once stay correct (`make tsan` runs this suite under ThreadSanitizer).
@Suite("Side-by-side flushes of pending rows")
struct SideBySideFlushTests {
    /// `batches` batches of 128 rows for layers of the given widths, with offsets and scales that
    /// differ between batches (so that Chan's merge terms matter).
    private static func batches(widths: [Int], count: Int, seed: UInt64) -> [[Float]] {
        var rng = TestRandom(seed: seed)
        return (0..<count).flatMap { batch in
            widths.map { width in rng.floats(128 * width).map { $0 * Float(1 + batch % 3) + Float(batch % 5) - 2 } }
        }
    }

    private static let options = TrackerOptions(statistics: [.lsat, .trc, .cov])

    /// A tracker whose side-by-side flushes plan with `threads` BLAS threads.
    private static func tracker(threads: Int) throws -> SaturationTracker {
        let tracker = try SaturationTracker(options: options)
        tracker.sideBySide.threads = threads
        return tracker
    }

    /// Feeds `data` (batch-major, layer-minor) to `tracker` and returns each layer's rows.
    private static func feed(_ tracker: SaturationTracker, widths: [Int], data: [[Float]]) throws -> [[Float]] {
        var rows = Array(repeating: [Float](), count: widths.count)
        for (index, values) in data.enumerated() {
            let layer = index % widths.count
            try tracker.record(layer: "fc\(layer)", phase: .train, values: values, shape: [128, widths[layer]], kind: .dense)
            rows[layer].append(contentsOf: values)
        }
        return rows
    }

    private static func expectTwoPass(_ record: EpochRecord, widths: [Int], rows: [[Float]]) throws {
        for (layer, width) in widths.enumerated() {
            let got = try #require(record.values(layer: "fc\(layer)", phase: .train)?.covariance)
            let want = twoPassCovariance(rows[layer], rows: rows[layer].count / width, features: width)
            let scale = want.map(abs).max() ?? 1
            let worst = zip(got, want).map { abs($0 - $1) }.max() ?? 0
            #expect(worst <= 1e-12 * scale, "fc\(layer): max |Δ| = \(worst)")
        }
    }

    @Test("two balanced layers flush side by side (and a narrow one rides along); statistics at the two-pass reference")
    func balancedLayers() throws {
        let widths = [24, 24, 3]
        let data = Self.batches(widths: widths, count: 20, seed: 71)
        let tracker = try Self.tracker(threads: 2)
        let rows = try Self.feed(tracker, widths: widths, data: data)
        // 129 rows per batch with Chan's row (128 for the first): 1160 of 1280 wait after 9 batches and
        // another 129 would not fit, so the buffers are full after batches 9 and 18: two groups in 20
        // (flushing at half, after 5 batches, would make four).
        #expect(tracker.sideBySide.groupsFlushed == 2)
        try Self.expectTwoPass(try tracker.endEpoch(), widths: widths, rows: rows)
    }

    @Test("with one BLAS thread nothing is flushed side by side, and both runs agree to rounding")
    func oneThreadAgrees() throws {
        let widths = [16, 16]
        let data = Self.batches(widths: widths, count: 11, seed: 72)
        let single = try Self.tracker(threads: 1)
        let rows = try Self.feed(single, widths: widths, data: data)
        #expect(single.sideBySide.groupsFlushed == 0)
        let paired = try Self.tracker(threads: 2)
        _ = try Self.feed(paired, widths: widths, data: data)
        #expect(paired.sideBySide.groupsFlushed == 1)   // full after 9 batches of 11
        let a = try single.endEpoch(), b = try paired.endEpoch()
        try Self.expectTwoPass(a, widths: widths, rows: rows)
        try Self.expectTwoPass(b, widths: widths, rows: rows)
        for layer in ["fc0", "fc1"] {
            let x = try #require(a.values(layer: layer, phase: .train)?.statistics[.trc])
            let y = try #require(b.values(layer: layer, phase: .train)?.statistics[.trc])
            #expect(abs(x - y) <= 1e-13 * abs(y))
        }
    }

    @Test("a wide layer waits for a partner instead of pairing with a narrow one")
    func unbalancedWaits() throws {
        let flushes = SideBySideFlushes()
        let wide = CovarianceAccumulator(features: 32), narrow = CovarianceAccumulator(features: 4)
        let other = CovarianceAccumulator(features: 32)
        for accumulator in [wide, narrow, other] { accumulator.maxPendingRows = 36 }
        var rng = TestRandom(seed: 73)
        for _ in 0..<2 {   // 12 + 13 (Chan's row) = 25 of 36 rows wait: ready, and full (another 13 would not fit)
            try wide.update(rng.floats(12 * 32), rows: 12)
            try narrow.update(rng.floats(12 * 4), rows: 12)
        }
        try other.update(rng.floats(10 * 32), rows: 10)     // 10 of 36: not yet
        #expect(wide.pendingReadiness.full && narrow.pendingReadiness.full)
        #expect(!flushes.offer(wide, threads: 2))     // alone
        #expect(!flushes.offer(narrow, threads: 2))   // 25·16 beside 25·1024: not balanced
        #expect(!flushes.offer(other, threads: 2))    // not ready
        #expect(wide.pendingReadiness.work > 0 && narrow.pendingReadiness.work > 0)
        try other.update(rng.floats(12 * 32), rows: 12)     // 10 + 12 + Chan's row = 23: ready, not full
        #expect(other.pendingReadiness.work > 0 && !other.pendingReadiness.full)
        #expect(flushes.offer(other, threads: 2))     // all three, side by side: wide is full
        #expect(flushes.groupsFlushed == 1)
        for accumulator in [wide, narrow, other] { #expect(accumulator.pendingReadiness.work == 0) }
        // With one thread nothing is grouped.
        for _ in 0..<2 {
            try wide.update(rng.floats(12 * 32), rows: 12)
            try other.update(rng.floats(12 * 32), rows: 12)
        }
        #expect(!flushes.offer(wide, threads: 1) && !flushes.offer(other, threads: 1))
        #expect(wide.pendingReadiness.work > 0 && other.pendingReadiness.work > 0)
    }

    @Test("balanced layers with half their buffers waiting are not flushed until one buffer is full")
    func waitForFull() throws {
        let flushes = SideBySideFlushes()
        let a = CovarianceAccumulator(features: 16), b = CovarianceAccumulator(features: 16)
        for accumulator in [a, b] { accumulator.maxPendingRows = 42 }
        var rng = TestRandom(seed: 75)
        for _ in 0..<2 {   // 10 + 11 (Chan's row) = 21 of 42: ready, not full (another 11 fits)
            try a.update(rng.floats(10 * 16), rows: 10)
            try b.update(rng.floats(10 * 16), rows: 10)
        }
        try b.update(rng.floats(4 * 16), rows: 4)     // 21 + 5 = 26: another 5 fits
        #expect(!flushes.offer(a, threads: 2) && !flushes.offer(b, threads: 2))
        #expect(a.pendingReadiness.work > 0 && b.pendingReadiness.work > 0 && flushes.groupsFlushed == 0)
        try a.update(rng.floats(10 * 16), rows: 10)   // 32 of 42: another 11 would not fit
        #expect(a.pendingReadiness.full && !b.pendingReadiness.full)
        #expect(flushes.offer(a, threads: 2))         // a is full; b (ready, 26 beside 32) rides along
        #expect(a.pendingReadiness.work == 0 && b.pendingReadiness.work == 0 && flushes.groupsFlushed == 1)
    }

    @Test("four threads recording two layers, flushed side by side, give the serial covariance")
    func fromThreads() throws {
        let widths = [20, 20]
        let data = Self.batches(widths: widths, count: 24, seed: 74)
        let serial = try Self.tracker(threads: 1)
        let rows = try Self.feed(serial, widths: widths, data: data)
        let shared = try Self.tracker(threads: 2)
        let failures = CovarianceTestCounter()
        let start = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
        for worker in 0..<4 {
            Thread {
                start.wait()
                for index in stride(from: worker, to: data.count, by: 4) {
                    let layer = index % widths.count
                    do {
                        try shared.record(layer: "fc\(layer)", phase: .train, values: data[index],
                                          shape: [128, widths[layer]], kind: .dense)
                    } catch {
                        failures.increment()
                    }
                }
                done.signal()
            }.start()
        }
        for _ in 0..<4 { start.signal() }
        for _ in 0..<4 { done.wait() }
        #expect(failures.value == 0)
        #expect(shared.sideBySide.groupsFlushed >= 1)
        try Self.expectTwoPass(try shared.endEpoch(), widths: widths, rows: rows)
        try Self.expectTwoPass(try serial.endEpoch(), widths: widths, rows: rows)
    }
}
