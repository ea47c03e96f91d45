/// Per class k, the count n_k and the sum S_k of a layer's per-sample feature rows: with a
/// ``CovarianceAccumulator`` of the same rows, the sufficient statistic of the linear probe
/// (``LinearProbe``). Two of them merge exactly by adding counts and sums.
public struct ProbeClassSums: Sendable, Equatable {
    /// The feature count D.
    public let features: Int
    /// n_k for k in 0..<K (K grows as labels arrive, or is fixed by ``ProbeOptions/classes``).
    public private(set) var counts: [Int]
    /// S_k, row-major K × D, in float64.
    public private(set) var sums: [Double]
    /// A fixed class count, if any.
    public let fixedClasses: Int?

    /// Empty sums of `features` columns; K fixed at `classes` when given.
    public init(features: Int, classes: Int? = nil) {
        self.features = features
        self.fixedClasses = classes
        counts = Array(repeating: 0, count: classes ?? 0)
        sums = Array(repeating: 0, count: (classes ?? 0) * features)
    }

    /// K, the number of classes (the largest label seen plus one, or the fixed count).
    public var classes: Int { counts.count }

    /// Σ n_k, the number of rows added.
    public var count: Int { counts.reduce(0, +) }

    /// Checks `labels` (one per row, each in 0..<K when K is fixed, else ≥ 0) before any state changes.
    public func check(labels: some Collection<Int>, rows: Int) throws(ProbeError) {
        guard labels.count == rows else {
            throw .badLabels("\(labels.count) label(s) for \(rows) sample(s); expected one label per sample")
        }
        for label in labels {
            guard label >= 0 else { throw .badLabels("label \(label) is negative; expected class indices 0, 1, …") }
            if let fixedClasses, label >= fixedClasses {
                throw .badLabels("label \(label) is not below the \(fixedClasses) classes")
            }
        }
    }

    /// Adds `rows` rows (row-major, ``features`` wide) with their labels; checks the labels first
    /// (``check(labels:rows:)``): on a throw nothing has changed.
    public mutating func add(_ values: UnsafeBufferPointer<Float>, rows: Int, labels: some Collection<Int>) throws(ProbeError) {
        try check(labels: labels, rows: rows)
        guard values.count >= rows * features else { throw .widthChanged(expected: features, got: values.count / max(rows, 1)) }
        var row = 0
        for label in labels {
            grow(to: label + 1)
            counts[label] += 1
            let base = label * features, source = row * features
            sums.withUnsafeMutableBufferPointer { s in
                for d in 0..<features { s[base + d] += Double(values[source + d]) }
            }
            row += 1
        }
    }

    /// Adds another's counts and sums (the exact merge).
    public mutating func merge(_ other: ProbeClassSums) throws(ProbeError) {
        guard other.features == features else { throw .widthChanged(expected: features, got: other.features) }
        grow(to: other.classes)
        for k in 0..<other.classes { counts[k] += other.counts[k] }
        for i in 0..<other.sums.count { sums[i] += other.sums[i] }
    }

    /// Zero counts and sums (K kept).
    public mutating func reset() {
        for i in counts.indices { counts[i] = 0 }
        for i in sums.indices { sums[i] = 0 }
    }

    /// Restores counts and sums from their arrays (for saved states).
    init(features: Int, classes: Int?, counts: [Int], sums: [Double]) {
        self.features = features
        self.fixedClasses = classes
        self.counts = counts
        self.sums = sums
    }

    private mutating func grow(to k: Int) {
        guard k > counts.count else { return }
        sums.append(contentsOf: repeatElement(0, count: (k - counts.count) * features))
        counts.append(contentsOf: repeatElement(0, count: k - counts.count))
    }
}
