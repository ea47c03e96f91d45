import ArgumentParser
import Delve

/// The tracker options shared by `delve train` and `delve demo`.
struct TrackingArguments: ParsableArguments {
    @OptionGroup var statistics: StatisticsArguments
    @OptionGroup var similarity: SimilarityArguments
    @OptionGroup var probes: ProbeArguments
    @Option(name: .customLong("conv-method"), help: "Convolution outputs: channelwise, mean, max, median or flatten.")
    var convMethod: ConvMethod = .channelwise
    @Option(name: .customLong("timeseries-method"), help: "Sequence outputs: last (the last step, N×F), timestep-observations (every step an observation, (N·T)×F) or flattened-sequence (Delve 0.1.50's timestepwise: each sequence one observation, N×(T·F)). Deprecated: timestepwise, read as timestep-observations.")
    var timeseriesMethod: TimeseriesMethod = .last
    @Option(help: "Downsample feature maps to at most N×N before the reduction.")
    var downsample: Int?
    @Option(help: "float64 (default) or float32 co-moments of each batch.")
    var precision: AccumulationPrecision = .float64
    @Option(name: .customLong("log-interval"), help: "Record every k-th forward pass of each layer.")
    var logInterval = 1
    @Option(name: .customLong("max-samples"), help: "At most this many samples per layer, phase and epoch.")
    var maxSamples: Int?
    @Flag(name: .customLong("keep-covariance"), help: "Accumulate the covariance over all epochs instead of starting each epoch afresh (Delve's reset_covariance=False).")
    var keepCovariance = false
    @Flag(name: .customLong("skip-bad-batches"),
          help: "Skip a layer's batch with NaN/±inf values, a changed width or no samples (counted per layer and reported) instead of stopping with an error.")
    var skipBadBatches = false

    func validate() throws {
        if let downsample, downsample < 1 { throw ValidationError("--downsample must be at least 1, got \(downsample)") }
        guard logInterval >= 1 else { throw ValidationError("--log-interval must be at least 1, got \(logInterval)") }
        if let maxSamples, maxSamples < 1 { throw ValidationError("--max-samples must be at least 1, got \(maxSamples)") }
        if probes.probe && keepCovariance {
            throw ValidationError("--probe starts its statistics afresh every epoch: it cannot be combined with --keep-covariance")
        }
    }

    /// The tracker options these arguments describe.
    var trackerOptions: TrackerOptions {
        var options = TrackerOptions(statisticsOptions: statistics.options)
        options.layout = LayoutOptions(convMethod: convMethod, timeseriesMethod: timeseriesMethod, downsample: downsample)
        options.precision = precision
        options.logInterval = logInterval
        options.maxSamples = maxSamples
        options.resetCovariance = !keepCovariance
        options.badBatchPolicy = skipBadBatches ? .skip : .fail
        similarity.apply(to: &options)
        probes.apply(to: &options)
        return options
    }
}
