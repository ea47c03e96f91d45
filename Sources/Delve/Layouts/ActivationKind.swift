/// What a layer's output tensor holds, which decides how it is reduced to rows of features.
public enum ActivationKind: Sendable, Equatable {
    /// A dense (fully connected) output, N×D.
    case dense
    /// A convolutional output, N×C×H×W.
    case convolution
    /// A sequence output: N×T×F when `batchFirst`, otherwise T×N×F (the time axis first).
    case sequence(batchFirst: Bool)

    /// The kind a plain array of `rank` dimensions is read as: 2 dense, 3 batch-first sequence,
    /// 4 convolution; `nil` for other ranks.
    public init?(rank: Int) {
        switch rank {
        case 2: self = .dense
        case 3: self = .sequence(batchFirst: true)
        case 4: self = .convolution
        default: return nil
        }
    }

    /// The number of dimensions this kind has.
    public var rank: Int {
        switch self {
        case .dense: return 2
        case .sequence: return 3
        case .convolution: return 4
        }
    }

    /// The axes spelled out, e.g. `N×C×H×W`.
    public var axesDescription: String {
        switch self {
        case .dense: return "N×D"
        case .convolution: return "N×C×H×W"
        case .sequence(let batchFirst): return batchFirst ? "N×T×F" : "T×N×F"
        }
    }

    /// A short name for messages: "a dense layer", "a convolution", "a sequence".
    public var displayName: String {
        switch self {
        case .dense: return "a dense layer"
        case .convolution: return "a convolution"
        case .sequence: return "a sequence"
        }
    }
}
