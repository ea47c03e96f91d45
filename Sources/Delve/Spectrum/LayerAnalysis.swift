/// The statistics of one layer computed from its accumulated second moments (covariance → spectrum →
/// statistics and notes), as ``CovarianceAccumulator/analysis(_:keepEigenvalues:)`` returns them.
public struct LayerAnalysis: Sendable {
    /// N, the observations behind the covariance.
    public var samples: Int
    /// D, the number of features.
    public var features: Int
    /// The scalar statistics and their notes.
    public var statistics: LayerStatistics
    /// The eigenvalues, largest first, when they were asked for.
    public var eigenvalues: [Double]?
    /// The D×D covariance (row-major), when ``Statistic/cov`` was requested.
    public var covariance: [Double]?

    /// An analysis with the given parts.
    public init(samples: Int, features: Int, statistics: LayerStatistics,
                eigenvalues: [Double]? = nil, covariance: [Double]? = nil) {
        self.samples = samples
        self.features = features
        self.statistics = statistics
        self.eigenvalues = eigenvalues
        self.covariance = covariance
    }
}

extension CovarianceAccumulator {
    /// The one path from accumulated moments to numbers, used by the tracker, `delve analyze`, `merge`
    /// and everything that reports a layer: the population covariance M/n, its ``Spectrum`` (LAPACK
    /// `dsyevd`, solved in the matrix's own storage) and ``Spectrum/statistics(_:)``.
    ///
    /// The D×D matrix is formed once: only its upper triangle (what the solver reads), unless
    /// ``Statistic/cov`` is requested, which gets a full copy.
    public func analysis(_ options: StatisticsOptions, keepEigenvalues: Bool = false) throws(SpectrumError) -> LayerAnalysis {
        let samples = count
        let keepCovariance = options.statistics.contains(.cov)
        var covariance = keepCovariance ? self.covariance() : covarianceUpperTriangle()
        let kept = keepCovariance ? covariance : nil
        let spectrum = try Spectrum(overwriting: &covariance, features: features, samples: samples)
        return LayerAnalysis(samples: samples, features: features, statistics: spectrum.statistics(options),
                             eigenvalues: keepEigenvalues ? spectrum.eigenvalues : nil, covariance: kept)
    }
}
