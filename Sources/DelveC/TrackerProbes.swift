import Delve

// The linear probes of include/delve.h: the options' `probes` and `probe_ridge`, and the labels of a
// batch (`delve_tracker_set_labels`). The values come out as `train-probe-r2_<layer>` and
// `eval-probe-accuracy_<layer>` through the delve_tracker_last_value* calls.

/// The probe options of the C struct: nil when `probes` is 0; else `ProbeOptions` with λ = `probe_ridge`
/// when it is > 0 and the default 1e-3 · tr Σ / D when it is ≤ 0 (see `LinearProbe`).
func parseProbeOptions(_ c: CTrackerOptions) throws(CFailure) -> ProbeOptions? {
    guard c.probes != 0 else { return nil }
    guard c.probeRidge.isFinite else {
        throw CFailure(.argument, "probe_ridge must be a finite number (> 0: the ridge λ; ≤ 0: the default "
            + "1e-3·tr Σ/D), got \(c.probeRidge)")
    }
    guard c.resetCovariance != 0 else {
        throw CFailure(.argument, "probes need reset_covariance = 1 (the probe statistics start afresh every epoch)")
    }
    return ProbeOptions(ridge: c.probeRidge > 0 ? c.probeRidge : nil)
}

/// `delve_tracker_set_labels`: the class labels (≥ 0) of the next batches of `phase` for every layer
/// (`SaturationTracker.setLabels(_:phase:)`); NULL with count 0 clears them.
@_cdecl("delve_tracker_set_labels")
public func delve_tracker_set_labels(_ handle: OpaquePointer?, _ phaseValue: Int32, _ labels: UnsafePointer<Int64>?,
                                     _ count: Int64) -> Int32 {
    guarded {
        let h = try tracker(handle)
        let phase = try parsePhase(phaseValue)
        let n = try nonNegative(count, "count")
        guard let labels else {
            guard n == 0 else { throw CFailure(.argument, "labels must not be NULL when count is \(n) (NULL with count 0 clears them)") }
            h.tracker.setLabels(nil, phase: phase)
            return
        }
        var values = [Int](repeating: 0, count: n)
        for i in 0..<n {
            guard labels[i] >= 0 else {
                throw CFailure(.argument, "labels[\(i)] is \(labels[i]); expected class indices ≥ 0")
            }
            values[i] = Int(labels[i])
        }
        h.tracker.setLabels(values, phase: phase)
    }
}
