/// The statistics of one linear probe over rows given directly (`delve analyze --labels`, library
/// use): a ``CovarianceAccumulator`` of the fit rows plus their ``ProbeClassSums``. Two accumulators
/// of the same width merge exactly (Chan et al. 1979 for the covariance, addition for the sums).
public final class ProbeAccumulator: @unchecked Sendable {   // used by one thread at a time
    /// The count, mean and co-moment of the fit rows.
    public let covariance: CovarianceAccumulator
    /// Their per-class counts and sums.
    public private(set) var sums: ProbeClassSums
    /// The options of the solve.
    public let options: ProbeOptions

    /// An empty accumulator for rows of `features` values.
    public init(features: Int, name: String = "", options: ProbeOptions = ProbeOptions()) {
        covariance = CovarianceAccumulator(features: features, name: name)
        sums = ProbeClassSums(features: features, classes: options.classes)
        self.options = options
    }

    /// The feature count D.
    public var features: Int { covariance.features }

    /// Adds `rows` rows with one label each; the labels are checked first and a rejected batch (bad
    /// labels, NaN or ±∞) leaves the state unchanged.
    public func update(_ values: UnsafeBufferPointer<Float>, rows: Int, labels: some Collection<Int>) throws(ProbeError) {
        try sums.check(labels: labels, rows: rows)
        do {
            try covariance.update(UnsafeBufferPointer(rebasing: values[0..<(rows * features)]), rows: rows)
        } catch {
            throw .rejectedRows(error.detail)
        }
        try sums.add(values, rows: rows, labels: labels)
    }

    /// Adds another accumulator's rows (exact merge).
    public func merge(_ other: ProbeAccumulator) throws(ProbeError) {
        guard other.features == features else { throw .widthChanged(expected: features, got: other.features) }
        do { try covariance.merge(other.covariance) } catch { throw .solveFailed(error.description) }
        try sums.merge(other.sums)
    }

    /// The probe of the rows so far.
    public func solve() throws(ProbeError) -> LinearProbe {
        try LinearProbe(accumulator: covariance, sums: sums, options: options)
    }
}
