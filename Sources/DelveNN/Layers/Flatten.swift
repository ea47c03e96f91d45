/// Flattens dimensions `startDim...` into one (PyTorch `nn.Flatten`, default start 1 keeps the batch).
public final class Flatten: Module {
    /// The first dimension flattened.
    public let startDim: Int
    /// Creates the layer.
    public init(startDim: Int = 1) {
        self.startDim = startDim
        super.init()
    }
    public override func forward(_ input: Tensor) -> Tensor { input.flattened(startDim: startDim) }
}
