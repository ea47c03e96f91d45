/// The scalar statistics of one layer, as computed by ``Spectrum/statistics(_:threshold:convention:covarianceTrace:)``.
public struct LayerStatistics: Sendable, Equatable {
    /// The value of each requested scalar statistic (``Statistic/cov`` is a matrix and never appears here).
    public var values: [Statistic: Double]
    /// Warnings in plain words about edge cases that explain surprising values (no samples, all-zero
    /// variance, fewer samples than features, clipped negative eigenvalues, determinant under/overflow).
    public var notes: [String]

    /// Statistics with the given values and notes.
    public init(values: [Statistic: Double] = [:], notes: [String] = []) {
        self.values = values
        self.notes = notes
    }

    /// The value of `statistic`, or nil when it was not requested.
    public subscript(_ statistic: Statistic) -> Double? { values[statistic] }
}
