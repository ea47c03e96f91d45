extension ActivationReducer {
    /// Reduces one batch and feeds it into `accumulator`, without copies where the layout allows:
    /// dense outputs, timestep-observation sequences, flattened batch-first sequences and the last timestep
    /// of a time-first sequence go in as they are (a flattened time-first sequence is gathered into
    /// `scratch` first); channelwise convolutions go to
    /// ``CovarianceAccumulator/updateChannelwise(_:batch:channels:spatial:)`` (after downsampling, if
    /// any); the other methods reduce into a temporary buffer first.
    ///
    /// Throws ``LayoutError`` for a shape that does not fit the kind, and ``CovarianceError`` when the
    /// accumulator rejects the batch (non-finite values, feature count mismatch).
    ///
    /// `scratch` holds the memory of the reducing layouts between calls; pass the same one for every
    /// batch of a layer (and phase) so that steady-state batches allocate nothing. Without it, each
    /// call uses a fresh one.
    public func accumulate(_ data: UnsafeBufferPointer<Float>, shape: [Int], kind: ActivationKind,
                           into accumulator: CovarianceAccumulator, scratch: ReductionScratch? = nil) throws {
        let plan = try checkedPlan(data, shape: shape, kind: kind)
        let scratch = scratch ?? ReductionScratch()
        switch plan.kind {
        case .dense:
            try accumulator.update(data, rows: plan.rows)
        case .sequence(let batchFirst):
            switch options.timeseriesMethod {
            case .timestepObservations:
                try accumulator.update(data, rows: plan.rows)
            case .flattenedSequence where batchFirst:
                try accumulator.update(data, rows: plan.rows)
            case .flattenedSequence:
                let count = plan.rows * plan.features
                ReductionScratch.reserve(&scratch.reduced, count)
                try scratch.reduced.withUnsafeMutableBufferPointer { (out) throws(CovarianceError) in
                    let values = UnsafeMutableBufferPointer(rebasing: out[0..<count])
                    Self.flattenTimeFirst(data, plan: plan, into: values)
                    try accumulator.update(UnsafeBufferPointer(values), rows: plan.rows)
                }
            case .last where !batchFirst:
                let block = plan.batch * plan.width
                let start = (plan.height - 1) * block
                try accumulator.update(UnsafeBufferPointer(rebasing: data[start..<(start + block)]), rows: plan.rows)
            case .last:
                let count = plan.batch * plan.width
                ReductionScratch.reserve(&scratch.reduced, count)
                try scratch.reduced.withUnsafeMutableBufferPointer { (out) throws(CovarianceError) in
                    let values = UnsafeMutableBufferPointer(rebasing: out[0..<count])
                    Self.lastTimestep(data, plan: plan, batchFirst: true, into: values)
                    try accumulator.update(UnsafeBufferPointer(values), rows: plan.rows)
                }
            }
        case .convolution:
            let spatial = plan.outHeight * plan.outWidth
            let resizes = plan.outHeight != plan.height || plan.outWidth != plan.spatialWidth
            if !resizes {
                try accumulateConvolution(data, plan: plan, spatial: spatial, into: accumulator, scratch: scratch)
                return
            }
            let count = plan.batch * plan.width * spatial
            ReductionScratch.reserve(&scratch.resized, count)
            let rows = scratch.weights(rows: true, input: plan.height, output: plan.outHeight)
            let columns = scratch.weights(rows: false, input: plan.spatialWidth, output: plan.outWidth)
            try scratch.resized.withUnsafeMutableBufferPointer { (out) throws in
                let values = UnsafeMutableBufferPointer(rebasing: out[0..<count])
                BilinearResize.resize(data, planes: plan.batch * plan.width, height: plan.height, width: plan.spatialWidth,
                                      rows: rows, columns: columns, into: values)
                try accumulateConvolution(UnsafeBufferPointer(values), plan: plan, spatial: spatial,
                                          into: accumulator, scratch: scratch)
            }
        }
    }

    /// Feeds an N×C×H′×W′ buffer (already downsampled) through the convolution method.
    private func accumulateConvolution(_ data: UnsafeBufferPointer<Float>, plan: Plan, spatial: Int,
                                       into accumulator: CovarianceAccumulator, scratch: ReductionScratch) throws {
        switch options.convMethod {
        case .channelwise:
            try accumulator.updateChannelwise(data, batch: plan.batch, channels: plan.width, spatial: spatial)
        case .flatten:
            try accumulator.update(data, rows: plan.rows)
        case .mean, .max, .median:
            let count = plan.rows * plan.features
            ReductionScratch.reserve(&scratch.reduced, count)
            try scratch.reduced.withUnsafeMutableBufferPointer { (out) throws(CovarianceError) in
                let values = UnsafeMutableBufferPointer(rebasing: out[0..<count])
                reduceConvolution(data, plan: plan, into: values, median: &scratch.median)
                try accumulator.update(UnsafeBufferPointer(values), rows: plan.rows)
            }
        }
    }
}
