/// 2-D transposed convolution (PyTorch `nn.ConvTranspose2d`): the gradient of `Conv2d` with respect to
/// its input, used for upsampling. `weight` is `[inChannels, outChannels/groups, kh, kw]`. Output size per
/// axis: (in − 1)·s − 2p + d(k − 1) + outputPadding + 1. Computed by one `sgemm` per group and col2im.
public final class ConvTranspose2d: Module {
    /// The filters, `[inChannels, outChannels/groups, kh, kw]`.
    public let weight: Tensor
    /// The bias, `[outChannels]`, or `nil`.
    public let bias: Tensor?
    /// Input channels.
    public let inChannels: Int
    /// Output channels.
    public let outChannels: Int
    /// Kernel, stride, padding and dilation.
    public let geometry: WindowGeometry
    /// Extra rows/columns added on one side of the output.
    public let outputPadding: (Int, Int)
    /// Number of channel groups.
    public let groups: Int

    /// A layer initialized from `rng` (PyTorch: fan_in = weight.shape[1]·kh·kw, U(±1/√fan_in)).
    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: (Int, Int), stride: (Int, Int) = (1, 1),
                padding: (Int, Int) = (0, 0), outputPadding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1),
                groups: Int = 1, bias: Bool = true, rng: inout some RandomNumberGenerator) {
        require(inChannels > 0 && outChannels > 0, "ConvTranspose2d: channel counts must be positive")
        require(groups > 0 && inChannels % groups == 0 && outChannels % groups == 0,
                "ConvTranspose2d: groups \(groups) must divide inChannels \(inChannels) and outChannels \(outChannels)")
        require(outputPadding.0 >= 0 && outputPadding.1 >= 0 &&
                (outputPadding.0 < stride.0 || outputPadding.0 < dilation.0) &&
                (outputPadding.1 < stride.1 || outputPadding.1 < dilation.1),
                "ConvTranspose2d: outputPadding \(outputPadding) must be smaller than stride or dilation")
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.groups = groups
        self.outputPadding = outputPadding
        geometry = WindowGeometry(kernel: kernelSize, stride: stride, padding: padding, dilation: dilation)
        (weight, self.bias) = Convolution.initialize(
            weightShape: [inChannels, outChannels / groups, kernelSize.0, kernelSize.1],
            fanIn: outChannels / groups * kernelSize.0 * kernelSize.1, biasCount: bias ? outChannels : nil, rng: &rng)
        super.init()
    }

    /// A layer with square parameters initialized from `rng`.
    public convenience init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                            outputPadding: Int = 0, dilation: Int = 1, groups: Int = 1, bias: Bool = true,
                            rng: inout some RandomNumberGenerator) {
        self.init(inChannels, outChannels, kernelSize: (kernelSize, kernelSize), stride: (stride, stride),
                  padding: (padding, padding), outputPadding: (outputPadding, outputPadding),
                  dilation: (dilation, dilation), groups: groups, bias: bias, rng: &rng)
    }

    /// A layer with square parameters initialized from the default generator.
    public convenience init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                            outputPadding: Int = 0, dilation: Int = 1, groups: Int = 1, bias: Bool = true) {
        var rng = RandomState.withGenerator { SeededGenerator(seed: $0.next()) }
        self.init(inChannels, outChannels, kernelSize: kernelSize, stride: stride, padding: padding,
                  outputPadding: outputPadding, dilation: dilation, groups: groups, bias: bias, rng: &rng)
    }

    public override var localParameters: [(name: String, tensor: Tensor)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    /// The output height and width for an input of `height`×`width`.
    public func outputSize(height: Int, width: Int) -> (Int, Int) {
        ((height - 1) * geometry.stride.0 - 2 * geometry.padding.0 + geometry.dilation.0 * (geometry.kernel.0 - 1) + outputPadding.0 + 1,
         (width - 1) * geometry.stride.1 - 2 * geometry.padding.1 + geometry.dilation.1 * (geometry.kernel.1 - 1) + outputPadding.1 + 1)
    }

    public override func forward(_ input: Tensor) -> Tensor {
        require(input.rank == 4 && input.shape[1] == inChannels,
                "ConvTranspose2d: expected input [N, \(inChannels), H, W], got \(input.shape)")
        let (ho, wo) = outputSize(height: input.shape[2], width: input.shape[3])
        require(ho > 0 && wo > 0, "ConvTranspose2d: non-positive output size \(ho)×\(wo) for input \(input.shape)")
        return Convolution.transposedForward(input, dims: .init(n: input.shape[0], c: inChannels, h: input.shape[2], w: input.shape[3]),
                                             weight: weight, bias: bias, geometry: geometry, groups: groups,
                                             outHeight: ho, outWidth: wo)
    }
}
