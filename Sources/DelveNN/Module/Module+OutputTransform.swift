extension Module {
    /// Replaces this module's output: `callAsFunction` returns `transform(forward(x))` instead of
    /// `forward(x)`, and the forward hooks see the transformed output. `nil` removes the transform.
    ///
    /// It changes a trained model's behaviour without rebuilding it (e.g. a `PCAProjection` after a
    /// layer, as `delve train --pca-eval` does); the module's parameters, paths and state are unchanged.
    /// Modules that call ``runForwardHooks(_:)`` themselves instead of being called are not affected.
    public func setOutputTransform(_ transform: ((Tensor) -> Tensor)?) {
        outputTransform = transform
    }

    /// Whether an output transform is set (see ``setOutputTransform(_:)``).
    public var hasOutputTransform: Bool { outputTransform != nil }
}
