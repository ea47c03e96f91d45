/// One row per sample of a layer's batch, whatever the tracker's covariance layout: dense rows as they
/// are, a convolution's spatial mean per channel (N × C), a sequence's last timestep (N × F). The rows
/// the linear probes and linear CKA read.
final class SampleRows: @unchecked Sendable {   // used under its owner's lock
    let reducer = ActivationReducer(options: LayoutOptions(convMethod: .mean, timeseriesMethod: .last))
    private var median: [Float] = []

    /// The plan of a batch of `shape` (checks that `data` holds exactly its values).
    func plan(_ data: UnsafeBufferPointer<Float>, shape: [Int], kind: ActivationKind) throws(LayoutError) -> ActivationReducer.Plan {
        try reducer.checkedPlan(data, shape: shape, kind: kind)
    }

    /// Writes the batch's `plan.rows × plan.features` rows into `out`.
    func write(_ data: UnsafeBufferPointer<Float>, plan: ActivationReducer.Plan, into out: UnsafeMutableBufferPointer<Float>) {
        switch plan.kind {
        case .dense: _ = out.update(fromContentsOf: data)
        case .sequence(let batchFirst): ActivationReducer.lastTimestep(data, plan: plan, batchFirst: batchFirst, into: out)
        case .convolution: reducer.reduceConvolution(data, plan: plan, into: out, median: &median)
        }
    }
}
