import DelveData
import DelveNN

/// A basic residual block (He et al. 2016): y = ReLU(BN(conv₂(ReLU(BN(conv₁(x))))) + shortcut(x)),
/// with 3×3 convolutions; `shortcut` is a 1×1 convolution + BatchNorm when the channel count or the
/// stride changes, the identity otherwise. It is an ordinary `Module` subclass — a model of your own
/// is written the same way: stored layer properties (found by name) and a `forward`.
public final class ResidualBlock: Module {
    /// First 3×3 convolution (carries the stride).
    public let conv1: Conv2d
    /// Normalization after `conv1`.
    public let bn1: BatchNorm2d
    /// Second 3×3 convolution.
    public let conv2: Conv2d
    /// Normalization after `conv2`.
    public let bn2: BatchNorm2d
    /// Projection of the input when its shape changes, else `nil` (identity).
    public let shortcut: Sequential?

    /// A block from `inChannels` to `outChannels`, downsampling by `stride`.
    public init(_ inChannels: Int, _ outChannels: Int, stride: Int = 1, rng: inout some RandomNumberGenerator) {
        conv1 = Conv2d(inChannels, outChannels, kernelSize: 3, stride: stride, padding: 1, bias: false, rng: &rng)
        bn1 = BatchNorm2d(outChannels)
        conv2 = Conv2d(outChannels, outChannels, kernelSize: 3, padding: 1, bias: false, rng: &rng)
        bn2 = BatchNorm2d(outChannels)
        shortcut = stride == 1 && inChannels == outChannels ? nil : Sequential(
            Conv2d(inChannels, outChannels, kernelSize: 1, stride: stride, bias: false, rng: &rng), BatchNorm2d(outChannels))
        super.init()
    }

    public override func forward(_ x: Tensor) -> Tensor {
        let y = bn2(conv2(bn1(conv1(x)).relu()))
        return (y + (shortcut?(x) ?? x)).relu()
    }
}
