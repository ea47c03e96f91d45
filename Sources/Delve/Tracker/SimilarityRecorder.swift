import Foundation

/// The tracker's linear-CKA state for one phase (see ``CKAOptions``): it pairs the layers' batches of
/// one forward pass (a pass ends when a layer that already delivered a batch delivers another, or at the
/// epoch end), reduces each to one row per sample and adds the pass to a ``LayerSimilarityAccumulator``.
///
/// The layer set is fixed by the first complete pass; its memory is checked (``CKAOptions/plan(layers:)``,
/// the announcement kept in ``announcement``) before anything is accumulated. A later pass with other layers or row counts is skipped
/// and counted in the matrix's notes.
final class SimilarityRecorder: @unchecked Sendable {   // every field is guarded by `lock`
    let options: CKAOptions
    private let sampleRows = SampleRows()
    private let lock = NSLock()
    /// The line of ``CKAOptions/plan(layers:)`` once the layer set is known.
    private(set) var announcement: String?
    private var accumulator: LayerSimilarityAccumulator?
    private var passOrder: [String] = []
    /// The layers of the pass so far: rows, features (their values wait in `storage`).
    private var pending: [String: (rows: Int, features: Int)] = [:]
    /// Each layer's reduced rows, reused from batch to batch (no copy of the layer's output).
    private var storage: [String: [Float]] = [:]
    private var skippedPasses = 0
    private var firstSkipReason: String?
    private var refused: SimilarityError?

    /// ``announcement``, read under the lock.
    var currentAnnouncement: String? { lock.withLock { announcement } }

    init(options: CKAOptions) {
        self.options = options
    }

    /// Takes the first `take` samples of a batch of `layer`.
    func record(layer: String, batch: some ActivationBatch, shape: [Int], kind: ActivationKind, take: Int) throws(TrackerError) {
        lock.lock()
        defer { lock.unlock() }
        if let refused { throw .cka(refused.description) }
        if pending[layer] != nil { try flush() }
        let plan: ActivationReducer.Plan
        do {
            plan = try batch.withUnsafeFloats { values in try sampleRows.plan(values, shape: shape, kind: kind) }
        } catch {
            throw .cka("layer '\(layer)': \(error)")
        }
        let rows = min(take, plan.rows)
        ReductionScratch.reserve(&storage[layer, default: []], plan.rows * plan.features)
        batch.withUnsafeFloats { values in
            storage[layer]!.withUnsafeMutableBufferPointer { out in
                sampleRows.write(values, plan: plan, into: UnsafeMutableBufferPointer(rebasing: out[0..<(plan.rows * plan.features)]))
            }
        }
        pending[layer] = (rows, plan.features)
        if accumulator == nil && !passOrder.contains(layer) { passOrder.append(layer) }
    }

    /// Adds the pending pass to the accumulator (creating it, after the memory check, on the first pass).
    private func flush() throws(TrackerError) {
        guard !pending.isEmpty else { return }
        defer { pending.removeAll(keepingCapacity: true) }
        if accumulator == nil {
            let layers = passOrder.map { (name: $0, features: pending[$0]?.features ?? 0) }
            do {
                announcement = try options.plan(layers: layers)
            } catch {
                refused = error
                throw .cka(error.description)
            }
            accumulator = LayerSimilarityAccumulator(layers: layers.map(\.name), features: layers.map(\.features))
        }
        let accumulator = accumulator!
        let rows = pending.values.first!.rows
        var reason: String?
        if Set(pending.keys) != Set(accumulator.layers) {
            reason = "the pass had layers \(pending.keys.sorted()), expected \(accumulator.layers)"
        } else if let odd = pending.first(where: { $0.value.rows != rows }) {
            reason = "layer '\(odd.key)' had \(odd.value.rows) samples, another \(rows)"
        } else if let odd = accumulator.layers.indices.first(where: { pending[accumulator.layers[$0]]!.features != accumulator.features[$0] }) {
            reason = "layer '\(accumulator.layers[odd])' changed width to \(pending[accumulator.layers[odd]]!.features)"
        }
        if reason == nil {
            let blocks = accumulator.layers.map { storage[$0]! }
            do {
                try withPointers(blocks, rows: rows, features: accumulator.features) { pointers throws(SimilarityError) in
                    try accumulator.update(pointers, rows: rows)
                }
            } catch {
                reason = error.description
            }
        }
        if let reason {
            skippedPasses += 1
            if firstSkipReason == nil { firstSkipReason = reason }
        }
    }

    /// The epoch's CKA matrix (nil when nothing was recorded), and a fresh state for the next epoch.
    func endEpoch() throws(TrackerError) -> CKAMatrix? {
        lock.lock()
        defer { lock.unlock() }
        if refused != nil { pending.removeAll(); return nil }
        try flush()
        guard let accumulator, accumulator.count > 0 || skippedPasses > 0 else { return nil }
        var matrix = accumulator.matrix(phase: options.phase)
        if skippedPasses > 0 {
            matrix.notes.append("skipped \(skippedPasses) forward pass(es) whose layers did not match; the first: \(firstSkipReason ?? "?")")
        }
        accumulator.reset()
        skippedPasses = 0
        firstSkipReason = nil
        return matrix
    }
}

/// Calls `body` with pointers to the first `rows × features[i]` values of every array.
private func withPointers<E: Error>(_ arrays: [[Float]], rows: Int, features: [Int],
                                    _ body: ([UnsafeBufferPointer<Float>]) throws(E) -> Void) throws(E) {
    var pointers: [UnsafeBufferPointer<Float>] = []
    func descend(_ index: Int) throws(E) {
        if index == arrays.count { try body(pointers); return }
        try arrays[index].withUnsafeBufferPointer { (pointer: UnsafeBufferPointer<Float>) throws(E) in
            pointers.append(UnsafeBufferPointer(rebasing: pointer[0..<(rows * features[index])]))
            try descend(index + 1)
        }
    }
    try descend(0)
}

extension SaturationTracker {
    /// The memory announcement of linear CKA (``CKAOptions/plan(layers:)``) once the first forward pass
    /// has shown the layers; nil before, or when CKA is off.
    public var ckaAnnouncement: String? { similarity?.currentAnnouncement }
}
