/// Why a ``Spectrum`` could not be computed from a covariance matrix.
public enum SpectrumError: Error, Equatable, CustomStringConvertible {
    /// The matrix does not hold `features × features` values.
    case shape(features: Int, count: Int)
    /// The matrix holds NaN or ±∞.
    case nonFinite
    /// The LAPACK eigensolver failed (`reason` carries its message).
    case eigensolver(reason: String)

    /// A one-line message saying what was wrong with the covariance matrix.
    public var description: String {
        switch self {
        case let .shape(features, count):
            return "covariance matrix: expected \(features) × \(features) = \(features * features) values, got \(count)"
        case .nonFinite:
            return "covariance matrix holds NaN or infinite values; no spectrum can be computed"
        case let .eigensolver(reason):
            return "eigendecomposition of the covariance matrix failed: \(reason)"
        }
    }
}
