import Foundation

/// The labels of the next forward pass, per phase (``SaturationTracker/setLabels(_:phase:)``).
final class ProbeLabels: @unchecked Sendable {   // every field is guarded by `lock`
    private let lock = NSLock()
    private var current: [Phase: [Int]] = [:]

    func set(_ labels: [Int]?, phase: Phase) { lock.withLock { current[phase] = labels } }
    func labels(for phase: Phase) -> [Int]? { lock.withLock { current[phase] } }
}

/// The probe state of one tracker slot (guarded by the slot's lock): in the train phase the class sums
/// of the fit rows (with their own covariance when the slot's rows are not one per sample) and the
/// probe once solved; in the eval phase the counts of correct predictions.
final class SlotProbe: @unchecked Sendable {
    let rows = ProbeRows()
    /// Train: the per-class counts and sums of the epoch's fit rows.
    var sums: ProbeClassSums?
    /// Train: the covariance of the per-sample rows when the slot's covariance rows differ from them.
    var own: CovarianceAccumulator?
    /// Train: whether the probe of this epoch was solved (at the first eval batch or the epoch end).
    var solvedThisEpoch = false
    /// Train: the solved probe, or why there is none.
    var solved: Result<LinearProbe, ProbeError>?
    /// Eval: the correctly classified samples and the samples classified this epoch.
    var correct = 0, total = 0
    /// Eval: why samples could not be classified (the first reason), if any.
    var evalNote: String?
    var scratch: [Double] = []

    /// This epoch's probe state for the epoch end (call holding the slot's lock): the class sums, the own
    /// accumulator, the probe if solved and the eval counts go to the snapshot; the slot's probe starts the
    /// next epoch empty (probes need `resetCovariance`).
    func takeEpoch() -> ProbeEpoch {
        let taken = ProbeEpoch(solved: solvedThisEpoch ? solved : nil, sums: sums, own: own,
                               correct: correct, total: total, evalNote: evalNote)
        sums?.reset()            // a value: the snapshot keeps its counts
        own = own?.emptyCopy()   // an object: the snapshot keeps the filled one
        solvedThisEpoch = false
        solved = nil
        correct = 0
        total = 0
        evalNote = nil
        return taken
    }
}

/// A slot's probe state at the epoch end (``SlotProbe/takeEpoch()``), read by ``SaturationTracker/applyProbe(_:phase:accumulator:to:)``.
struct ProbeEpoch: @unchecked Sendable {   // the accumulator is the epoch end's alone
    let solved: Result<LinearProbe, ProbeError>?
    let sums: ProbeClassSums?
    let own: CovarianceAccumulator?
    let correct: Int
    let total: Int
    let evalNote: String?
}

extension SaturationTracker {
    /// Sets the class labels (0..<K) of the next forward pass's batch in `phase`: every layer recorded
    /// in that phase through ``record(layer:phase:batch:)`` (the forward hooks) takes them until the
    /// next call. Needed only with ``TrackerOptions/probes``; `nil` clears them.
    public func setLabels(_ labels: [Int]?, phase: Phase) {
        probeLabels.set(labels, phase: phase)
    }

    /// Runs `body` (a forward pass) with `labels` set for `phase`, and clears them afterwards.
    public func withLabels<R>(_ labels: [Int], phase: Phase, _ body: () throws -> R) rethrows -> R {
        setLabels(labels, phase: phase)
        defer { setLabels(nil, phase: phase) }
        return try body()
    }

    /// Checks the probe options at creation: valid values, and a covariance reset at every epoch end
    /// (the probe's class sums are not part of the saved tracker state, so they cannot span epochs).
    static func validateProbes(_ options: TrackerOptions) throws(TrackerError) {
        guard let probes = options.probes else { return }
        do { try probes.validate() } catch { throw .invalidOption(error.description) }
        guard options.resetCovariance else {
            throw .invalidOption("probes need resetCovariance (the probe statistics start afresh every epoch)")
        }
    }

    /// The probe work of one accepted batch, prepared before the slot's covariance changes: the labels
    /// checked and cut to the samples taken. `nil` when probes are off.
    struct ProbeBatch {
        let labels: ArraySlice<Int>
    }

    /// Checks `labels` for a batch of `samples` samples of which `take` are recorded (throws a reason
    /// for ``TrackerError/badBatch(layer:phase:batch:reason:)``; nothing has changed then).
    func prepareProbe(labels: [Int]?, samples: Int, take: Int) throws -> ProbeBatch? {
        guard let probes = options.probes else { return nil }
        guard let labels else {
            throw ProbeError.badLabels("probes are on but no labels were given for this batch "
                                       + "(setLabels(_:phase:) before the forward pass, or record(…labels:))")
        }
        guard labels.count == samples else {
            throw ProbeError.badLabels("\(labels.count) label(s) for a batch of \(samples) sample(s)")
        }
        let cut = labels[0..<take]
        try ProbeClassSums(features: 1, classes: probes.classes).check(labels: cut, rows: take)
        return ProbeBatch(labels: cut)
    }

    /// Adds the batch to the slot's probe (call holding the slot's lock, after its covariance took the
    /// batch): a train batch to the class sums, an eval batch to the counts of the layer's probe,
    /// solved from `trainSlot` (the layer's train slot, looked up beforehand under the tracker's lock, so
    /// that no slot lock is ever held while the tracker's lock is taken) at the first eval batch of the epoch.
    func recordProbe(_ probe: ProbeBatch, layer: String, phase: Phase, slot: Slot, trainSlot: Slot?, batch: some ActivationBatch,
                     shape: [Int], kind: ActivationKind) throws {
        let state = slot.probe ?? SlotProbe()
        slot.probe = state
        let take = probe.labels.count
        switch phase {
        case .train:
            try batch.withUnsafeFloats { values in
                try state.rows.withRows(values, shape: shape, kind: kind) { rows, _, features in
                    let fit = UnsafeBufferPointer(rebasing: rows[0..<(take * features)])
                    if !ProbeRows.sharesRows(kind: kind, layout: options.layout) {
                        let own = state.own ?? CovarianceAccumulator(features: features, name: layer, precision: options.precision)
                        state.own = own
                        try own.update(fit, rows: take)
                    }
                    if state.sums == nil { state.sums = ProbeClassSums(features: features, classes: options.probes?.classes) }
                    try state.sums!.add(fit, rows: take, labels: probe.labels)
                }
            }
        case .eval:
            guard let fitted = trainSlot.flatMap({ train in train.lock.withLock { solveProbeHoldingLock(slot: train) } }) else {
                if state.evalNote == nil { state.evalNote = "no probe: the train phase saw no batch of this layer this epoch" }
                return
            }
            switch fitted {
            case .failure(let error):
                if state.evalNote == nil { state.evalNote = "no probe: \(error)" }
            case .success(let linear):
                try batch.withUnsafeFloats { values in
                    try state.rows.withRows(values, shape: shape, kind: kind) { rows, _, features in
                        guard features == linear.features else { throw ProbeError.widthChanged(expected: linear.features, got: features) }
                        state.correct += linear.correctCount(rows, rows: take, labels: probe.labels, scratch: &state.scratch)
                        state.total += take
                    }
                }
            }
        }
    }

    /// Solves the train slot's probe once per epoch (call holding its lock).
    private func solveProbeHoldingLock(slot: Slot) -> Result<LinearProbe, ProbeError>? {
        guard let options = options.probes, let state = slot.probe, let sums = state.sums, sums.count > 0 else { return nil }
        if !state.solvedThisEpoch {
            state.solvedThisEpoch = true
            state.solved = Self.fitProbe(sums: sums, rows: state.own ?? slot.accumulator, options: options)
        }
        return state.solved
    }

    /// The probe of `sums` over the rows `rows` accumulates (nil when there are no rows).
    private static func fitProbe(sums: ProbeClassSums?, rows: CovarianceAccumulator?, options: ProbeOptions) -> Result<LinearProbe, ProbeError>? {
        guard let sums, sums.count > 0, let rows else { return nil }
        do { return .success(try LinearProbe(accumulator: rows, sums: sums, options: options)) } catch { return .failure(error) }
    }

    /// The probe values of one (layer, phase) for the epoch that ends, from the state its snapshot took
    /// (``ProbeEpoch``): `probe-r2` on the train entry (the probe solved at the first eval batch, or now
    /// from `accumulator` — the layer's own rows' accumulator, read in place or handed over), and
    /// `probe-accuracy` on the eval entry.
    func applyProbe(_ probe: ProbeEpoch?, phase: Phase, accumulator: CovarianceAccumulator?, to values: inout LayerEpochValues) {
        guard let options = options.probes, let probe else { return }
        switch phase {
        case .train:
            switch probe.solved ?? Self.fitProbe(sums: probe.sums, rows: probe.own ?? accumulator, options: options) {
            case .success(let linear)?: values.statistics[.probeR2] = linear.r2
            case .failure(let error)?: values.notes.append("probe: \(error)")
            case nil: break
            }
        case .eval:
            if probe.total > 0 { values.statistics[.probeAccuracy] = Double(probe.correct) / Double(probe.total) }
            if let note = probe.evalNote { values.notes.append("probe: \(note)") }
        }
    }
}
