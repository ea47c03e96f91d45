import Foundation

/// A statistic of a layer's feature covariance matrix that Delve can report.
///
/// The raw values are the short names used on the command line and in the tracker's options
/// (Delve's own names, plus the extra spectral statistics this project adds). ``delveKey`` is the
/// long name that forms output columns such as `train-saturation_fc1`, as Delve 0.1.50 names them.
public enum Statistic: String, CaseIterable, Sendable, Codable {
    /// Layer saturation: intrinsic dimensionality divided by the feature count, in [0, 1].
    case lsat
    /// Intrinsic dimensionality: the smallest k whose k largest eigenvalues explain ≥ δ of the variance.
    case idim
    /// The covariance matrix itself (not a scalar; written by matrix-capable writers).
    case cov
    /// Determinant of the covariance matrix (generalized variance), the product of its eigenvalues.
    case det
    /// Natural logarithm of the determinant, Σ log λᵢ; −∞ when the matrix is singular.
    case logdet
    /// Trace of the covariance matrix (total variance), Σ Cᵢᵢ.
    case trc
    /// Sum of the eigenvalues after negative ones are clipped to zero (Delve's "diagonal trace").
    case dtrc
    /// Effective rank exp(H(p)), pᵢ = λᵢ/Σλ (Roy & Vetterli 2007; the RankMe measure).
    case erank
    /// Participation ratio (Σλ)² / Σλ².
    case pr
    /// Stable rank Σλ / λ_max.
    case srank
    /// RankMe exp(−Σ pₖ log pₖ), pₖ = σₖ/Σσ + ε, σₖ = √λₖ, ε = 1e-7 (Garrido et al., ICML 2023).
    case rankme
    /// α-ReQ: α of the least-squares fit log λₖ = c − α log k (Agrawal et al., NeurIPS 2022).
    case alphareq
    /// The linear probe's training-fit R² (``LinearProbe``; from ``TrackerOptions/probes``, not the spectrum).
    case probeR2 = "probe-r2"
    /// The share of evaluation samples the linear probe classifies correctly (``LinearProbe``; from
    /// ``TrackerOptions/probes``, not the spectrum).
    case probeAccuracy = "probe-accuracy"

    /// The long name used in output keys (`<phase>-<delveKey>_<layer>`), Delve's where Delve has one.
    public var delveKey: String {
        switch self {
        case .lsat: return "saturation"
        case .idim: return "intrinsic-dimensionality"
        case .cov: return "covariance-matrix"
        case .det: return "covariance-determinant"
        case .logdet: return "covariance-log-determinant"
        case .trc: return "covariance-trace"
        case .dtrc: return "diagonal-trace"
        case .erank: return "effective-rank"
        case .pr: return "participation-ratio"
        case .srank: return "stable-rank"
        case .rankme: return "rankme"
        case .alphareq: return "alpha-req"
        case .probeR2: return "probe-r2"
        case .probeAccuracy: return "probe-accuracy"
        }
    }

    /// Whether the statistic comes from the covariance spectrum (every one except the probe's
    /// ``probeR2`` and ``probeAccuracy``, which need labels); only these can be requested with `--stats`.
    public var isSpectral: Bool { self != .probeR2 && self != .probeAccuracy }

    /// The statistics `--stats` and ``StatisticsOptions`` accept.
    public static var spectral: [Statistic] { allCases.filter(\.isSpectral) }

    /// Whether the statistic is a single number per layer (every one except ``cov``).
    public var isScalar: Bool { self != .cov }

    /// Parses a comma-separated list such as `"lsat,idim"`; throws on an unknown name.
    public static func parseList(_ text: String) throws(StatisticParseError) -> [Statistic] {
        var result: [Statistic] = []
        for part in text.split(separator: ",") {
            let name = part.trimmingCharacters(in: .whitespaces)
            guard let stat = Statistic(rawValue: name), stat.isSpectral else { throw StatisticParseError(name: name) }
            if !result.contains(stat) { result.append(stat) }
        }
        return result
    }
}

/// An unknown statistic name.
public struct StatisticParseError: Error, Equatable, CustomStringConvertible {
    /// The name that was not recognized.
    public let name: String
    public var description: String {
        "unknown statistic '\(name)'; expected a comma-separated list of: "
            + Statistic.spectral.map(\.rawValue).joined(separator: ", ")
            + (Statistic(rawValue: name).map { $0.isSpectral ? "" : " (\($0.rawValue) comes from the linear probes: labels, not the spectrum)" } ?? "")
    }
}

/// Whether a layer's output was produced while the model trained or while it was evaluated.
public enum Phase: String, CaseIterable, Sendable, Codable {
    /// Outputs seen in training mode.
    case train
    /// Outputs seen in evaluation mode.
    case eval
}

/// The output key Delve uses for a statistic of a layer in a phase: `"<phase>-<delveKey>_<layer>"`,
/// e.g. `train-saturation_fc1`.
public func delveKey(phase: Phase, statistic: Statistic, layer: String) -> String {
    "\(phase.rawValue)-\(statistic.delveKey)_\(layer)"
}
