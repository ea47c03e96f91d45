/// What to compute from a layer's spectrum: the statistics, the threshold δ and the idim convention.
///
/// One value of this type travels everywhere a spectrum becomes numbers — the tracker, `delve analyze`,
/// `merge` and `rethreshold` — through ``CovarianceAccumulator/analysis(_:keepEigenvalues:)`` and
/// ``Spectrum/statistics(_:)``.
public struct StatisticsOptions: Sendable, Equatable {
    /// The statistics, in output order (``Statistic/cov`` keeps the covariance matrix).
    public var statistics: [Statistic]
    /// δ, the share of the variance that idim and lsat explain, in (0, 1] (Shenk et al. 2022, eq. 1).
    public var threshold: Double
    /// The paper's intrinsic dimensionality (smallest k explaining ≥ δ) or Delve 0.1.50's (one less).
    public var convention: IntrinsicDimensionalityConvention

    /// Options with the given statistics, δ and convention; see ``validate()``.
    public init(statistics: [Statistic] = [.lsat], threshold: Double = 0.99,
                convention: IntrinsicDimensionalityConvention = .paper) {
        self.statistics = statistics
        self.threshold = threshold
        self.convention = convention
    }

    /// Options parsed from the command-line texts: a comma list of statistic names and δ.
    public init(parsing statistics: String, threshold: Double,
                convention: IntrinsicDimensionalityConvention = .paper) throws(StatisticsOptionsError) {
        let parsed: [Statistic]
        do { parsed = try Statistic.parseList(statistics) } catch { throw .unknownStatistic(error) }
        self.init(statistics: parsed, threshold: threshold, convention: convention)
        try validate()
    }

    /// The statistics other than ``Statistic/cov``.
    public var scalarStatistics: [Statistic] { statistics.filter(\.isScalar) }

    /// Checks that δ is in (0, 1] and that at least one statistic is requested.
    public func validate() throws(StatisticsOptionsError) {
        guard threshold > 0, threshold <= 1 else { throw .threshold(threshold) }
        guard !statistics.isEmpty else { throw .noStatistics }
    }
}

/// Why ``StatisticsOptions`` are invalid; each message names the option (`--stats`, `--threshold`).
public enum StatisticsOptionsError: Error, Equatable, CustomStringConvertible {
    /// A statistic name is unknown.
    case unknownStatistic(StatisticParseError)
    /// δ is outside (0, 1].
    case threshold(Double)
    /// The list of statistics is empty.
    case noStatistics

    public var description: String {
        switch self {
        case .unknownStatistic(let error): return "--stats: \(error)"
        case .threshold(let value): return "--threshold must be in (0, 1], got \(value)"
        case .noStatistics: return "--stats: give at least one statistic"
        }
    }
}
