/// One batch of a layer's outputs, as the ``SaturationTracker`` receives it.
///
/// This is the only thing the statistics engine needs from a framework: the batch's shape, how
/// to read it (``ActivationKind``: dense `N×D`, convolution `N×C×H×W`, sequence `N×T×F` or
/// `T×N×F`) and its values as contiguous row-major `Float`s. Adapters (such as `DelveNNTracking`
/// for DelveNN) conform their tensor type to it; ``ArrayActivationBatch`` serves plain arrays.
public protocol ActivationBatch {
    /// The shape of the batch, leading axis first (the sample axis, or time for `T×N×F`).
    var shape: [Int] { get }
    /// How the axes are to be read.
    var kind: ActivationKind { get }
    /// Calls `body` with the batch's values, contiguous and row-major, without copying if possible.
    func withUnsafeFloats<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R
}

/// An ``ActivationBatch`` backed by a Swift array — for activations from anywhere.
public struct ArrayActivationBatch: ActivationBatch, Sendable {
    /// The values, row-major.
    public var values: [Float]
    public var shape: [Int]
    public var kind: ActivationKind

    /// A batch of `values` with the given `shape` and `kind`; the value count must match the shape.
    public init(values: [Float], shape: [Int], kind: ActivationKind) {
        self.values = values
        self.shape = shape
        self.kind = kind
    }

    public func withUnsafeFloats<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try values.withUnsafeBufferPointer(body)
    }
}

extension ActivationKind {
    /// The number of samples in a batch of this kind and shape (the batch axis: axis 1 for `T×N×F`).
    func sampleCount(shape: [Int]) -> Int {
        switch self {
        case .sequence(batchFirst: false): return shape.count > 1 ? shape[1] : 0
        default: return shape.first ?? 0
        }
    }
}
