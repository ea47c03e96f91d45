/// What `LSTM` and `GRU` share: their sizes, the per-layer weights under PyTorch's names, the input and
/// initial-state checks, the batch-first permutation to time-major, the loop over the stacked layers
/// (layer `k > 0` reads the hidden states of layer `k − 1`) and the stacking of each layer's final states.
///
/// A subclass gives its gate count (`gateCount`), the names of its states (`stateNames`: `h`, or `h`
/// and `c`) and `runLayer(_:weights:initialStates:)`, one layer over a time-major sequence. Weights are
/// drawn from U(−1/√H, 1/√H) like PyTorch, in its order (`weight_ih`, `weight_hh`, `bias_ih`, `bias_hh`
/// per layer). Not created directly (it has no cell; its initializer stops with a message): create an
/// ``LSTM`` or a ``GRU``.
public class RecurrentNetwork: Module {
    /// Input features per timestep.
    public let inputSize: Int
    /// Hidden (and output) features.
    public let hiddenSize: Int
    /// Number of stacked layers.
    public let numLayers: Int
    /// Whether input and output are `[batch, time, features]` (else `[time, batch, features]`).
    public let batchFirst: Bool
    /// Whether the layers have the biases `b_ih`, `b_hh`.
    public let bias: Bool
    let layers: [RecurrentLayerWeights]

    /// Gates per layer: the weights are `[gateCount·H, ·]`.
    class var gateCount: Int { preconditionFailure("\(self) does not override gateCount") }
    /// The names of the recurrent states in messages (`h`; `h`, `c`), in the order of `run`'s states.
    class var stateNames: [String] { preconditionFailure("\(self) does not override stateNames") }

    /// A network initialized from `rng`.
    public init(inputSize: Int, hiddenSize: Int, numLayers: Int = 1, batchFirst: Bool = false, bias: Bool = true,
                rng: inout some RandomNumberGenerator) {
        require(inputSize > 0 && hiddenSize > 0 && numLayers > 0,
                "\(Self.self): inputSize, hiddenSize and numLayers must be positive, got \(inputSize), \(hiddenSize), \(numLayers)")
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.numLayers = numLayers
        self.batchFirst = batchFirst
        self.bias = bias
        layers = RecurrentLayerWeights.stack(gates: Self.gateCount, input: inputSize, hidden: hiddenSize,
                                             layers: numLayers, bias: bias, rng: &rng)
        super.init()
    }

    /// A network initialized from the thread's default generator (`RandomState`).
    public convenience init(inputSize: Int, hiddenSize: Int, numLayers: Int = 1, batchFirst: Bool = false, bias: Bool = true) {
        var rng = RandomState.withGenerator { SeededGenerator(seed: $0.next()) }
        self.init(inputSize: inputSize, hiddenSize: hiddenSize, numLayers: numLayers, batchFirst: batchFirst, bias: bias, rng: &rng)
    }

    /// No sub-modules.
    public override var children: [(name: String, module: Module)] { [] }

    /// `weight_ih_l{k}`, `weight_hh_l{k}`, `bias_ih_l{k}`, `bias_hh_l{k}` for k = 0, 1, … (PyTorch order).
    public override var localParameters: [(name: String, tensor: Tensor)] {
        layers.enumerated().flatMap { $0.element.named(layer: $0.offset) }
    }

    /// The all-timestep output of the top layer, `[N, T, H]` or `[T, N, H]` like the input.
    public override func forward(_ input: Tensor) -> Tensor {
        runLayers(input, initialStates: nil).output
    }

    /// One layer over a time-major sequence `[T, N, I]` from `initialStates` (one `[N, H]` tensor per
    /// state, nil for zeros); returns the layer's `h_t` for every timestep, `[T, N, H]`, and its final
    /// states, one `[N, H]` tensor per state. Subclasses override it.
    func runLayer(_ sequence: Tensor, weights: RecurrentLayerWeights,
                  initialStates: [Tensor]?) -> (sequence: Tensor, finalStates: [Tensor]) {
        preconditionFailure("\(type(of: self)) does not override runLayer(_:weights:initialStates:)")
    }

    /// Runs every layer over `x` (`[N, T, I]` when `batchFirst`, else `[T, N, I]`) from `initialStates`
    /// (one `[numLayers, N, H]` tensor per state name, zeros when nil); returns the top layer's output in
    /// the input's layout and each state of every layer, `[numLayers, N, H]`.
    func runLayers(_ x: Tensor, initialStates: [Tensor]?) -> (output: Tensor, finalStates: [Tensor]) {
        let name = "\(type(of: self))", stateNames = Self.stateNames
        var sequence = RecurrentInput.timeMajor(x, batchFirst: batchFirst, inputSize: inputSize, layer: name)
        let batch = sequence.shape[1]
        if let initialStates {
            for (state, what) in zip(initialStates, stateNames) {
                RecurrentInput.checkState(state, layers: numLayers, batch: batch, hidden: hiddenSize, what: what, layer: name)
            }
        }
        var finals = Array(repeating: [Tensor](), count: stateNames.count)
        for (k, weights) in layers.enumerated() {
            let initial = initialStates.map { states in states.map { $0.selected(axis: 0, index: k) } }
            let result = runLayer(sequence, weights: weights, initialStates: initial)
            sequence = result.sequence
            for (s, state) in result.finalStates.enumerated() { finals[s].append(state) }
        }
        let output = batchFirst ? sequence.permuted([1, 0, 2]) : sequence
        return (output, finals.map { Tensor.stacked($0, axis: 0) })
    }
}
