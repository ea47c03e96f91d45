import DelveNN
import Dispatch

/// One mini-batch as tensors: `inputs` is N×C×H×W (or N×D for vector data, or when the loader
/// flattens), `labels` the N class indices.
public struct TensorBatch {
    /// The inputs, `[N] + sampleShape` or `[N, sampleSize]` when flattened.
    public let inputs: Tensor
    /// The class of each sample.
    public let labels: [Int]
    /// The dataset indices of the samples, in batch order.
    public let indices: [Int]
}

/// Iterates a `LabeledImages` in mini-batches of tensors, epoch after epoch.
///
/// With `shuffle`, epoch e visits the samples in the order `Shuffling.permutation(count:seed:)` with
/// seed `epochSeed(e) = seed + e·0x9E3779B97F4A7C15` (wrapping), so every epoch has its own order, a run
/// with the same seed repeats it exactly, and a run resumed at epoch e sees the same batches as an
/// uninterrupted one. Without `shuffle` the order is the dataset order. With `dropLast` a final
/// batch smaller than `batchSize` is skipped. With `prefetch` the next batch is copied out on a
/// background queue while the current one is used; the batches are identical either way (only the
/// copying moves to another thread, the order is fixed before the epoch starts).
public final class DataLoader {
    /// The dataset.
    public let data: LabeledImages
    /// Samples per batch.
    public let batchSize: Int
    /// Whether each epoch uses its own seeded random order.
    public let shuffle: Bool
    /// The base seed of the epoch orders.
    public let seed: UInt64
    /// Whether a last, incomplete batch is skipped.
    public let dropLast: Bool
    /// Whether the next batch is prepared on a background queue.
    public let prefetch: Bool
    /// Whether inputs are flattened to N×D (for an MLP on images).
    public let flatten: Bool

    /// Creates a loader; `batchSize` must be positive.
    public init(
        _ data: LabeledImages, batchSize: Int, shuffle: Bool = true, seed: UInt64 = 0,
        dropLast: Bool = false, prefetch: Bool = false, flatten: Bool = false
    ) throws(DatasetError) {
        guard batchSize > 0 else { throw .invalidArgument("DataLoader: batchSize must be positive, got \(batchSize)") }
        self.data = data
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.seed = seed
        self.dropLast = dropLast
        self.prefetch = prefetch
        self.flatten = flatten
    }

    /// The number of batches per epoch.
    public var batchCount: Int { dropLast ? data.count / batchSize : (data.count + batchSize - 1) / batchSize }

    /// The number of samples visited per epoch.
    public var samplesPerEpoch: Int { dropLast ? batchCount * batchSize : data.count }

    /// The seed of epoch `epoch`'s order.
    public func epochSeed(_ epoch: Int) -> UInt64 { seed &+ UInt64(truncatingIfNeeded: epoch) &* 0x9E37_79B9_7F4A_7C15 }

    /// The order in which epoch `epoch` visits the samples.
    public func order(epoch: Int) -> [Int] {
        shuffle ? Shuffling.permutation(count: data.count, seed: epochSeed(epoch)) : Array(0 ..< data.count)
    }

    /// The batches of epoch `epoch` (a sequence; iterate it once per epoch).
    public func batches(epoch: Int) -> Epoch {
        Epoch(loader: self, order: order(epoch: epoch))
    }

    /// The batches of one epoch.
    public struct Epoch: Sequence {
        let loader: DataLoader
        /// The sample order of this epoch.
        public let order: [Int]

        /// Creates the iterator (which starts prefetching the first batch when enabled).
        public func makeIterator() -> Iterator { Iterator(loader: loader, order: order) }

        /// The number of batches.
        public var underestimatedCount: Int { loader.batchCount }
    }

    /// Produces the batches of one epoch in order.
    public struct Iterator: IteratorProtocol {
        let loader: DataLoader
        let order: [Int]
        let ranges: [Range<Int>]
        var position = 0
        var pending: PrefetchSlot?

        init(loader: DataLoader, order: [Int]) {
            self.loader = loader
            self.order = order
            ranges = BatchPlan.ranges(count: order.count, batchSize: loader.batchSize, dropLast: loader.dropLast)
            if loader.prefetch { pending = schedule(0) }
        }

        /// The next batch, or nil at the end of the epoch.
        public mutating func next() -> TensorBatch? {
            guard position < ranges.count else { return nil }
            let indices = Array(order[ranges[position]])
            let batch: DataBatch
            if loader.prefetch {
                batch = pending!.take()
                pending = position + 1 < ranges.count ? schedule(position + 1) : nil
            } else {
                batch = loader.data.batch(indices)
            }
            position += 1
            let shape = loader.flatten ? [batch.count, loader.data.sampleSize] : batch.shape
            return TensorBatch(inputs: Tensor(shape: shape, data: batch.pixels), labels: batch.labels, indices: indices)
        }

        /// Starts copying batch `index` on the background queue.
        func schedule(_ index: Int) -> PrefetchSlot {
            let slot = PrefetchSlot()
            let data = loader.data
            let indices = Array(order[ranges[index]])
            DataLoader.queue.async { slot.fill(data.batch(indices)) }
            return slot
        }
    }

    /// The serial background queue that prepares prefetched batches.
    static let queue = DispatchQueue(label: "DelveData.DataLoader.prefetch", qos: .userInitiated)
}

/// A one-shot hand-over of a batch from the prefetch queue to the training thread. The semaphore
/// orders the write before the read, which makes the unchecked `Sendable` safe.
final class PrefetchSlot: @unchecked Sendable {
    private var value: DataBatch?
    private let ready = DispatchSemaphore(value: 0)

    func fill(_ batch: DataBatch) {
        value = batch
        ready.signal()
    }

    func take() -> DataBatch {
        ready.wait()
        return value!
    }
}
