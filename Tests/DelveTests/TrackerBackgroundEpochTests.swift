import Foundation
import Testing
@testable import Delve
@testable import DelveLinearAlgebra

/// A writer that keeps what it receives (epochs written, then "close"), optionally failing or waiting at
/// a gate before each write.
private final class LogWriter: EpochWriter, @unchecked Sendable {   // `events`, `records` guarded by `lock`
    private let lock = NSLock()
    private var events: [String] = []
    private var records: [EpochRecord] = []
    let failing: Bool
    /// When set, every write waits for one signal first.
    let gate: DispatchSemaphore?

    /// When set, `close()` throws.
    let failingClose: Bool

    init(failing: Bool = false, gate: DispatchSemaphore? = nil, failingClose: Bool = false) {
        self.failing = failing
        self.gate = gate
        self.failingClose = failingClose
    }

    var log: [String] { lock.withLock { events } }
    var written: [EpochRecord] { lock.withLock { records } }

    func write(_ record: EpochRecord) throws(WriterError) {
        gate?.wait()
        lock.withLock {
            events.append("write \(record.epoch)")
            records.append(record)
        }
        if failing { throw .invalidArgument("/runs/x/statistics.csv: disk full (test)") }
    }

    func resume(after completed: [EpochRecord]) throws(WriterError) {}

    func close() throws(WriterError) {
        lock.withLock { events.append("close") }
        if failingClose { throw .invalidArgument("/runs/x/report.html: disk full at close (test)") }
    }
}

/// Background epoch ends (``SaturationTracker/endEpochInBackground()``): the records, their order and the
/// failures are those of the synchronous ``SaturationTracker/endEpoch()``. `make tsan` runs this suite
/// under ThreadSanitizer.
@Suite("SaturationTracker background epoch ends")
struct TrackerBackgroundEpochTests {
    /// Options exercising every part of the epoch end: spectra, the covariance, RankMe (collapse notes),
    /// skipped batches, CKA between the layers (train phase), average saturations.
    static func options(resetCovariance: Bool) -> TrackerOptions {
        var options = TrackerOptions(statistics: [.lsat, .idim, .rankme, .erank, .logdet, .trc, .cov])
        options.resetCovariance = resetCovariance
        options.badBatchPolicy = .skip
        options.cka = CKAOptions(phase: .train)
        return options
    }

    /// The batches of `epoch` (a fixed function of it): layers of widths 140, 24 and 6 in both phases, one
    /// NaN batch of `fc2` (skipped) in epoch 1, and a scalar. Epoch 2 squeezes `fc1` into a few
    /// directions, so that its RankMe falls by more than half (a collapse note).
    static func feed(_ tracker: SaturationTracker, epoch: Int) throws {
        var rng = TestRandom(seed: UInt64(100 + epoch))
        for pass in 0..<4 {
            let phase: Phase = pass == 3 ? .eval : .train
            for (layer, width) in [("fc1", 140), ("fc2", 24), ("out", 6)] {
                var values = rng.batch(rows: 64, features: width).map { Float($0) }
                if layer == "fc1", epoch == 2 {
                    for r in 0..<64 { for j in 3..<width { values[r * width + j] = values[r * width + j % 3] * 0.5 } }
                }
                if layer == "fc2", epoch == 1, pass == 1 { values[5] = .nan }
                try tracker.record(layer: layer, phase: phase,
                                   batch: ArrayActivationBatch(values: values, shape: [64, width], kind: .dense))
            }
        }
        tracker.addScalar("loss", 1.0 / Double(epoch + 1))
    }

    /// Every number of a record as its bit pattern, with names, notes and counts: equal texts are equal
    /// records bit for bit.
    static func bits(_ record: EpochRecord) -> [String] {
        var lines = ["epoch \(record.epoch) threshold \(record.threshold.bitPattern)"]
        for entry in record.layers {
            lines.append("\(entry.layer) \(entry.phase) D=\(entry.features) n=\(entry.samples) skipped=\(entry.skippedBatches)")
            for (statistic, value) in entry.orderedStatistics { lines.append("  \(statistic) \(value.bitPattern)") }
            lines.append("  eigenvalues \((entry.eigenvalues ?? []).map(\.bitPattern))")
            lines.append("  covariance \((entry.covariance ?? []).map(\.bitPattern).reduce(0, &+)) \(entry.covariance?.count ?? -1)")
            lines.append(contentsOf: entry.notes.map { "  note \($0)" })
        }
        lines.append(contentsOf: record.scalars.map { "scalar \($0.name) \($0.value.bitPattern)" })
        for matrix in record.similarity {
            lines.append("cka \(matrix.layers) \(matrix.samples) \(matrix.values.map(\.bitPattern)) \(matrix.notes)")
        }
        return lines
    }

    /// Three epochs ended synchronously, on one BLAS thread (as the background solves run).
    static func synchronousRecords(resetCovariance: Bool) throws -> [EpochRecord] {
        let writer = LogWriter()
        let tracker = try SaturationTracker(options: options(resetCovariance: resetCovariance), writers: [writer])
        var records: [EpochRecord] = []
        try BLAS.withSingleThread {
            for epoch in 0..<3 {
                try feed(tracker, epoch: epoch)
                records.append(try tracker.endEpoch())
            }
        }
        try tracker.close()
        #expect(writer.log == ["write 0", "write 1", "write 2", "close"])
        return records
    }

    @Test("background epoch ends write the synchronous records, bit for bit and in epoch order", arguments: [true, false])
    func matchesSynchronous(resetCovariance: Bool) throws {
        let expected = try Self.synchronousRecords(resetCovariance: resetCovariance)
        // The collapse note and the skipped batch are really there (the comparison covers them).
        if resetCovariance {
            #expect(expected[2].layers.contains { $0.layer == "fc1" && $0.notes.contains { $0.hasPrefix(CollapseWatch.prefix) } })
        }
        #expect(expected[1].layers.first { $0.layer == "fc2" && $0.phase == .train }?.skippedBatches == 1)
        #expect(expected.allSatisfy { $0.similarity.count == 1 })
        #expect(expected[1].layers.first { $0.layer == "fc1" }?.samples == (resetCovariance ? 192 : 384))

        // The writer holds epoch 0 at its gate while epoch 1's batches are recorded: the next epoch
        // starts at once, and its batches do not reach the epoch being computed. Everything on one BLAS
        // thread, as for the synchronous records (OpenBLAS's threaded syrk may round differently).
        let gate = DispatchSemaphore(value: 0)
        let writer = LogWriter(gate: gate)
        let tracker = try SaturationTracker(options: Self.options(resetCovariance: resetCovariance), writers: [writer])
        let records = try BLAS.withSingleThread {
            try Self.feed(tracker, epoch: 0)
            #expect(try tracker.endEpochInBackground() == 0)
            #expect(tracker.epoch == 1)
            try Self.feed(tracker, epoch: 1)
            #expect(tracker.hasPendingEpoch)
            #expect(writer.log.isEmpty)
            gate.signal()
            gate.signal()
            gate.signal()
            #expect(try tracker.endEpochInBackground() == 1)
            try Self.feed(tracker, epoch: 2)
            #expect(try tracker.endEpochInBackground() == 2)
            return try tracker.waitForPendingEpochs()
        }
        #expect(try tracker.waitForPendingEpochs().isEmpty)   // each record is returned once
        try tracker.close()
        #expect(writer.log == ["write 0", "write 1", "write 2", "close"])
        #expect(records.map(Self.bits) == expected.map(Self.bits))
        #expect(writer.written.map(Self.bits) == expected.map(Self.bits))
    }

    @Test("a failure in a background epoch end reaches the next call, naming the epoch; later epochs go on")
    func failureReachesCaller() throws {
        let writer = LogWriter()
        let tracker = try SaturationTracker(options: TrackerOptions(statistics: [.lsat]), writers: [writer])
        var rng = TestRandom(seed: 7)
        func batch(nan: Bool = false) -> ArrayActivationBatch {
            var values = rng.batch(rows: 16, features: 4).map { Float($0) }
            if nan { values[3] = .infinity }
            return ArrayActivationBatch(values: values, shape: [16, 4], kind: .dense)
        }
        // Epoch 0: a hook's batch is rejected (reported at the epoch end), the others are accepted.
        try tracker.record(layer: "fc", phase: .train, batch: batch())
        tracker.recordReportingLater(layer: "fc", phase: .train, batch: batch(nan: true))
        try tracker.record(layer: "fc", phase: .train, batch: batch())
        #expect(try tracker.endEpochInBackground() == 0)   // the failure is not known yet
        try tracker.record(layer: "fc", phase: .train, batch: batch())
        do {
            _ = try tracker.endEpochInBackground()
            Issue.record("epoch 0's rejected batch was not reported")
        } catch {
            guard case let .backgroundEpoch(epoch, failure) = error, case let .rejectedBatches(list) = failure else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(epoch == 0)
            #expect(list.count == 1)
            #expect(error.description.hasPrefix("epoch 0 (ended in the background): 1 batch(es) were rejected"))
            #expect(error.description.contains("layer 'fc' (train), batch 2"))
        }
        // Epoch 1 was handed over before the throw; it is written and has no failure.
        let records = try tracker.waitForPendingEpochs()
        #expect(records.map(\.epoch) == [0, 1])
        #expect(records.map { $0.layers.first?.samples } == [32, 16])
        try tracker.close()
        #expect(writer.log == ["write 0", "write 1", "close"])
    }

    @Test("a writer failing in the background is thrown once per epoch; the other writer gets every epoch")
    func writerFailure() throws {
        let good = LogWriter(), bad = LogWriter(failing: true)
        let tracker = try SaturationTracker(options: TrackerOptions(statistics: [.lsat]), writers: [bad, good])
        var rng = TestRandom(seed: 9)
        var thrown: [Int] = []
        func note(_ body: () throws(TrackerError) -> Void) {
            do { try body() } catch {
                guard case let .backgroundEpoch(epoch, .writerFailed(writer, reason)) = error else {
                    Issue.record("unexpected error \(error)")
                    return
                }
                #expect(writer == "LogWriter")
                #expect(reason.contains("disk full"))
                thrown.append(epoch)
            }
        }
        for _ in 0..<3 {
            try tracker.record(layer: "fc", phase: .eval, values: rng.batch(rows: 8, features: 3).map { Float($0) }, shape: [8, 3], kind: .dense)
            note { () throws(TrackerError) in _ = try tracker.endEpochInBackground() }
        }
        #expect(thrown == [0, 1])   // each call throws the epoch before the one it hands over
        note { () throws(TrackerError) in try tracker.close() }
        #expect(thrown == [0, 1, 2])
        #expect(try tracker.waitForPendingEpochs().map(\.epoch) == [0, 1, 2])   // nothing left to throw
        #expect(good.log == ["write 0", "write 1", "write 2", "close"])
        #expect(bad.log == ["write 0", "write 1", "write 2", "close"])
    }

    @Test("a CKA failure of a background epoch reaches the caller")
    func ckaFailure() throws {
        var options = TrackerOptions(statistics: [.lsat])
        options.cka = CKAOptions(phase: .train, memoryLimit: 16)   // too small for any layer pair
        let writer = LogWriter()
        let tracker = try SaturationTracker(options: options, writers: [writer])
        var rng = TestRandom(seed: 3)
        for layer in ["a", "b"] {
            try tracker.record(layer: layer, phase: .train, values: rng.batch(rows: 8, features: 5).map { Float($0) }, shape: [8, 5], kind: .dense)
        }
        #expect(try tracker.endEpochInBackground() == 0)
        do {
            _ = try tracker.waitForPendingEpochs()
            Issue.record("the CKA refusal was not reported")
        } catch {
            guard case let .backgroundEpoch(epoch, .cka(reason)) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(epoch == 0)
            #expect(!reason.isEmpty)
        }
        // The epoch's statistics were still written.
        #expect(writer.written.map { $0.layers.map(\.layer) } == [["a", "b"]])
        #expect(try tracker.waitForPendingEpochs().map(\.epoch) == [0])
    }

    @Test("close() waits for the pending epoch end and writes it before closing the writers")
    func closeWaits() throws {
        let gate = DispatchSemaphore(value: 0)
        let writer = LogWriter(gate: gate)
        let tracker = try SaturationTracker(options: TrackerOptions(statistics: [.lsat, .idim]), writers: [writer])
        var rng = TestRandom(seed: 5)
        try tracker.record(layer: "fc", phase: .train, values: rng.batch(rows: 32, features: 6).map { Float($0) }, shape: [32, 6], kind: .dense)
        _ = try tracker.endEpochInBackground()
        let closed = DispatchSemaphore(value: 0)
        let closer = Thread {
            try? tracker.close()
            closed.signal()
        }
        closer.start()
        // close() is blocked behind the gated write.
        #expect(closed.wait(timeout: .now() + 0.2) == .timedOut)
        #expect(writer.log.isEmpty)
        gate.signal()
        closed.wait()
        #expect(writer.log == ["write 0", "close"])
        #expect(writer.written.first?.layers.first?.samples == 32)
    }

    @Test("endEpoch() after background epoch ends waits for them and keeps the order")
    func synchronousAfterBackground() throws {
        let writer = LogWriter()
        let tracker = try SaturationTracker(options: TrackerOptions(statistics: [.lsat]), writers: [writer])
        var rng = TestRandom(seed: 11)
        for epoch in 0..<3 {
            try tracker.record(layer: "fc", phase: .train, values: rng.batch(rows: 8, features: 3).map { Float($0) }, shape: [8, 3], kind: .dense)
            if epoch < 2 { _ = try tracker.endEpochInBackground() } else { #expect(try tracker.endEpoch().epoch == 2) }
        }
        #expect(writer.log == ["write 0", "write 1", "write 2"])
        #expect(try tracker.waitForPendingEpochs().map(\.epoch) == [0, 1])
    }

    @Test("records not collected are kept up to the 8 most recent; the writers get every epoch")
    func retainedRecordsAreBounded() throws {
        let writer = LogWriter()
        let tracker = try SaturationTracker(options: TrackerOptions(statistics: [.lsat]), writers: [writer])
        var rng = TestRandom(seed: 12)
        for _ in 0..<11 {
            try tracker.record(layer: "fc", phase: .train, values: rng.batch(rows: 8, features: 3).map { Float($0) }, shape: [8, 3], kind: .dense)
            _ = try tracker.endEpochInBackground()
        }
        #expect(try tracker.waitForPendingEpochs().map(\.epoch) == Array(3...10))
        #expect(writer.written.map(\.epoch) == Array(0...10))
        #expect(try tracker.waitForPendingEpochs().isEmpty)
    }

    @Test("close(): every writer is closed; a background failure comes first, a close failure with the next call")
    func closeReportsBothFailures() throws {
        let failingWrite = LogWriter(failing: true), failingClose = LogWriter(failingClose: true), good = LogWriter()
        let tracker = try SaturationTracker(options: TrackerOptions(statistics: [.lsat]), writers: [failingWrite, failingClose, good])
        var rng = TestRandom(seed: 13)
        try tracker.record(layer: "fc", phase: .train, values: rng.batch(rows: 8, features: 3).map { Float($0) }, shape: [8, 3], kind: .dense)
        _ = try tracker.endEpochInBackground()
        do {
            try tracker.close()
            Issue.record("close() should report the background write failure")
        } catch {
            #expect(String(describing: error).contains("statistics.csv: disk full (test)"))
        }
        do {
            try tracker.close()
            Issue.record("the second close() should report the close failure")
        } catch {
            #expect(String(describing: error).contains("disk full at close"))
        }
        #expect(good.log == ["write 0", "close", "close"])
        #expect(failingWrite.log.first == "write 0")
    }

    /// Three epochs of a probed tracker (labels a fixed function of the rows, train then eval batches),
    /// ended synchronously or in the background (with the next epoch's batches recorded before waiting).
    static func probeRecords(background: Bool) throws -> [EpochRecord] {
        var options = TrackerOptions(statistics: [.lsat])
        options.probes = ProbeOptions()
        let tracker = try SaturationTracker(options: options)
        var records: [EpochRecord] = []
        try BLAS.withSingleThread {
            for epoch in 0..<3 {
                var rng = TestRandom(seed: UInt64(200 + epoch))
                for pass in 0..<5 {
                    let phase: Phase = pass >= 3 ? .eval : .train
                    let values = rng.batch(rows: 48, features: 12)
                    var labels: [Int] = []
                    for r in 0..<48 {
                        let row = values[(r * 12)..<(r * 12 + 12)]
                        let first: Double = row[row.startIndex] + row[row.startIndex + 1]
                        labels.append(first > 0 ? 1 : (row[row.startIndex + 2] > 0.5 ? 2 : 0))
                    }
                    try tracker.record(layer: "fc", phase: phase, batch: ArrayActivationBatch(values: values.map { Float($0) }, shape: [48, 12], kind: .dense),
                                       labels: labels)
                }
                if background { _ = try tracker.endEpochInBackground() } else { records.append(try tracker.endEpoch()) }
            }
        }
        if background { records = try tracker.waitForPendingEpochs() }
        try tracker.close()
        return records
    }

    @Test("probes: background epoch ends give the synchronous probe-r2 and probe-accuracy, bit for bit")
    func probesMatchSynchronous() throws {
        let expected = try Self.probeRecords(background: false)
        let got = try Self.probeRecords(background: true)
        #expect(got.map(Self.bits) == expected.map(Self.bits))
        // The probe values are really there and differ between epochs (new data each epoch).
        let r2 = expected.compactMap { $0.layers.first { $0.phase == .train }?.statistics[.probeR2] }
        let accuracy = expected.compactMap { $0.layers.first { $0.phase == .eval }?.statistics[.probeAccuracy] }
        #expect(r2.count == 3 && accuracy.count == 3)
        #expect(Set(r2).count == 3)
        #expect(accuracy.allSatisfy { $0 > 0.5 && $0 <= 1 })
    }
}
