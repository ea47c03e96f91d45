/// Reusable memory for ``ActivationReducer/accumulate(_:shape:kind:into:scratch:)``: the layouts
/// that reduce or downsample a batch before its co-moment (`mean`, `max`, `median`, downsampling,
/// the last timestep of a batch-first sequence) write into these buffers instead of fresh arrays, so
/// that a layer's steady-state batches allocate nothing. Buffers grow to the largest batch seen and
/// never shrink. One scratch per layer and phase; not for concurrent use.
public final class ReductionScratch {
    /// The reduced rows×features values handed to the accumulator.
    var reduced: [Float] = []
    /// The downsampled N×C×H′×W′ values.
    var resized: [Float] = []
    /// One plane's values, reordered by the median's quickselect.
    var median: [Float] = []
    /// The bilinear weights of the last (input, output) sizes of each axis.
    var rowWeights: BilinearResize.AxisWeights?
    var columnWeights: BilinearResize.AxisWeights?

    /// An empty scratch; buffers are allocated on first use.
    public init() {}

    /// Grows `buffer` to at least `count` values.
    static func reserve(_ buffer: inout [Float], _ count: Int) {
        if buffer.count < count { buffer = [Float](repeating: 0, count: count) }
    }

    /// The bilinear weights for resizing `input` to `output` along rows (or columns), cached.
    func weights(rows: Bool, input: Int, output: Int) -> BilinearResize.AxisWeights {
        let cached = rows ? rowWeights : columnWeights
        if let cached, cached.input == input, cached.lower.count == output { return cached }
        let fresh = BilinearResize.AxisWeights(input: input, output: output)
        if rows { rowWeights = fresh } else { columnWeights = fresh }
        return fresh
    }
}
