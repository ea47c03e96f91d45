/// A batch's per-sample probe features (`SampleRows`: one row per sample whatever the tracker's
/// covariance layout). Dense rows are read in place; other rows go to a buffer reused from batch to batch.
final class ProbeRows: @unchecked Sendable {   // used under the owning slot's lock
    private let sampleRows = SampleRows()
    private var buffer: [Float] = []

    /// Whether the tracker's covariance rows under `layout` are these rows, so the probe can share the
    /// slot's accumulator instead of keeping its own.
    static func sharesRows(kind: ActivationKind, layout: LayoutOptions) -> Bool {
        switch kind {
        case .dense: return true
        case .convolution: return layout.convMethod == .mean && layout.downsample == nil
        case .sequence: return layout.timeseriesMethod == .last
        }
    }

    /// The feature width of the rows of a batch of `shape`.
    func features(shape: [Int], kind: ActivationKind) throws(LayoutError) -> Int {
        try sampleRows.reducer.features(shape: shape, kind: kind)
    }

    /// Calls `body` with the batch's rows (samples × features, row-major) and their count and width.
    func withRows<R>(_ data: UnsafeBufferPointer<Float>, shape: [Int], kind: ActivationKind,
                     _ body: (UnsafeBufferPointer<Float>, Int, Int) throws -> R) throws -> R {
        let plan = try sampleRows.plan(data, shape: shape, kind: kind)
        if case .dense = plan.kind { return try body(data, plan.rows, plan.features) }
        ReductionScratch.reserve(&buffer, plan.rows * plan.features)
        buffer.withUnsafeMutableBufferPointer { out in
            sampleRows.write(data, plan: plan, into: UnsafeMutableBufferPointer(rebasing: out[0..<(plan.rows * plan.features)]))
        }
        return try buffer.withUnsafeBufferPointer { try body($0, plan.rows, plan.features) }
    }
}
