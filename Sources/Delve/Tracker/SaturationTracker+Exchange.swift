import Foundation

extension SaturationTracker {
    /// The (layer, phase) pairs that saw batches this epoch, layers in first-seen order, train before eval —
    /// the states to exchange between processes before ``endEpoch()`` (data-parallel training).
    public func epochLayers() -> [(layer: String, phase: Phase)] {
        let (order, table) = lock.withLock { (layerOrder, slots) }
        var result: [(layer: String, phase: Phase)] = []
        for layer in order {
            for phase in Phase.allCases {
                guard let slot = table[SlotKey(layer: layer, phase: phase)] else { continue }
                if slot.lock.withLock({ slot.batchesThisEpoch > 0 }) { result.append((layer, phase)) }
            }
        }
        return result
    }

    /// The serialized accumulator of `layer` in `phase` (``CovarianceAccumulator/serialized()``), or nil when
    /// it has none.
    public func serializedState(layer: String, phase: Phase) -> [UInt8]? {
        guard let slot = lock.withLock({ slots[SlotKey(layer: layer, phase: phase)] }) else { return nil }
        return slot.lock.withLock { slot.accumulator?.serialized() }
    }

    /// Replaces the accumulated state of `layer` in `phase` by a serialized one (e.g. the merge of every
    /// process's state), creating the layer if it is new; the next ``endEpoch()`` reports it. The feature
    /// count must match the layer's.
    public func replaceState(layer: String, phase: Phase, serialized bytes: [UInt8]) throws(CovarianceError) {
        let slot = lock.withLock { slotHoldingLock(layer: layer, phase: phase) }
        slot.lock.lock()
        defer { slot.lock.unlock() }
        do {
            let expected = slot.accumulator?.features
            let state = try CovarianceAccumulator(serialized: bytes, source: "layer '\(layer)' state",
                                                  expectedFeatures: expected)
            let accumulator = slot.accumulator
                ?? CovarianceAccumulator(features: state.features, name: layer, precision: options.precision)
            accumulator.reset()
            try accumulator.merge(state)
            slot.accumulator = accumulator
            slot.samplesThisEpoch = accumulator.count
            slot.batchesThisEpoch = max(slot.batchesThisEpoch, 1)
        }
    }

    /// Records a batch of `layer` in `phase` given by its moments — `count` observations, their mean (D
    /// values) and centred co-moment (D×D row-major, upper triangle read) — merged exactly
    /// (``CovarianceAccumulator/merge(count:mean:comoment:)``); for batches whose moments were computed
    /// where the data live (an accelerator). Ignored while stopped; ``TrackerOptions/logInterval`` and
    /// ``TrackerOptions/maxSamples`` do not apply (the caller decides which batches to reduce).
    public func recordMoments(layer: String, phase: Phase, count: Int, mean: UnsafeBufferPointer<Double>,
                              comoment: UnsafeBufferPointer<Double>) throws(TrackerError) {
        guard isRecording else { return }
        let slot = lock.withLock { slotHoldingLock(layer: layer, phase: phase) }
        slot.lock.lock()
        defer { slot.lock.unlock() }
        slot.offeredThisEpoch += 1
        let accumulator = slot.accumulator
            ?? CovarianceAccumulator(features: mean.count, name: layer, precision: options.precision)
        do {
            try accumulator.merge(count: count, mean: mean, comoment: comoment)
        } catch {
            throw .badBatch(layer: layer, phase: phase, batch: slot.offeredThisEpoch, reason: error.detail)
        }
        slot.accumulator = accumulator
        slot.samplesThisEpoch += count
        slot.batchesThisEpoch += 1
    }
}
