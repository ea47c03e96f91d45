/// Why a probe cannot be fitted or fed; each message says what was expected.
public enum ProbeError: Error, Equatable, CustomStringConvertible {
    /// An option is out of range.
    case invalidOption(String)
    /// The labels do not fit the batch (count, negative or too large a class index).
    case badLabels(String)
    /// The accumulator rejected the rows (NaN or ±∞ values); nothing changed.
    case rejectedRows(String)
    /// The features changed width.
    case widthChanged(expected: Int, got: Int)
    /// The fit rows hold fewer than two classes, so the centred targets are zero and R² is undefined.
    case oneClass(samples: Int)
    /// No fit rows.
    case noSamples
    /// `Σ + λI` is not positive definite (λ = 0 with singular features) or not finite.
    case solveFailed(String)

    public var description: String {
        switch self {
        case .invalidOption(let text): return text
        case .badLabels(let text): return "labels: \(text)"
        case .rejectedRows(let text): return "the rows were rejected: \(text)"
        case let .widthChanged(expected, got): return "the features changed width from \(expected) to \(got)"
        case .oneClass(let samples):
            return "the \(samples) fit sample(s) hold one class only: a probe needs at least 2 classes"
        case .noSamples: return "no fit samples: no probe"
        case .solveFailed(let text): return "the probe solve failed: \(text)"
        }
    }
}
