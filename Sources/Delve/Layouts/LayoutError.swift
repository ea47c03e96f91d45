/// An activation tensor whose shape or size does not fit the layout it is reduced with.
public struct LayoutError: Error, Equatable, CustomStringConvertible {
    /// What is wrong.
    public enum Kind: Equatable, Sendable {
        /// The tensor has the wrong number of dimensions for its kind.
        case wrongRank(kind: ActivationKind, shape: [Int])
        /// A dimension is negative, or a feature, channel, time or spatial dimension is zero.
        case invalidDimension(kind: ActivationKind, shape: [Int])
        /// The element count of the shape overflows.
        case sizeOverflow(shape: [Int])
        /// The buffer does not hold product(shape) values.
        case sizeMismatch(shape: [Int], expected: Int, actual: Int)
        /// The downsampling size is not positive.
        case invalidDownsample(Int)
    }

    /// What is wrong.
    public let kind: Kind
    /// The layer (or file) the tensor belongs to, when known.
    public var layer: String?

    /// Creates an error, optionally naming the layer.
    public init(_ kind: Kind, layer: String? = nil) {
        self.kind = kind
        self.layer = layer
    }

    /// The same error naming `layer`.
    public func inLayer(_ layer: String) -> LayoutError {
        LayoutError(kind, layer: layer)
    }

    public var description: String {
        let prefix = layer.map { "layer '\($0)': " } ?? ""
        switch kind {
        case .wrongRank(let kind, let shape):
            return prefix + "expected \(kind.rank) dimensions \(kind.axesDescription) for \(kind.displayName), got \(shape)"
        case .invalidDimension(let kind, let shape):
            return prefix + "invalid shape \(shape) for \(kind.displayName) (\(kind.axesDescription)): "
                + "the batch may be empty but every other dimension must be at least 1"
        case .sizeOverflow(let shape):
            return prefix + "the shape \(shape) has more elements than can be addressed"
        case .sizeMismatch(let shape, let expected, let actual):
            return prefix + "the shape \(shape) needs \(expected) values but the buffer holds \(actual)"
        case .invalidDownsample(let size):
            return prefix + "the downsampling size must be at least 1, got \(size)"
        }
    }
}
