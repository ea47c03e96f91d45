import Foundation
import DelveLinearAlgebra

/// Flushes the pending rows of several layers side by side.
///
/// Each dense layer's accumulator lets the centred rows of a few batches wait for one `syrk`
/// (``CovarianceAccumulator``). On its own it runs that `syrk` on all BLAS threads when its buffer is
/// full. With two or more BLAS threads the tracker does better: once a layer's buffer is full and the
/// layers whose rows are ready (half their buffer or more) can be balanced over the BLAS threads, it
/// runs their `syrk`s at once, each on one BLAS thread (``BLAS/concurrentPerform(iterations:_:)``).
/// OpenBLAS's multi-threaded `syrk` synchronizes its threads inside every call; independent
/// single-thread calls do not. Layers fed the same batches fill their buffers together, so they flush
/// together when full, as seldom as the buffers allow.
///
/// A layer without a partner of similar size (the last, narrow layer of a classifier) goes on filling
/// its buffer and flushes itself when it is full, as without a tracker.
final class SideBySideFlushes: ParallelJob, @unchecked Sendable {   // the variables are guarded by `lock`, `group` by `flushing`
    private let lock = NSLock()
    /// The accumulators whose rows are ready, with their work, in arrival order (the capacity is kept:
    /// no allocation per batch).
    private var ready: [(accumulator: CovarianceAccumulator, work: Double, full: Bool)] = []
    private var groups = 0
    private var threadsOverride: Int?
    /// Held while a group is chosen and flushed: one group at a time, in a reused list.
    private let flushing = NSLock()
    private var group: [CovarianceAccumulator] = []

    /// The BLAS threads the flushes plan with: ``BLAS/threadCount`` unless a test set another count.
    var threads: Int {
        get { lock.withLock { threadsOverride } ?? BLAS.threadCount }
        set { lock.withLock { threadsOverride = newValue } }
    }

    /// How many groups ``offer(_:threads:)`` has flushed (for tests).
    var groupsFlushed: Int { lock.withLock { groups } }

    /// Notes `accumulator`'s pending rows after a batch and, once one ready accumulator is full and the
    /// ready ones balance over `threads` BLAS threads (no single one holds more than its share of the
    /// work, with 20 % slack), flushes every ready one side by side. Returns whether it did. Call it
    /// holding no accumulator's lock; with fewer than two threads it does nothing.
    @discardableResult
    func offer(_ accumulator: CovarianceAccumulator, threads: Int) -> Bool {
        guard threads >= 2 else { return false }
        let (work, full) = accumulator.pendingReadiness
        flushing.lock()
        defer { flushing.unlock() }
        let chosen = lock.withLock { () -> Bool in
            let index = ready.firstIndex { $0.accumulator === accumulator }
            guard work > 0 else {
                if let index { ready.remove(at: index) }
                return false
            }
            if let index { ready[index] = (accumulator, work, full) } else { ready.append((accumulator, work, full)) }
            guard ready.count >= 2 else { return false }
            var total = 0.0, largest = 0.0, anyFull = false
            for entry in ready {
                total += entry.work
                largest = max(largest, entry.work)
                anyFull = anyFull || entry.full
            }
            guard anyFull, largest <= 1.2 * total / Double(min(threads, ready.count)) else { return false }
            for entry in ready { group.append(entry.accumulator) }
            ready.removeAll(keepingCapacity: true)
            groups += 1
            return true
        }
        guard chosen else { return false }
        BLAS.concurrentPerform(iterations: group.count, job: self)   // `run(_:)`: no allocation
        group.removeAll(keepingCapacity: true)
        return true
    }

    /// Flushes member `index` of the group being flushed (``ParallelJob``; `group` is not changed while
    /// the iterations run).
    func run(_ index: Int) {
        group[index].flushPendingRows()
    }

    /// Forgets every ready accumulator (an epoch end reads, and so flushes, them itself).
    func clear() {
        lock.withLock { ready.removeAll(keepingCapacity: true) }
    }
}
