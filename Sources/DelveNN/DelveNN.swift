/// DelveNN: a compact neural network framework (tensors, autograd, layers, optimizers, data).
public enum DelveNNInfo {
    /// The version of this package.
    public static let version = "0.1.0"
}
