/// A labelled dataset held in memory: `count` samples of shape `sampleShape` (C×H×W for images, [D] for
/// feature vectors), stored contiguously sample after sample in `pixels`, with one class index per sample.
///
/// Readers return the raw values (0...255 for MNIST and CIFAR-10, 0...16 for the embedded digits);
/// `scaledToUnitInterval()` and `standardized(_:)` normalize them.
public struct LabeledImages: Sendable, Equatable {
    /// The shape of one sample, e.g. `[1, 28, 28]` (MNIST), `[3, 32, 32]` (CIFAR-10), `[D]` (CSV).
    public var sampleShape: [Int]
    /// All sample values, `count × sampleSize`, row-major.
    public var pixels: [Float]
    /// The class of each sample, in `0..<classCount`.
    public var labels: [Int]
    /// The number of classes.
    public var classCount: Int
    /// Optional human-readable class names (`classNames[label]`).
    public var classNames: [String]?
    /// The nominal range of the raw values (e.g. `0...255`), or `nil` once the data are standardized.
    public var valueRange: ClosedRange<Float>?

    /// Creates a dataset, checking that `pixels` holds `labels.count` samples of `sampleShape` and that
    /// every label lies in `0..<classCount`.
    public init(
        sampleShape: [Int], pixels: [Float], labels: [Int], classCount: Int,
        classNames: [String]? = nil, valueRange: ClosedRange<Float>? = nil
    ) throws(DatasetError) {
        guard !sampleShape.isEmpty, sampleShape.allSatisfy({ $0 > 0 }) else {
            throw .invalidArgument("LabeledImages: sampleShape \(sampleShape) must be non-empty with positive dimensions")
        }
        let size = sampleShape.reduce(1, *)
        guard pixels.count == labels.count * size else {
            throw .invalidArgument("LabeledImages: \(pixels.count) values for \(labels.count) samples of shape \(sampleShape) (expected \(labels.count * size))")
        }
        guard classCount > 0 else { throw .invalidArgument("LabeledImages: classCount must be positive, got \(classCount)") }
        if let bad = labels.firstIndex(where: { $0 < 0 || $0 >= classCount }) {
            throw .invalidArgument("LabeledImages: label \(labels[bad]) of sample \(bad) is outside 0..<\(classCount)")
        }
        if let names = classNames, names.count != classCount {
            throw .invalidArgument("LabeledImages: \(names.count) class names for \(classCount) classes")
        }
        self.sampleShape = sampleShape
        self.pixels = pixels
        self.labels = labels
        self.classCount = classCount
        self.classNames = classNames
        self.valueRange = valueRange
    }

    /// The number of samples.
    public var count: Int { labels.count }

    /// The number of values in one sample (the product of `sampleShape`).
    public var sampleSize: Int { sampleShape.reduce(1, *) }

    /// The values of sample `index`.
    public func sample(_ index: Int) -> ArraySlice<Float> {
        pixels[index * sampleSize ..< (index + 1) * sampleSize]
    }

    /// How many samples each class has (`classCounts()[c]` for class `c`).
    public func classCounts() -> [Int] {
        var counts = [Int](repeating: 0, count: classCount)
        for label in labels { counts[label] += 1 }
        return counts
    }

    /// The samples at `indices`, in that order (indices may repeat).
    public func subset(_ indices: [Int]) -> LabeledImages {
        let size = sampleSize
        var values = [Float]()
        values.reserveCapacity(indices.count * size)
        var newLabels = [Int]()
        newLabels.reserveCapacity(indices.count)
        for index in indices {
            values.append(contentsOf: pixels[index * size ..< (index + 1) * size])
            newLabels.append(labels[index])
        }
        var result = self
        result.pixels = values
        result.labels = newLabels
        return result
    }

    /// This dataset followed by `other` (same sample shape and class count).
    public func appending(_ other: LabeledImages) throws(DatasetError) -> LabeledImages {
        guard other.sampleShape == sampleShape, other.classCount == classCount else {
            throw .invalidArgument("LabeledImages.appending: shapes \(sampleShape)/\(other.sampleShape) or class counts \(classCount)/\(other.classCount) differ")
        }
        var result = self
        result.pixels += other.pixels
        result.labels += other.labels
        if let a = valueRange, let b = other.valueRange {
            result.valueRange = min(a.lowerBound, b.lowerBound) ... max(a.upperBound, b.upperBound)
        } else {
            result.valueRange = nil
        }
        return result
    }
}
