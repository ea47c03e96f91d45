/// Turns one batch of a layer's output into rows of features for the covariance accumulator,
/// following the ``LayoutOptions``.
///
/// | kind | method | rows × features |
/// |---|---|---|
/// | dense N×D | — | N × D |
/// | convolution N×C×H×W | channelwise | (N·H·W) × C |
/// | | mean, max, median | N × C (pooled over H·W) |
/// | | flatten | N × (C·H·W) |
/// | sequence N×T×F or T×N×F | last | N × F (the last timestep, along the time axis of either order) |
/// | | timestepObservations | (N·T) × F |
/// | | flattenedSequence | N × (T·F) (each sequence in time order; Delve's `timestepwise`) |
///
/// With ``LayoutOptions/downsample`` set, H and W are first resized bilinearly to at most that many
/// each (H′ = min(H, s), W′ = min(W, s)); Delve instead resizes both to exactly s×s as soon as
/// either exceeds s. Rows keep the order in memory (for T×N×F time-major); the covariance does not
/// depend on the order of the observations.
public struct ActivationReducer: Sendable {
    /// The layout choices.
    public let options: LayoutOptions

    /// Creates a reducer with `options`.
    public init(options: LayoutOptions) {
        self.options = options
    }

    /// The validated dimensions of one batch.
    struct Plan {
        var kind: ActivationKind
        var shape: [Int]
        var batch: Int
        /// dense: D; convolution: C; sequence: F.
        var width: Int
        /// convolution: input H and W, and H′ and W′ after downsampling; sequence: T in `height`.
        var height = 1, spatialWidth = 1, outHeight = 1, outWidth = 1
        var elementCount: Int
        var rows: Int
        var features: Int
    }

    func plan(shape: [Int], kind: ActivationKind) throws(LayoutError) -> Plan {
        guard shape.count == kind.rank else { throw LayoutError(.wrongRank(kind: kind, shape: shape)) }
        var elements = 1
        for dimension in shape {
            guard dimension >= 0 else { throw LayoutError(.invalidDimension(kind: kind, shape: shape)) }
            let (product, overflow) = elements.multipliedReportingOverflow(by: dimension)
            guard !overflow else { throw LayoutError(.sizeOverflow(shape: shape)) }
            elements = product
        }
        switch kind {
        case .dense:
            guard shape[1] >= 1 else { throw LayoutError(.invalidDimension(kind: kind, shape: shape)) }
            return Plan(kind: kind, shape: shape, batch: shape[0], width: shape[1], elementCount: elements,
                        rows: shape[0], features: shape[1])
        case .convolution:
            let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
            guard c >= 1, h >= 1, w >= 1 else { throw LayoutError(.invalidDimension(kind: kind, shape: shape)) }
            var outH = h, outW = w
            if let limit = options.downsample {
                guard limit >= 1 else { throw LayoutError(.invalidDownsample(limit)) }
                outH = min(h, limit)
                outW = min(w, limit)
            }
            var plan = Plan(kind: kind, shape: shape, batch: n, width: c, height: h, spatialWidth: w,
                            outHeight: outH, outWidth: outW, elementCount: elements, rows: n, features: c)
            switch options.convMethod {
            case .channelwise: plan.rows = n * outH * outW
            case .mean, .max, .median: break
            case .flatten: plan.features = c * outH * outW
            }
            return plan
        case .sequence(let batchFirst):
            let n = batchFirst ? shape[0] : shape[1]
            let t = batchFirst ? shape[1] : shape[0]
            let f = shape[2]
            guard t >= 1, f >= 1 else { throw LayoutError(.invalidDimension(kind: kind, shape: shape)) }
            var plan = Plan(kind: kind, shape: shape, batch: n, width: f, height: t, elementCount: elements,
                            rows: n, features: f)
            switch options.timeseriesMethod {
            case .last: break
            case .timestepObservations: plan.rows = n * t
            case .flattenedSequence:
                let (features, overflow) = t.multipliedReportingOverflow(by: f)
                guard !overflow else { throw LayoutError(.sizeOverflow(shape: shape)) }
                plan.features = features
            }
            return plan
        }
    }

    /// The number of features D after the reduction (C for pooled or channelwise convolutions).
    public func features(shape: [Int], kind: ActivationKind) throws(LayoutError) -> Int {
        try plan(shape: shape, kind: kind).features
    }

    /// The number of observations (rows) after the reduction (N·H′·W′ for channelwise convolutions,
    /// N·T for timestep-observation sequences, N otherwise).
    public func observations(shape: [Int], kind: ActivationKind) throws(LayoutError) -> Int {
        try plan(shape: shape, kind: kind).rows
    }

    /// The reduced rows×features matrix (row-major) of one batch.
    public func reduce(_ data: UnsafeBufferPointer<Float>, shape: [Int], kind: ActivationKind) throws(LayoutError) -> (rows: Int, features: Int, values: [Float]) {
        let plan = try checkedPlan(data, shape: shape, kind: kind)
        switch plan.kind {
        case .dense:
            return (plan.rows, plan.features, Array(data))
        case .sequence(let batchFirst):
            switch options.timeseriesMethod {
            case .timestepObservations:
                return (plan.rows, plan.features, Array(data))
            case .flattenedSequence where batchFirst:
                return (plan.rows, plan.features, Array(data))
            case .flattenedSequence:
                var out = [Float](repeating: 0, count: plan.rows * plan.features)
                out.withUnsafeMutableBufferPointer { Self.flattenTimeFirst(data, plan: plan, into: $0) }
                return (plan.rows, plan.features, out)
            case .last:
                return (plan.rows, plan.features, Self.lastTimestep(data, plan: plan, batchFirst: batchFirst))
            }
        case .convolution:
            let values = resized(data, plan: plan)
            let reduced = values.withUnsafeBufferPointer { reduceConvolution($0, plan: plan) }
            return (plan.rows, plan.features, reduced)
        }
    }

    /// Checks that the buffer holds exactly product(shape) values and returns the plan.
    func checkedPlan(_ data: UnsafeBufferPointer<Float>, shape: [Int], kind: ActivationKind) throws(LayoutError) -> Plan {
        let plan = try plan(shape: shape, kind: kind)
        guard data.count == plan.elementCount else {
            throw LayoutError(.sizeMismatch(shape: shape, expected: plan.elementCount, actual: data.count))
        }
        return plan
    }

    /// The convolution's values after optional downsampling (a copy of the input when none applies).
    func resized(_ data: UnsafeBufferPointer<Float>, plan: Plan) -> [Float] {
        guard plan.outHeight != plan.height || plan.outWidth != plan.spatialWidth else { return Array(data) }
        return BilinearResize.resize(data, planes: plan.batch * plan.width, height: plan.height, width: plan.spatialWidth,
                                     outHeight: plan.outHeight, outWidth: plan.outWidth)
    }

    /// Reduces an N×C×H′×W′ buffer (already downsampled) to the plan's rows×features.
    func reduceConvolution(_ data: UnsafeBufferPointer<Float>, plan: Plan) -> [Float] {
        if options.convMethod == .flatten { return Array(data) }
        var out = [Float](repeating: 0, count: plan.rows * plan.features)
        var median: [Float] = []
        out.withUnsafeMutableBufferPointer { reduceConvolution(data, plan: plan, into: $0, median: &median) }
        return out
    }

    /// Reduces an N×C×H′×W′ buffer into `out` (plan.rows × plan.features values) for the
    /// `channelwise`, `mean`, `max` and `median` methods; `median` is grown as needed and reused.
    func reduceConvolution(_ data: UnsafeBufferPointer<Float>, plan: Plan, into out: UnsafeMutableBufferPointer<Float>,
                           median: inout [Float]) {
        let n = plan.batch, c = plan.width, spatial = plan.outHeight * plan.outWidth
        switch options.convMethod {
        case .flatten:
            _ = out.update(fromContentsOf: data)
        case .channelwise:
            for sample in 0..<n {
                for channel in 0..<c {
                    let source = (sample * c + channel) * spatial
                    for s in 0..<spatial { out[(sample * spatial + s) * c + channel] = data[source + s] }
                }
            }
        case .mean, .max, .median:
            if options.convMethod == .median { ReductionScratch.reserve(&median, spatial) }
            for plane in 0..<(n * c) {
                let values = UnsafeBufferPointer(rebasing: data[(plane * spatial)..<((plane + 1) * spatial)])
                switch options.convMethod {
                case .mean: out[plane] = Self.mean(values)
                case .max: out[plane] = Self.maximum(values)
                default: out[plane] = Self.lowerMedian(values, scratch: &median)
                }
            }
        }
    }

    /// The last timestep of each sequence, N×F.
    static func lastTimestep(_ data: UnsafeBufferPointer<Float>, plan: Plan, batchFirst: Bool) -> [Float] {
        var out = [Float](repeating: 0, count: plan.batch * plan.width)
        out.withUnsafeMutableBufferPointer { lastTimestep(data, plan: plan, batchFirst: batchFirst, into: $0) }
        return out
    }

    /// Writes the last timestep of each sequence (N×F values) into `out`.
    static func lastTimestep(_ data: UnsafeBufferPointer<Float>, plan: Plan, batchFirst: Bool,
                             into out: UnsafeMutableBufferPointer<Float>) {
        let n = plan.batch, t = plan.height, f = plan.width
        if !batchFirst {
            // T×N×F: the last N×F block.
            _ = out.update(fromContentsOf: data[((t - 1) * n * f)..<(t * n * f)])
            return
        }
        for sample in 0..<n {
            let source = (sample * t + t - 1) * f
            for feature in 0..<f { out[sample * f + feature] = data[source + feature] }
        }
    }

    /// Writes each sequence of a time-first T×N×F buffer as one row of T·F values in time order
    /// (out[i, s·F + k] = data[s, i, k]), the N×(T·F) layout of a batch-first buffer.
    static func flattenTimeFirst(_ data: UnsafeBufferPointer<Float>, plan: Plan, into out: UnsafeMutableBufferPointer<Float>) {
        let n = plan.batch, t = plan.height, f = plan.width
        for step in 0..<t {
            for sample in 0..<n {
                let source = (step * n + sample) * f, target = (sample * t + step) * f
                for feature in 0..<f { out[target + feature] = data[source + feature] }
            }
        }
    }

    /// The mean, summed in double precision with eight independent partial sums
    /// (``CovarianceAccumulator/shiftedSum(_:count:shift:)``): one running sum would be bound by the
    /// latency of an addition per value, which made the spatial means of a convolution's output (for
    /// probes, CKA and the `mean` layout) cost more than its channelwise co-moment.
    static func mean(_ values: UnsafeBufferPointer<Float>) -> Float {
        guard let base = values.baseAddress, !values.isEmpty else { return .nan }
        return Float(CovarianceAccumulator.shiftedSum(base, count: values.count, shift: 0) / Double(values.count))
    }

    /// The maximum; NaN when any value is NaN (as `torch.max`).
    static func maximum(_ values: UnsafeBufferPointer<Float>) -> Float {
        var best = -Float.infinity
        for v in values {
            if v.isNaN { return .nan }
            if v > best { best = v }
        }
        return best
    }

    /// The lower median: the element at index ⌊(n−1)/2⌋ in sorted order (as `torch.median`); NaN when
    /// any value is NaN.
    static func lowerMedian(_ values: UnsafeBufferPointer<Float>, scratch: inout [Float]) -> Float {
        for (i, v) in values.enumerated() {
            if v.isNaN { return .nan }
            scratch[i] = v
        }
        return scratch.withUnsafeMutableBufferPointer { select($0, rank: (values.count - 1) / 2) }
    }

    /// The element of the given rank (0-based) in sorted order, found in expected linear time by
    /// quickselect (Hoare partitioning around the median of three); reorders `values`.
    static func select(_ values: UnsafeMutableBufferPointer<Float>, rank: Int) -> Float {
        var low = 0, high = values.count - 1
        while low < high {
            let middle = low + (high - low) / 2
            // Median of three as the pivot.
            if values[middle] < values[low] { values.swapAt(middle, low) }
            if values[high] < values[low] { values.swapAt(high, low) }
            if values[high] < values[middle] { values.swapAt(high, middle) }
            let pivot = values[middle]
            var i = low, j = high
            while i <= j {
                while values[i] < pivot { i += 1 }
                while pivot < values[j] { j -= 1 }
                if i <= j {
                    values.swapAt(i, j)
                    i += 1
                    j -= 1
                }
            }
            // Now [low, j] ≤ pivot ≤ [i, high], and (j, i) equals the pivot.
            if rank <= j {
                high = j
            } else if rank >= i {
                low = i
            } else {
                return values[rank]
            }
        }
        return values[rank]
    }
}
