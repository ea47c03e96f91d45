/// The arithmetic a ``CovarianceAccumulator`` uses for each batch's co-moment.
///
/// The accumulated state (count, mean, co-moment) is float64 in both modes; only the per-batch
/// centring and rank-k product differ.
public enum AccumulationPrecision: String, Sendable, CaseIterable {
    /// Centre the batch in float64 and form its co-moment with `dsyrk` (the default; reference accuracy).
    case float64
    /// Fast mode: centre the batch into float32 and form the co-moment of up to 2560 such rows (one or
    /// several batches) with one `ssyrk`, then add it into the float64 state. Each of those products
    /// carries float32 rounding (relative error ≈ 1e-7·√rows per entry); see ``CovarianceAccumulator``
    /// for the measured error.
    case float32
}
