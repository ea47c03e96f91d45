/// What went wrong while accumulating, merging, saving or loading a covariance.
///
/// Every case names the layer (the accumulator's ``CovarianceAccumulator/name``) or the file it concerns;
/// batch indices are 1-based (the first batch ever given to an accumulator is batch 1), rows and
/// features are 0-based.
public enum CovarianceError: Error, Equatable, CustomStringConvertible {
    /// A batch holds NaN or ±∞ at `row` (observation), `feature`. The accumulator is unchanged.
    case nonFinite(layer: String, batch: Int, row: Int, feature: Int, value: Double)
    /// A batch's finite values are so large that its co-moment would overflow float64. The accumulator is unchanged.
    case overflow(layer: String, batch: Int)
    /// The buffer holds `count` values, but the stated shape needs `expected` (`shape` spells it out).
    case bufferSize(layer: String, batch: Int, shape: String, expected: Int, count: Int)
    /// A size argument (`argument`) was negative or too large.
    case invalidSize(layer: String, argument: String, value: Int)
    /// Two feature counts that must agree do not (`context` says which: a batch, a merge, a file).
    case featureMismatch(layer: String, context: String, expected: Int, found: Int)
    /// A serialized accumulator from `source` is damaged or not one at all (`reason` says how).
    case corrupt(source: String, reason: String)
    /// A serialized accumulator from `source` has a format version this build cannot read.
    case unsupportedVersion(source: String, found: Int, supported: Int)
    /// Reading or writing the file at `path` failed.
    case io(path: String, reason: String)

    /// A one-line message naming the layer or file and what was expected.
    public var description: String {
        switch self {
        case let .nonFinite(layer, batch, _, _, _), let .overflow(layer, batch), let .bufferSize(layer, batch, _, _, _):
            return "layer \(Self.show(layer)), batch \(batch): \(detail)"
        case let .invalidSize(layer, argument, value):
            return "layer \(Self.show(layer)): \(argument) must be ≥ 0 and fit in memory, got \(value)"
        case let .featureMismatch(layer, _, _, _):
            return "layer \(Self.show(layer)): \(detail)"
        case let .corrupt(source, reason):
            return "\(source): not a valid Delve covariance state: \(reason)"
        case let .unsupportedVersion(source, found, supported):
            return "\(source): covariance state format version \(found) is not supported (this build reads version \(supported))"
        case let .io(path, reason):
            return "\(path): \(reason)"
        }
    }

    /// The message without its leading "layer …, batch …: ", for callers that name the layer and the batch
    /// themselves (the tracker counts batches per epoch; an accumulator counts them over its lifetime).
    public var detail: String {
        switch self {
        case let .nonFinite(_, _, row, feature, value):
            return "non-finite value \(value) at row \(row), feature \(feature); "
                + "the batch was rejected and the accumulated statistics are unchanged"
        case .overflow:
            return "values are too large, their co-moment would overflow float64; "
                + "the batch was rejected and the accumulated statistics are unchanged"
        case let .bufferSize(_, _, shape, expected, count):
            return "expected \(shape) = \(expected) values, got \(count)"
        case let .featureMismatch(_, context, expected, found):
            return "\(context): expected \(expected) features, found \(found)"
        case .invalidSize, .corrupt, .unsupportedVersion, .io:
            return description
        }
    }

    static func show(_ layer: String) -> String { layer.isEmpty ? "<unnamed>" : "'\(layer)'" }
}
