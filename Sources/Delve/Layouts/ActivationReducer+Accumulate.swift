extension ActivationReducer {
    /// Reduces one batch and feeds it into `accumulator`, without copies where the layout allows:
    /// dense outputs, timestepwise sequences and the last timestep of a time-first sequence go in as
    /// they are; channelwise convolutions go to
    /// ``CovarianceAccumulator/updateChannelwise(_:batch:channels:spatial:)`` (after downsampling, if
    /// any); the other methods reduce into a temporary buffer first.
    ///
    /// Throws ``LayoutError`` for a shape that does not fit the kind, and ``CovarianceError`` when the
    /// accumulator rejects the batch (non-finite values, feature count mismatch).
    public func accumulate(_ data: UnsafeBufferPointer<Float>, shape: [Int], kind: ActivationKind,
                           into accumulator: CovarianceAccumulator) throws {
        let plan = try checkedPlan(data, shape: shape, kind: kind)
        switch plan.kind {
        case .dense:
            try accumulator.update(data, rows: plan.rows)
        case .sequence(let batchFirst):
            switch options.timeseriesMethod {
            case .timestepwise:
                try accumulator.update(data, rows: plan.rows)
            case .last where !batchFirst:
                let block = plan.batch * plan.width
                let start = (plan.height - 1) * block
                try accumulator.update(UnsafeBufferPointer(rebasing: data[start..<(start + block)]), rows: plan.rows)
            case .last:
                let values = Self.lastTimestep(data, plan: plan, batchFirst: true)
                try values.withUnsafeBufferPointer { (p) throws(CovarianceError) in try accumulator.update(p, rows: plan.rows) }
            }
        case .convolution:
            let spatial = plan.outHeight * plan.outWidth
            let resizes = plan.outHeight != plan.height || plan.outWidth != plan.spatialWidth
            if options.convMethod == .channelwise {
                if resizes {
                    let values = resized(data, plan: plan)
                    try values.withUnsafeBufferPointer { (p) throws(CovarianceError) in
                        try accumulator.updateChannelwise(p, batch: plan.batch, channels: plan.width, spatial: spatial)
                    }
                } else {
                    try accumulator.updateChannelwise(data, batch: plan.batch, channels: plan.width, spatial: spatial)
                }
                return
            }
            if options.convMethod == .flatten && !resizes {
                try accumulator.update(data, rows: plan.rows)
                return
            }
            let source = resizes ? resized(data, plan: plan) : []
            let reduced = resizes
                ? source.withUnsafeBufferPointer { reduceConvolution($0, plan: plan) }
                : reduceConvolution(data, plan: plan)
            try reduced.withUnsafeBufferPointer { (p) throws(CovarianceError) in try accumulator.update(p, rows: plan.rows) }
        }
    }
}
