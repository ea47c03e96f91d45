import Delve
import DelveNN

/// A DelveNN tensor presented to the tracker as an `ActivationBatch` (of the Delve module), without copying.
public struct TensorActivationBatch: ActivationBatch {
    /// The layer output.
    public let tensor: Tensor
    public let kind: ActivationKind

    /// Wraps `tensor`, to be read as `kind`.
    public init(_ tensor: Tensor, kind: ActivationKind) {
        self.tensor = tensor
        self.kind = kind
    }

    /// The tensor's shape; a 1-D convolution's `N×C×L` output is read as `N×C×1×L`, so that each
    /// position is an observation of the channels, as for 2-D convolutions.
    public var shape: [Int] {
        let shape = tensor.shape
        if kind == .convolution && shape.count == 3 { return [shape[0], shape[1], 1, shape[2]] }
        return shape
    }

    public func withUnsafeFloats<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try tensor.withUnsafeBufferPointer(body)
    }
}
