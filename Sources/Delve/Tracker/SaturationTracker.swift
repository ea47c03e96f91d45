import Foundation
import DelveLinearAlgebra

/// Watches layers while a network trains: accumulates the covariance of every recorded layer's
/// outputs, per phase, over each epoch, and at ``endEpoch()`` computes the requested statistics
/// (Shenk et al., *Delve*, JOSS 2022) and hands them to the writers.
///
/// It is framework-agnostic: anything that can present a layer's output as an
/// ``ActivationBatch`` can feed it through ``record(layer:phase:batch:)``. The `DelveNNTracking`
/// module attaches it to DelveNN models with one call, `tracker.watch(model)`.
///
/// Unlike Delve 0.1.50, the covariance covers **every** recorded batch of the epoch (Delve keeps
/// only the last), the intrinsic dimensionality follows the paper (``TrackerOptions/convention``
/// selects Delve's), sequence outputs are read along the right time axis, the average saturation
/// is really computed, and a phase that saw no batches is absent rather than an error.
///
/// Per batch the work is one centring pass and one `syrk` per layer (see
/// ``CovarianceAccumulator``); all eigendecompositions happen at the epoch end. One tracker may
/// be fed from several threads: recording takes a lock per layer and phase.
public final class SaturationTracker: @unchecked Sendable {
    /// The options the tracker was created with.
    public let options: TrackerOptions

    /// The number of the epoch being recorded (starts at ``TrackerOptions/initialEpoch``).
    public var epoch: Int { lock.withLock { currentEpoch } }

    /// Whether batches are being recorded (see ``stop()`` and ``resume()``).
    public var isRecording: Bool { lock.withLock { recording } }

    /// The layer names in the order their first batch arrived (network order for a forward pass).
    public var layerNames: [String] { lock.withLock { layerOrder } }

    let lock = NSLock()
    private let reducer: ActivationReducer
    private var writers: [any EpochWriter]
    var currentEpoch: Int
    private var recording = true
    var layerOrder: [String] = []
    var slots: [SlotKey: Slot] = [:]
    var scalars: [(name: String, value: Double)] = []
    private var rejected: [TrackerError] = []
    /// Linear CKA between layers, when ``TrackerOptions/cka`` asks for it.
    let similarity: SimilarityRecorder?
    /// The RankMe collapse check (``TrackerOptions/collapseShare``).
    let collapse: CollapseWatch
    /// The epoch ends handed to the background (``endEpochInBackground()``), their records and failures.
    let pipeline = EpochEndPipeline()
    /// The labels of the next batch per phase, for ``TrackerOptions/probes``.
    let probeLabels = ProbeLabels()
    /// Dense layers whose pending rows wait for a side-by-side `syrk`.
    let sideBySide = SideBySideFlushes()

    struct SlotKey: Hashable, Sendable {
        let layer: String
        let phase: Phase
    }

    /// The running state of one layer in one phase.
    final class Slot: @unchecked Sendable {   // every field is guarded by `lock`
        let lock = NSLock()
        var accumulator: CovarianceAccumulator?
        var forwardPasses = 0
        var samplesThisEpoch = 0
        var batchesThisEpoch = 0
        var skippedThisEpoch = 0
        /// Batches offered this epoch after `logInterval` and `maxSamples` (accepted, skipped or rejected).
        var offeredThisEpoch = 0
        var firstSkipReason: String?
        var rejectedBatches = 0
        var scratch: [Float] = []
        let reduction = ReductionScratch()
        /// The linear probe's state (``TrackerOptions/probes``), created on the first labelled batch.
        var probe: SlotProbe?

        /// An emptied accumulator a background epoch end gave back, for the next hand-over.
        var spare: CovarianceAccumulator?

        /// The accumulator for a background epoch end (call holding `lock`): with `reset`, the slot's own
        /// (the slot goes on with the spare or an empty copy), otherwise a copy of it.
        func handOverAccumulator(reset: Bool) -> CovarianceAccumulator? {
            guard let current = accumulator else { return nil }
            guard reset else { return current.stateCopy() }
            accumulator = spare ?? current.emptyCopy()
            spare = nil
            return current
        }
    }

    /// A tracker with the given options, handing each epoch to `writers`.
    public init(options: TrackerOptions = TrackerOptions(), writers: [any EpochWriter] = []) throws(TrackerError) {
        guard options.threshold > 0, options.threshold <= 1 else {
            throw .invalidOption("threshold must be in (0, 1], got \(options.threshold)")
        }
        guard options.logInterval >= 1 else {
            throw .invalidOption("logInterval must be at least 1, got \(options.logInterval)")
        }
        if let maxSamples = options.maxSamples, maxSamples < 1 {
            throw .invalidOption("maxSamples must be at least 1, got \(maxSamples)")
        }
        guard options.collapseShare >= 0, options.collapseShare <= 1 else {
            throw .invalidOption("collapseShare must be in [0, 1], got \(options.collapseShare)")
        }
        guard options.initialEpoch >= 0 else {
            throw .invalidOption("initialEpoch must not be negative, got \(options.initialEpoch)")
        }
        try Self.validateProbes(options)
        self.options = options
        self.writers = writers
        self.currentEpoch = options.initialEpoch
        self.reducer = ActivationReducer(options: options.layout)
        self.similarity = options.cka.map(SimilarityRecorder.init(options:))
        self.collapse = CollapseWatch(share: options.collapseShare)
    }

    /// Adds a writer; it receives every epoch from the next ``endEpoch()`` on.
    public func addWriter(_ writer: any EpochWriter) {
        lock.withLock { writers.append(writer) }
    }

    // MARK: Recording

    /// Records one batch of `layer`'s outputs in `phase`.
    ///
    /// Honors ``TrackerOptions/logInterval``, ``TrackerOptions/maxSamples`` and ``stop()``.
    /// A bad batch throws ``TrackerError/badBatch(layer:phase:batch:reason:)`` (the layer's
    /// statistics keep their previous state) or, with ``BadBatchPolicy/skip``, is counted and skipped.
    /// With ``TrackerOptions/probes`` the batch takes the labels of ``setLabels(_:phase:)``.
    public func record(layer: String, phase: Phase, batch: some ActivationBatch) throws(TrackerError) {
        try record(layer: layer, phase: phase, batch: batch, labels: options.probes == nil ? nil : probeLabels.labels(for: phase))
    }

    /// Records one batch of `layer`'s outputs in `phase` with the class label (0..<K) of each sample,
    /// for ``TrackerOptions/probes`` (labels are ignored when probes are off). Wrong labels (count,
    /// negative) reject the batch like a bad batch; the labels of samples cut by
    /// ``TrackerOptions/maxSamples`` are cut with them.
    public func record(layer: String, phase: Phase, batch: some ActivationBatch, labels: [Int]?) throws(TrackerError) {
        let slot: Slot
        let probeSource: Slot?   // the train slot whose probe classifies an eval batch
        do {
            lock.lock()
            defer { lock.unlock() }
            guard recording else { return }
            slot = slotHoldingLock(layer: layer, phase: phase)
            probeSource = options.probes != nil && phase == .eval ? slots[SlotKey(layer: layer, phase: .train)] : nil
        }
        slot.lock.lock()
        defer { slot.lock.unlock() }
        let pass = slot.forwardPasses
        slot.forwardPasses += 1
        guard pass % options.logInterval == 0 else { return }
        let shape = batch.shape
        let kind = batch.kind
        var take = kind.sampleCount(shape: shape)
        if let limit = options.maxSamples {
            take = min(take, limit - slot.samplesThisEpoch)
            guard take > 0 else { return }
        }
        slot.offeredThisEpoch += 1
        let batchNumber = slot.offeredThisEpoch
        do {
            guard kind.sampleCount(shape: shape) > 0 else { throw EmptyBatch(shape: shape) }
            if slot.accumulator == nil {
                let features = try reducer.features(shape: shape, kind: kind)
                slot.accumulator = CovarianceAccumulator(features: features, name: layer, precision: options.precision)
            }
            let accumulator = slot.accumulator!
            let probe = try prepareProbe(labels: labels, samples: kind.sampleCount(shape: shape), take: take)
            try accumulateSamples(take, of: batch, shape: shape, kind: kind, into: accumulator, slot: slot)
            sideBySide.offer(accumulator, threads: sideBySide.threads)
            if let probe { try recordProbe(probe, layer: layer, phase: phase, slot: slot, trainSlot: probeSource, batch: batch, shape: shape, kind: kind) }
            slot.samplesThisEpoch += take
            slot.batchesThisEpoch += 1
        } catch {
            // The tracker names layer, phase and batch (of this epoch) itself: take the accumulator's
            // message without its own "layer …, batch …" (which counts batches over its lifetime).
            let reason = (error as? CovarianceError)?.detail ?? String(describing: error)
            let failure = TrackerError.badBatch(layer: layer, phase: phase, batch: batchNumber, reason: reason)
            if options.badBatchPolicy == .skip {
                slot.skippedThisEpoch += 1
                if slot.firstSkipReason == nil { slot.firstSkipReason = "batch \(batchNumber): \(reason)" }
                return
            }
            slot.rejectedBatches += 1
            throw failure
        }
        if let similarity, similarity.options.phase == phase {
            try similarity.record(layer: layer, batch: batch, shape: shape, kind: kind, take: take)
        }
    }

    /// The slot of `layer` in `phase`, created (and the layer added to the order) on first use. Call it
    /// holding ``lock``.
    func slotHoldingLock(layer: String, phase: Phase) -> Slot {
        let key = SlotKey(layer: layer, phase: phase)
        if let existing = slots[key] { return existing }
        let created = Slot()
        slots[key] = created
        if !layerOrder.contains(layer) { layerOrder.append(layer) }
        return created
    }

    /// Why a batch without samples is bad.
    private struct EmptyBatch: Error, CustomStringConvertible {
        let shape: [Int]
        var description: String { "the batch is empty (shape \(shape), no samples)" }
    }

    /// Records a batch given as raw values (row-major) with its shape and kind.
    public func record(layer: String, phase: Phase, values: [Float], shape: [Int], kind: ActivationKind) throws(TrackerError) {
        try record(layer: layer, phase: phase, batch: ArrayActivationBatch(values: values, shape: shape, kind: kind))
    }

    /// Records a batch and, instead of throwing, remembers a rejection so that the next
    /// ``endEpoch()`` reports it. For callers that cannot throw, such as forward hooks.
    public func recordReportingLater(layer: String, phase: Phase, batch: some ActivationBatch) {
        do {
            try record(layer: layer, phase: phase, batch: batch)
        } catch {
            lock.withLock { rejected.append(error) }
        }
    }

    /// Feeds the first `take` samples of the batch through the layout into the accumulator.
    private func accumulateSamples(_ take: Int, of batch: some ActivationBatch, shape: [Int], kind: ActivationKind,
                                   into accumulator: CovarianceAccumulator, slot: Slot) throws {
        let total = kind.sampleCount(shape: shape)
        if take == total {
            try batch.withUnsafeFloats { values in
                try reducer.accumulate(values, shape: shape, kind: kind, into: accumulator, scratch: slot.reduction)
            }
            return
        }
        var cut = shape
        switch kind {
        case .sequence(batchFirst: false):
            // T×N×F: the first `take` samples of every timestep are not contiguous; gather them.
            cut[1] = take
            let timesteps = shape[0]
            let rowWidth = shape.dropFirst(2).reduce(1, *)
            let needed = timesteps * take * rowWidth
            if slot.scratch.count < needed { slot.scratch = [Float](repeating: 0, count: needed) }
            batch.withUnsafeFloats { values in
                slot.scratch.withUnsafeMutableBufferPointer { out in
                    for t in 0..<timesteps {
                        let source = values.baseAddress! + t * total * rowWidth
                        (out.baseAddress! + t * take * rowWidth).update(from: source, count: take * rowWidth)
                    }
                }
            }
            try slot.scratch.withUnsafeBufferPointer { values in
                try reducer.accumulate(UnsafeBufferPointer(rebasing: values[0..<needed]), shape: cut, kind: kind, into: accumulator, scratch: slot.reduction)
            }
        default:
            // The leading axis is the sample axis: the first samples are a prefix.
            cut[0] = take
            let prefix = cut.reduce(1, *)
            try batch.withUnsafeFloats { values in
                try reducer.accumulate(UnsafeBufferPointer(rebasing: values[0..<prefix]), shape: cut, kind: kind, into: accumulator, scratch: slot.reduction)
            }
        }
    }

    /// Stops recording: batches are ignored until ``resume()``.
    public func stop() { lock.withLock { recording = false } }

    /// Resumes recording after ``stop()``.
    public func resume() { lock.withLock { recording = true } }

    // MARK: Scalars

    /// Adds one of the user's own metrics (accuracy, loss…) to the current epoch's record.
    public func addScalar(_ name: String, _ value: Double) {
        lock.withLock {
            if let index = scalars.firstIndex(where: { $0.name == name }) {
                scalars[index].value = value
            } else {
                scalars.append((name, value))
            }
        }
    }

    /// Adds several of the user's metrics, in the given order.
    public func addScalars(_ values: KeyValuePairs<String, Double>) {
        for (name, value) in values { addScalar(name, value) }
    }

    // MARK: Epoch end

    /// Computes every requested statistic for every layer and phase recorded in this epoch,
    /// hands the record to the writers, starts the next epoch, and returns the record
    /// (Delve's `add_saturations`).
    ///
    /// A phase that saw no batch this epoch is absent from the record. When hooks had batches
    /// rejected (see ``recordReportingLater(layer:phase:batch:)``), the epoch is still computed and
    /// written without them, and then ``TrackerError/rejectedBatches(_:)`` is thrown.
    ///
    /// Epoch ends handed to the background by ``endEpochInBackground()`` are waited for first (their
    /// records reach the writers before this one); a failure of theirs is thrown after this epoch was
    /// written, and this epoch's own failure then waits for the next call.
    @discardableResult
    public func endEpoch() throws(TrackerError) -> EpochRecord {
        pipeline.waitUntilIdle()
        let snapshot = takeSnapshot(handOver: false)
        let (record, failure) = finish(snapshot, threads: BLAS.threadCount)
        // The accumulators were read in place: now they start the next epoch.
        if options.resetCovariance {
            for entry in snapshot.work { entry.slot.lock.withLock { entry.accumulator?.reset() } }
        }
        if let earlier = pipeline.takeFailure(queueing: failure.map { (snapshot.epoch, $0) }) { throw earlier }
        if let failure { throw failure }
        return record
    }

    /// What the epoch end reads of one (layer, phase), taken from its slot under the slot's lock when the
    /// epoch ends. Per-slot state that a statistic needs goes here and into ``values(for:)``.
    struct SlotEpoch: @unchecked Sendable {   // the accumulator is the epoch end's alone, or read under its lock
        let key: SlotKey
        let slot: Slot
        /// The accumulator to analyse: the slot's own (``endEpoch()``) or the one handed over to the
        /// background (``endEpochInBackground()``); nil when no batch was accepted yet.
        let accumulator: CovarianceAccumulator?
        let skipped: Int
        let firstSkipReason: String?
        /// The linear probe's state of the epoch (``TrackerOptions/probes``).
        let probe: ProbeEpoch?
    }

    /// Everything one epoch end needs, taken at once under ``lock``: afterwards the slots record the
    /// next epoch.
    struct EpochSnapshot: @unchecked Sendable {   // the writers are used by one epoch end at a time
        let epoch: Int
        let work: [SlotEpoch]
        let scalars: [(name: String, value: Double)]
        let rejected: [TrackerError]
        let similarity: Result<[CKAMatrix], TrackerError>
        let writers: [any EpochWriter]
    }

    /// Takes the ending epoch's state and starts the next epoch: the epoch number advances, the scalars,
    /// rejections and every slot's counters start afresh, the CKA state gives its matrix. With `handOver`
    /// each live slot's accumulator goes to the snapshot and the slot gets an empty one (or, when the
    /// covariance is not reset, the snapshot gets a copy); without, the snapshot reads the slot's own.
    func takeSnapshot(handOver: Bool) -> EpochSnapshot {
        let (epochNumber, work, userScalars, failures, currentWriters) = lock.withLock {
            var work: [SlotEpoch] = []
            for layer in layerOrder {
                for phase in Phase.allCases {
                    let key = SlotKey(layer: layer, phase: phase)
                    guard let slot = slots[key] else { continue }
                    slot.lock.withLock {
                        if slot.batchesThisEpoch > 0 || slot.skippedThisEpoch > 0 {
                            let accumulator = handOver ? slot.handOverAccumulator(reset: options.resetCovariance) : slot.accumulator
                            work.append(SlotEpoch(key: key, slot: slot, accumulator: accumulator,
                                                  skipped: slot.skippedThisEpoch, firstSkipReason: slot.firstSkipReason,
                                                  probe: slot.probe?.takeEpoch()))
                        }
                        slot.samplesThisEpoch = 0
                        slot.batchesThisEpoch = 0
                        slot.skippedThisEpoch = 0
                        slot.offeredThisEpoch = 0
                        slot.firstSkipReason = nil
                        slot.forwardPasses = 0
                    }
                }
            }
            sideBySide.clear()   // the epoch end reads (and so flushes) every accumulator it takes
            let taken = (currentEpoch, work, scalars, rejected, writers)
            currentEpoch += 1
            scalars = []
            rejected = []
            return taken
        }
        let matrices: Result<[CKAMatrix], TrackerError>
        do { matrices = .success(try similarity?.endEpoch().map { [$0] } ?? []) } catch { matrices = .failure(error) }
        return EpochSnapshot(epoch: epochNumber, work: work, scalars: userScalars, rejected: failures,
                             similarity: matrices, writers: currentWriters)
    }

    /// The record of a snapshot's epoch, written to its writers, and the epoch's failure (rejected batches
    /// first, then CKA, then the first writer that failed; every writer is tried). `threads` is the BLAS
    /// thread count ``computeValues(_:threads:)`` plans with.
    func finish(_ snapshot: EpochSnapshot, threads: Int) -> (EpochRecord, TrackerError?) {
        let values = computeValues(snapshot.work, threads: threads)
        let layers = collapse.annotate(values.compactMap { $0 }, epoch: snapshot.epoch)
        var allScalars: [(name: String, value: Double)] = []
        if options.averageSaturation { allScalars = EpochRecord.averageSaturations(of: layers) }
        allScalars.append(contentsOf: snapshot.scalars)
        var record = EpochRecord(epoch: snapshot.epoch, layers: layers, scalars: allScalars, threshold: options.threshold)
        var similarityFailure: TrackerError?
        switch snapshot.similarity {
        case .success(let matrices): record.similarity = matrices
        case .failure(let error): similarityFailure = error
        }
        var writerFailure: TrackerError?
        for writer in snapshot.writers {
            do {
                try writer.write(record)
            } catch {
                if writerFailure == nil {
                    writerFailure = .writerFailed(writer: String(describing: type(of: writer)), reason: String(describing: error))
                }
            }
        }
        if !snapshot.rejected.isEmpty { return (record, .rejectedBatches(snapshot.rejected)) }
        return (record, similarityFailure ?? writerFailure)
    }

    /// The statistics of every (layer, phase) in `work`, in order (`nil` where nothing was recorded).
    ///
    /// The eigendecompositions are independent. LAPACK's reduction to tridiagonal form is half
    /// matrix–vector work that gains little from a second BLAS thread, so independent solves side by
    /// side finish sooner than one after another on all threads: when
    /// several large solves are due and BLAS has several threads, they run side by side with one BLAS
    /// thread each (largest first), and the thread count is restored afterwards. `threads` is BLAS's
    /// thread count outside the epoch end (a background epoch end runs inside a single-thread scope).
    private func computeValues(_ work: [SlotEpoch], threads: Int) -> [LayerEpochValues?] {
        let features = work.map { $0.accumulator?.features ?? 0 }
        let large = features.filter { $0 >= Self.concurrentSpectrumFeatures }.count
        guard threads > 1, large > 1 else {
            lock.withLock { lastConcurrentSolves = 0 }
            return work.map(values(for:))
        }
        // Largest first, so that the last solve to start is a short one.
        let order = work.indices.sorted { features[$0] > features[$1] }
        let results = ResultBox<LayerEpochValues?>(count: work.count, initial: nil)
        let next = ResultBox<Int>(count: 1, initial: 0)
        let workers = min(threads, large)
        BLAS.concurrentPerform(iterations: workers) { _ in
            while true {
                let taken = next.lock.withLock { () -> Int in
                    let i = next.values[0]
                    next.values[0] += 1
                    return i
                }
                guard taken < order.count else { return }
                let index = order[taken]
                let value = values(for: work[index])
                results.lock.withLock { results.values[index] = value }
            }
        }
        lock.withLock { lastConcurrentSolves = min(next.values[0], order.count) }   // the solves the workers took
        return results.values
    }

    /// How many (layer, phase) solves the last epoch end ran on side-by-side workers (0: one after another);
    /// guarded by `lock`.
    var lastConcurrentSolves = 0

    /// Solves of at least this dimension run side by side at the epoch end (see ``computeValues(_:threads:)``).
    static let concurrentSpectrumFeatures = 128

    /// Values shared by the epoch-end workers, behind a lock.
    private final class ResultBox<Value>: @unchecked Sendable {
        let lock = NSLock()
        var values: [Value]
        init(count: Int, initial: Value) { values = Array(repeating: initial, count: count) }
    }

    /// The statistics of one layer in one phase for the epoch that ends. A layer whose every batch
    /// was skipped still gets an entry (0 samples, every statistic NaN) so that the skips are reported.
    func values(for entry: SlotEpoch) -> LayerEpochValues? {
        let key = entry.key
        var notes: [String] = []
        if entry.skipped > 0 {
            notes.append("skipped \(entry.skipped) bad batch(es); the first: \(entry.firstSkipReason ?? "?")")
        }
        guard let accumulator = entry.accumulator, accumulator.count > 0 else {
            guard entry.skipped > 0 else { return nil }
            notes.append("no batch was accepted this epoch: no statistic (NaN)")
            let none = Dictionary(uniqueKeysWithValues: options.statistics.filter(\.isScalar).map { ($0, Double.nan) })
            return LayerEpochValues(layer: key.layer, phase: key.phase, features: entry.accumulator?.features ?? 0,
                                    samples: 0, statistics: none, notes: notes, skippedBatches: entry.skipped)
        }
        do {
            let analysis = try accumulator.analysis(options.statisticsOptions, keepEigenvalues: options.keepSpectra)
            notes.append(contentsOf: analysis.statistics.notes)
            var values = LayerEpochValues(
                layer: key.layer, phase: key.phase, features: analysis.features, samples: analysis.samples,
                statistics: analysis.statistics.values, eigenvalues: analysis.eigenvalues,
                covariance: analysis.covariance, notes: notes, skippedBatches: entry.skipped)
            applyProbe(entry.probe, phase: key.phase, accumulator: accumulator, to: &values)
            return values
        } catch {
            notes.append("eigendecomposition failed: \(error)")
            var values = LayerEpochValues(
                layer: key.layer, phase: key.phase, features: accumulator.features, samples: accumulator.count,
                statistics: [:], notes: notes, skippedBatches: entry.skipped)
            applyProbe(entry.probe, phase: key.phase, accumulator: accumulator, to: &values)
            return values
        }
    }

    /// Closes every writer (call once, after the last epoch). Epoch ends still running in the background
    /// are waited for first, so every record is written; a failure of theirs is thrown after the writers
    /// were closed, and a writer's close failure then by the next call of `close()`.
    public func close() throws(TrackerError) {
        pipeline.waitUntilIdle()
        let current = lock.withLock { writers }
        var closeFailure: TrackerError?
        for writer in current {   // every writer is closed, whatever the others do
            do { try writer.close() } catch {
                if closeFailure == nil {
                    closeFailure = .writerFailed(writer: String(describing: type(of: writer)), reason: String(describing: error))
                }
            }
        }
        // A stored background failure comes first; the close failure then waits for the next call.
        let epoch = lock.withLock { currentEpoch }
        if let earlier = pipeline.takeFailure(queueing: closeFailure.map { (epoch, $0) }) { throw earlier }
        if let closeFailure { throw closeFailure }
    }
}
