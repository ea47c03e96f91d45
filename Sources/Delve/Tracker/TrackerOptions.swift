/// What a batch that cannot be accumulated (NaN or ±∞ values, a layer whose width changed,
/// a shape that does not fit its layout) does to the run.
public enum BadBatchPolicy: String, Sendable, CaseIterable {
    /// Reject the batch with an error naming the layer and the batch (the default).
    case fail
    /// Skip the batch, count it, and report the count in the layer's notes.
    case skip
}

/// The options of a ``SaturationTracker``, with Delve's meanings and defaults.
public struct TrackerOptions: Sendable {
    /// The statistics, δ and idim convention computed at every epoch end.
    public var statisticsOptions = StatisticsOptions()
    /// The statistics computed at every epoch end (Delve's `stats`, default `[.lsat]`).
    public var statistics: [Statistic] {
        get { statisticsOptions.statistics }
        set { statisticsOptions.statistics = newValue }
    }
    /// The share δ of the variance the intrinsic dimensionality must explain (default 0.99).
    public var threshold: Double {
        get { statisticsOptions.threshold }
        set { statisticsOptions.threshold = newValue }
    }
    /// `.paper` (default) or `.delve` for Delve 0.1.50's intrinsic dimensionality (one less).
    public var convention: IntrinsicDimensionalityConvention {
        get { statisticsOptions.convention }
        set { statisticsOptions.convention = newValue }
    }
    /// How convolution and sequence outputs become observations (Delve's `conv_method`,
    /// `timeseries_method` and `max_feature_map_size`).
    public var layout = LayoutOptions()
    /// Accumulate each batch's co-moment in float64 (default, as the paper prescribes) or the
    /// faster float32 mode (merged into float64 state).
    public var precision: AccumulationPrecision = .float64
    /// Record every k-th forward pass of each layer and phase (Delve's `log_interval`, default 1).
    public var logInterval: Int = 1
    /// At most this many samples per layer, phase and epoch (Delve's `max_samples`); `nil`: all.
    /// A batch that crosses the limit contributes its first samples up to it.
    public var maxSamples: Int? = nil
    /// Start every epoch with a fresh covariance (Delve's `reset_covariance`, default true);
    /// false accumulates over the whole run.
    public var resetCovariance: Bool = true
    /// The number of the first epoch (Delve's `initial_epoch`), for resuming a run.
    public var initialEpoch: Int = 0
    /// Report the mean saturation over the tracked layers of each phase as the scalars
    /// `average-train-sat` and `average-eval-sat` (Delve's names). Default true.
    public var averageSaturation: Bool = true
    /// Keep each layer's eigenvalue spectrum in the epoch record (for plots and spectra files).
    public var keepSpectra: Bool = true
    /// What a bad batch does; see ``BadBatchPolicy``.
    public var badBatchPolicy: BadBatchPolicy = .fail
    /// Linear CKA between the tracked layers, in the record's ``EpochRecord/similarity``; nil (the
    /// default): off. See ``CKAOptions``.
    public var cka: CKAOptions? = nil
    /// The collapse warning: when ``Statistic/rankme`` is computed, a layer whose RankMe is below this
    /// share of its dimension D, or fell by more than half since the previous epoch, gets a note
    /// starting with `collapse:` (default 0.1; 0 keeps only the halving check).
    public var collapseShare: Double = 0.1
    /// Streaming linear probes per layer (``LinearProbe``: `probe-r2` of the train phase,
    /// `probe-accuracy` of the eval phase); nil (the default): off. The batches need labels
    /// (``SaturationTracker/setLabels(_:phase:)``).
    public var probes: ProbeOptions? = nil

    /// Default options: saturation only, δ = 0.99, channelwise convolutions, last timestep.
    public init() {}

    /// Options with the given statistics and threshold, the rest default.
    public init(statistics: [Statistic], threshold: Double = 0.99) {
        statisticsOptions = StatisticsOptions(statistics: statistics, threshold: threshold)
    }

    /// Options with the given statistics options, the rest default.
    public init(statisticsOptions: StatisticsOptions) {
        self.statisticsOptions = statisticsOptions
    }
}
