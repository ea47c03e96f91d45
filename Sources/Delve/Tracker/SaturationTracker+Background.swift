import Foundation
import DelveLinearAlgebra

extension SaturationTracker {
    /// Ends the epoch like ``endEpoch()`` but returns as soon as the epoch's state is taken: the
    /// eigendecompositions, statistics and writing run on a background thread while the next epoch's
    /// batches are recorded. Returns the number of the epoch handed over.
    ///
    /// The snapshot is cheap next to a solve: with ``TrackerOptions/resetCovariance`` each layer's
    /// accumulator is handed over and the layer goes on with an empty one (the handed-over one comes back,
    /// emptied, for the next epoch end: two accumulators per layer and phase), otherwise it is copied
    /// (8·D² bytes). Scalars, rejected batches and the CKA matrix belong to the epoch they were recorded in.
    ///
    /// Records reach the writers in epoch order. The background work runs inside `BLAS.withSingleThread`
    /// (the thread count is process-wide in OpenBLAS: changing it while the training thread's BLAS calls
    /// run would race): every solve runs on one BLAS thread, side by side when several large ones are due,
    /// as in ``endEpoch()``, and BLAS calls of the training thread meanwhile run on one thread too. The
    /// numbers are those of ``endEpoch()`` under the same BLAS threads: bit for bit with one BLAS thread or
    /// when ``endEpoch()`` solves side by side; OpenBLAS's multi-threaded `syrk` and solvers may round the
    /// last bits differently. At most one epoch end is
    /// pending: a call first waits for the previous one. Read the records with ``waitForPendingEpochs()``;
    /// ``close()`` waits for pending work, and ``endEpoch()`` does too. A failure of a background epoch
    /// end (rejected batches, CKA, a writer; the other writers still receive the record) is thrown by the
    /// next call of this method, ``waitForPendingEpochs()``, ``endEpoch()`` or ``close()`` as
    /// ``TrackerError/backgroundEpoch(epoch:failure:)``, one failure per call, none dropped.
    @discardableResult
    public func endEpochInBackground() throws(TrackerError) -> Int {
        pipeline.waitUntilIdle()
        let snapshot = takeSnapshot(handOver: true)
        pipeline.start { [self] in
            // Every solve on one BLAS thread, so that the training thread's BLAS calls never see the count
            // change under them; several large solves still run side by side on `threads` workers.
            let threads = BLAS.threadCount
            let (record, failure) = BLAS.withSingleThread { finish(snapshot, threads: threads) }
            if options.resetCovariance { giveBack(snapshot.work) }
            return (snapshot.epoch, record, failure)
        }
        if let earlier = pipeline.takeFailure(before: snapshot.epoch) { throw earlier }
        return snapshot.epoch
    }

    /// Waits until every epoch end handed to the background is written and returns their records in epoch
    /// order (each once: the records since the last call, at most the 8 most recent — the writers receive
    /// every record). A failure of one of them is thrown instead
    /// (``TrackerError/backgroundEpoch(epoch:failure:)``); its record was still written and is returned by
    /// the next call.
    public func waitForPendingEpochs() throws(TrackerError) -> [EpochRecord] {
        pipeline.waitUntilIdle()
        if let earlier = pipeline.takeFailure() { throw earlier }
        return pipeline.takeRecords()
    }

    /// Whether an epoch end handed to the background is still being computed or written.
    public var hasPendingEpoch: Bool { pipeline.isBusy }

    /// Empties the accumulators a background epoch end has read and keeps each as its slot's spare.
    private func giveBack(_ work: [SlotEpoch]) {
        for entry in work {
            guard let accumulator = entry.accumulator else { continue }
            accumulator.reset()
            entry.slot.lock.withLock {
                if entry.slot.spare == nil, entry.slot.accumulator !== accumulator { entry.slot.spare = accumulator }
            }
        }
    }
}

/// The background epoch ends of one tracker: a serial queue (so records reach the writers in epoch
/// order), the records not yet collected, and the failures not yet thrown, each with its epoch.
final class EpochEndPipeline: @unchecked Sendable {   // `records`, `failures` and `busy` are guarded by `lock`
    private let queue = DispatchQueue(label: "Delve.SaturationTracker.epochEnd")
    private let group = DispatchGroup()
    private let lock = NSLock()
    private var records: [EpochRecord] = []
    private var failures: [(epoch: Int, failure: TrackerError)] = []
    private var busy = false
    /// Records not yet collected are kept up to this many (the most recent), so that a loop that never
    /// calls `waitForPendingEpochs()` does not keep every epoch's spectra; the writers receive every record.
    static let retainedRecords = 8

    /// Whether a job is queued or running.
    var isBusy: Bool { lock.withLock { busy } }

    /// Runs `job` on the queue; it returns its epoch, record and failure.
    func start(_ job: @escaping @Sendable () -> (Int, EpochRecord, TrackerError?)) {
        lock.withLock { busy = true }
        group.enter()
        queue.async { [self] in
            let (epoch, record, failure) = job()
            lock.withLock {
                records.append(record)
                if records.count > Self.retainedRecords { records.removeFirst(records.count - Self.retainedRecords) }
                if let failure { failures.append((epoch, failure)) }
                busy = false
            }
            group.leave()
        }
    }

    /// Blocks until no job is queued or running.
    func waitUntilIdle() {
        group.wait()
    }

    /// The oldest failure not yet thrown of an epoch before `limit` (any epoch when nil), as
    /// ``TrackerError/backgroundEpoch(epoch:failure:)``; `newer` (a synchronous epoch end's failure) is
    /// queued behind the stored ones when there are any.
    func takeFailure(before limit: Int? = nil, queueing newer: (epoch: Int, failure: TrackerError)? = nil) -> TrackerError? {
        lock.withLock {
            guard let first = failures.first, first.epoch < (limit ?? Int.max) else { return nil }
            if let newer { failures.append(newer) }
            let (epoch, failure) = failures.removeFirst()
            return .backgroundEpoch(epoch: epoch, failure: failure)
        }
    }

    /// The records written since the last call, oldest first.
    func takeRecords() -> [EpochRecord] {
        lock.withLock {
            defer { records = [] }
            return records
        }
    }
}
