/// 1-D convolution (cross-correlation) over `[N, C, L]` (PyTorch `nn.Conv1d`), with stride, zero padding,
/// dilation and groups. `weight` is `[outChannels, inChannels/groups, k]`. Output length
/// ⌊(L + 2p − d(k − 1) − 1)/s⌋ + 1. Runs as a 2-D convolution of height 1.
public final class Conv1d: Module {
    /// The filters, `[outChannels, inChannels/groups, k]`.
    public let weight: Tensor
    /// The bias, `[outChannels]`, or `nil`.
    public let bias: Tensor?
    /// Input channels.
    public let inChannels: Int
    /// Output channels.
    public let outChannels: Int
    /// Number of channel groups.
    public let groups: Int
    let geometry: WindowGeometry

    /// A layer initialized from `rng` (U(±1/√fan_in) for weight and bias).
    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                dilation: Int = 1, groups: Int = 1, bias: Bool = true, rng: inout some RandomNumberGenerator) {
        require(inChannels > 0 && outChannels > 0, "Conv1d: channel counts must be positive")
        require(groups > 0 && inChannels % groups == 0 && outChannels % groups == 0,
                "Conv1d: groups \(groups) must divide inChannels \(inChannels) and outChannels \(outChannels)")
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.groups = groups
        geometry = WindowGeometry(kernel: (1, kernelSize), stride: (1, stride), padding: (0, padding), dilation: (1, dilation))
        (weight, self.bias) = Convolution.initialize(weightShape: [outChannels, inChannels / groups, kernelSize],
                                                     fanIn: inChannels / groups * kernelSize,
                                                     biasCount: bias ? outChannels : nil, rng: &rng)
        super.init()
    }

    /// A layer initialized from the default generator.
    public convenience init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                            dilation: Int = 1, groups: Int = 1, bias: Bool = true) {
        var rng = RandomState.withGenerator { SeededGenerator(seed: $0.next()) }
        self.init(inChannels, outChannels, kernelSize: kernelSize, stride: stride, padding: padding,
                  dilation: dilation, groups: groups, bias: bias, rng: &rng)
    }

    public override var localParameters: [(name: String, tensor: Tensor)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    /// The output length for an input of length `length`.
    public func outputLength(_ length: Int) -> Int { geometry.outputSize(height: 1, width: length).1 }

    public override func forward(_ input: Tensor) -> Tensor {
        require(input.rank == 3 && input.shape[1] == inChannels,
                "Conv1d: expected input [N, \(inChannels), L], got \(input.shape)")
        let lo = outputLength(input.shape[2])
        require(lo > 0, "Conv1d: input length \(input.shape[2]) is shorter than the kernel span")
        return Convolution.forward(input, dims: .init(n: input.shape[0], c: inChannels, h: 1, w: input.shape[2]),
                                   weight: weight, bias: bias, geometry: geometry, groups: groups,
                                   outputShape: [input.shape[0], outChannels, lo])
    }
}
