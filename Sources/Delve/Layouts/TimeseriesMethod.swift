/// How a sequence layer's output (N×T×F or T×N×F) becomes rows of features (Delve's `timeseries_method`).
///
/// Delve 0.1.50's `timestepwise` flattens each sequence into one observation, N×(T·F)
/// (``flattenedSequence``); this package's former `timestepwise` makes every step an observation,
/// (N·T)×F (``timestepObservations``). Both have names that say what they do; the name `timestepwise`
/// is still read (``init(rawValue:)``: CLI values, configuration files, the C interface) as the deprecated
/// spelling of ``timestepObservations``, so that existing runs and configurations keep their meaning.
public enum TimeseriesMethod: RawRepresentable, CaseIterable, Sendable {
    /// Only the last timestep along the time axis: N×F. The default (Delve's `last_timestep`).
    case last
    /// Every timestep of every sequence is an observation of the F features: (N·T)×F.
    case timestepObservations
    /// Each sequence is one observation of T·F features, steps in time order: N×(T·F) (Delve 0.1.50's
    /// `timestepwise`, `activations.flatten(1)` of an N×T×F batch). The feature count depends on T, so every
    /// batch of a layer needs the same sequence length.
    case flattenedSequence

    /// The deprecated name of ``timestepObservations`` (this package's meaning of `timestepwise`).
    @available(*, deprecated, renamed: "timestepObservations", message: "Delve's timestepwise is flattenedSequence")
    public static var timestepwise: TimeseriesMethod { .timestepObservations }

    /// `last`, `timestep-observations`, `flattened-sequence`; also `timestepwise`, the deprecated spelling of
    /// `timestep-observations`.
    public init?(rawValue: String) {
        switch rawValue {
        case "last": self = .last
        case "timestep-observations", "timestepwise": self = .timestepObservations
        case "flattened-sequence": self = .flattenedSequence
        default: return nil
        }
    }

    /// The name written to configurations and shown in help: `last`, `timestep-observations`, `flattened-sequence`.
    public var rawValue: String {
        switch self {
        case .last: return "last"
        case .timestepObservations: return "timestep-observations"
        case .flattenedSequence: return "flattened-sequence"
        }
    }
}
