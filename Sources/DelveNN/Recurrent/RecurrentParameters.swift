/// The weights of one layer of a recurrent network, PyTorch layout:
/// `weight_ih` is `[gates·H, inputs]`, `weight_hh` is `[gates·H, H]`, biases `[gates·H]`.
struct RecurrentLayerWeights {
    /// `weight_ih_l{k}`.
    let weightIH: Tensor
    /// `weight_hh_l{k}`.
    let weightHH: Tensor
    /// `bias_ih_l{k}` (nil without bias).
    let biasIH: Tensor?
    /// `bias_hh_l{k}` (nil without bias).
    let biasHH: Tensor?

    /// Fresh weights drawn from U(−1/√H, 1/√H), as PyTorch initializes `nn.LSTM` / `nn.GRU`.
    /// The weights of `layers` stacked layers: the first reads `input` features, the others the
    /// `hidden` features of the layer below.
    static func stack(gates: Int, input: Int, hidden: Int, layers: Int, bias: Bool,
                      rng: inout some RandomNumberGenerator) -> [RecurrentLayerWeights] {
        var stack: [RecurrentLayerWeights] = []
        for k in 0..<layers {
            stack.append(RecurrentLayerWeights(gates: gates, input: k == 0 ? input : hidden, hidden: hidden,
                                               bias: bias, rng: &rng))
        }
        return stack
    }

    init(gates: Int, input: Int, hidden: Int, bias: Bool, rng: inout some RandomNumberGenerator) {
        let bound = 1 / Float(hidden).squareRoot()
        func draw(_ shape: [Int]) -> Tensor {
            let t = Tensor.uniform(shape, low: -bound, high: bound, using: &rng)
            t.requiresGrad = true
            return t
        }
        // PyTorch's registration (and drawing) order: w_ih, w_hh, b_ih, b_hh.
        weightIH = draw([gates * hidden, input])
        weightHH = draw([gates * hidden, hidden])
        biasIH = bias ? draw([gates * hidden]) : nil
        biasHH = bias ? draw([gates * hidden]) : nil
    }

    /// The parameters with their PyTorch names for layer `layer`.
    func named(layer: Int) -> [(name: String, tensor: Tensor)] {
        var result: [(name: String, tensor: Tensor)] = [("weight_ih_l\(layer)", weightIH), ("weight_hh_l\(layer)", weightHH)]
        if let biasIH, let biasHH {
            result += [("bias_ih_l\(layer)", biasIH), ("bias_hh_l\(layer)", biasHH)]
        }
        return result
    }
}

/// Shared shape handling of `LSTM` and `GRU` (see ``RecurrentNetwork``).
enum RecurrentInput {
    /// Validates a 3-D input and returns it time-major (`T × N × I`), permuting a batch-first input.
    static func timeMajor(_ x: Tensor, batchFirst: Bool, inputSize: Int, layer: String) -> Tensor {
        require(x.rank == 3 && x.shape[2] == inputSize,
                "\(layer): expected input \(batchFirst ? "[batch, time, \(inputSize)]" : "[time, batch, \(inputSize)]"), got \(x.shape)")
        let steps = batchFirst ? x.shape[1] : x.shape[0]
        require(steps >= 1, "\(layer): the input has no timestep (shape \(x.shape))")
        return batchFirst ? x.permuted([1, 0, 2]) : x
    }

    /// Validates an initial state tensor `[numLayers, N, H]`.
    static func checkState(_ state: Tensor, layers: Int, batch: Int, hidden: Int, what: String, layer: String) {
        require(state.shape == [layers, batch, hidden],
                "\(layer): initial \(what) must be [\(layers), \(batch), \(hidden)] (layers, batch, hidden), got \(state.shape)")
    }
}

extension Tensor {
    /// A new gradient buffer of zeros shaped like `self` when `self` needs a gradient, otherwise nil.
    func zeroGradientIfNeeded() -> Tensor? { requiresGrad ? Tensor.zeros(shape) : nil }
}
