/// 2-D convolution (cross-correlation) over `[N, C, H, W]` (PyTorch `nn.Conv2d`), with stride, zero
/// padding, dilation and groups. `weight` is `[outChannels, inChannels/groups, kh, kw]`, `bias` is
/// `[outChannels]`. Output size per axis: ⌊(in + 2p − d(k − 1) − 1)/s⌋ + 1.
/// Computed by im2col and one `sgemm` per group for the whole batch.
public final class Conv2d: Module {
    /// The filters, `[outChannels, inChannels/groups, kh, kw]`.
    public let weight: Tensor
    /// The bias, `[outChannels]`, or `nil`.
    public let bias: Tensor?
    /// Input channels.
    public let inChannels: Int
    /// Output channels.
    public let outChannels: Int
    /// Kernel, stride, padding and dilation.
    public let geometry: WindowGeometry
    /// Number of channel groups.
    public let groups: Int

    /// A layer initialized from `rng` (PyTorch's scheme: U(±1/√fan_in) for weight and bias).
    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: (Int, Int), stride: (Int, Int) = (1, 1),
                padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1), groups: Int = 1, bias: Bool = true,
                rng: inout some RandomNumberGenerator) {
        require(inChannels > 0 && outChannels > 0, "Conv2d: channel counts must be positive")
        require(groups > 0 && inChannels % groups == 0 && outChannels % groups == 0,
                "Conv2d: groups \(groups) must divide inChannels \(inChannels) and outChannels \(outChannels)")
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.groups = groups
        geometry = WindowGeometry(kernel: kernelSize, stride: stride, padding: padding, dilation: dilation)
        (weight, self.bias) = Convolution.initialize(
            weightShape: [outChannels, inChannels / groups, kernelSize.0, kernelSize.1],
            fanIn: inChannels / groups * kernelSize.0 * kernelSize.1, biasCount: bias ? outChannels : nil, rng: &rng)
        super.init()
    }

    /// A layer with square kernel/stride/padding/dilation, initialized from `rng`.
    public convenience init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                            dilation: Int = 1, groups: Int = 1, bias: Bool = true, rng: inout some RandomNumberGenerator) {
        self.init(inChannels, outChannels, kernelSize: (kernelSize, kernelSize), stride: (stride, stride),
                  padding: (padding, padding), dilation: (dilation, dilation), groups: groups, bias: bias, rng: &rng)
    }

    /// A layer with square kernel/stride/padding/dilation, initialized from the default generator.
    public convenience init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                            dilation: Int = 1, groups: Int = 1, bias: Bool = true) {
        var rng = RandomState.withGenerator { SeededGenerator(seed: $0.next()) }
        self.init(inChannels, outChannels, kernelSize: kernelSize, stride: stride, padding: padding,
                  dilation: dilation, groups: groups, bias: bias, rng: &rng)
    }

    public override var localParameters: [(name: String, tensor: Tensor)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    /// The output height and width for an input of `height`×`width`.
    public func outputSize(height: Int, width: Int) -> (Int, Int) { geometry.outputSize(height: height, width: width) }

    public override func forward(_ input: Tensor) -> Tensor {
        require(input.rank == 4 && input.shape[1] == inChannels,
                "Conv2d: expected input [N, \(inChannels), H, W], got \(input.shape)")
        let (ho, wo) = outputSize(height: input.shape[2], width: input.shape[3])
        require(ho > 0 && wo > 0, "Conv2d: input \(input.shape) is smaller than the kernel \(geometry.kernel) (with padding/dilation)")
        return Convolution.forward(input, dims: .init(n: input.shape[0], c: inChannels, h: input.shape[2], w: input.shape[3]),
                                   weight: weight, bias: bias, geometry: geometry, groups: groups,
                                   outputShape: [input.shape[0], outChannels, ho, wo])
    }
}
