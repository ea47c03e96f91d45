/// A mini-batch copied out of a `LabeledImages`: `count` samples of `sampleShape`, contiguous.
public struct DataBatch: Sendable, Equatable {
    /// The shape of one sample.
    public var sampleShape: [Int]
    /// `count × sampleSize` values, sample after sample.
    public var pixels: [Float]
    /// The class of each sample.
    public var labels: [Int]
    /// The number of samples in the batch.
    public var count: Int { labels.count }
    /// The batch shape `[count] + sampleShape` (N×C×H×W or N×D).
    public var shape: [Int] { [count] + sampleShape }
}

extension LabeledImages {
    /// Copies the samples at `indices` into a batch.
    public func batch(_ indices: some Collection<Int>) -> DataBatch {
        let size = sampleSize
        var values = [Float]()
        values.reserveCapacity(indices.count * size)
        var batchLabels = [Int]()
        batchLabels.reserveCapacity(indices.count)
        for index in indices {
            values.append(contentsOf: pixels[index * size ..< (index + 1) * size])
            batchLabels.append(labels[index])
        }
        return DataBatch(sampleShape: sampleShape, pixels: values, labels: batchLabels)
    }

    /// Splits `order` (default: `0..<count`) into consecutive batches of `size` samples; the last,
    /// smaller batch is dropped when `dropLast` is true.
    public func batches(size: Int, order: [Int]? = nil, dropLast: Bool = false) throws(DatasetError) -> [DataBatch] {
        guard size > 0 else { throw .invalidArgument("batches: batch size must be positive, got \(size)") }
        let order = order ?? Array(0 ..< count)
        if let bad = order.first(where: { $0 < 0 || $0 >= count }) {
            throw .invalidArgument("batches: index \(bad) is outside 0..<\(count)")
        }
        return BatchPlan.ranges(count: order.count, batchSize: size, dropLast: dropLast).map { batch(order[$0]) }
    }
}

/// How `count` samples split into batches.
public enum BatchPlan {
    /// The index ranges of consecutive batches of `batchSize` (the last one smaller unless `dropLast`).
    public static func ranges(count: Int, batchSize: Int, dropLast: Bool) -> [Range<Int>] {
        guard batchSize > 0 else { return [] }
        var result: [Range<Int>] = []
        var start = 0
        while start < count {
            let end = min(start + batchSize, count)
            if end - start < batchSize && dropLast { break }
            result.append(start ..< end)
            start = end
        }
        return result
    }
}
