/// How a sequence layer's output (N×T×F or T×N×F) becomes rows of features (Delve's `timeseries_method`).
public enum TimeseriesMethod: String, CaseIterable, Sendable {
    /// Only the last timestep: N×F. The default (Delve's `last_timestep`).
    case last
    /// Every timestep of every sequence is an observation of the F features: (N·T)×F.
    case timestepwise
}
