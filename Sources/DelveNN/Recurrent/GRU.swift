/// A multi-layer gated recurrent unit network (PyTorch `nn.GRU` semantics and parameter names).
///
/// For each layer and timestep, with gates in PyTorch's order `r, z, n`:
/// `r = σ(W_ir x + b_ir + W_hr h + b_hr)`, `z = σ(W_iz x + b_iz + W_hz h + b_hz)`,
/// `n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))`, `h' = (1 − z) ⊙ n + z ⊙ h`.
/// Layer `k > 0` reads the hidden states of layer `k − 1`.
///
/// Input `[N, T, I]` when `batchFirst`, otherwise `[T, N, I]`. `run` returns the top layer's hidden state at
/// every timestep (same layout as the input) and the final `h` of every layer, `[numLayers, N, H]`.
/// `forward` returns the all-timestep output. Parameters: `weight_ih_l{k}` `[3H, in]`, `weight_hh_l{k}` `[3H, H]`,
/// `bias_ih_l{k}`, `bias_hh_l{k}` `[3H]`, all initialized from U(−1/√H, 1/√H) like PyTorch. Each layer runs as one
/// autograd node whose forward and backward-through-time are BLAS kernels (`GRUKernel`).
public final class GRU: RecurrentNetwork {
    override class var gateCount: Int { 3 }
    override class var stateNames: [String] { ["h"] }

    /// Runs the network over the whole sequence.
    ///
    /// - Parameters:
    ///   - x: `[N, T, inputSize]` when `batchFirst`, otherwise `[T, N, inputSize]`.
    ///   - initialState: `h`, `[numLayers, N, hiddenSize]`; zeros when nil.
    /// - Returns: `output` — the top layer's `h_t` for every timestep, `[N, T, H]` or `[T, N, H]`;
    ///   `state` — the final `h` of every layer, `[numLayers, N, H]`. All differentiable.
    public func run(_ x: Tensor, initialState: Tensor? = nil) -> (output: Tensor, state: Tensor) {
        let result = runLayers(x, initialStates: initialState.map { [$0] })
        return (result.output, result.finalStates[0])
    }

    /// One layer: `h_t` for every t and the final `h` (its last row).
    override func runLayer(_ sequence: Tensor, weights: RecurrentLayerWeights,
                           initialStates: [Tensor]?) -> (sequence: Tensor, finalStates: [Tensor]) {
        let output = GRU.layer(sequence, weights: weights, h0: initialStates?[0])
        return (output, [output.selected(axis: 0, index: sequence.shape[0] - 1)])
    }

    /// One layer over a time-major sequence `[T, N, I]` as one autograd node; returns `h_t` for all t, `[T, N, H]`.
    static func layer(_ x: Tensor, weights: RecurrentLayerWeights, h0: Tensor?) -> Tensor {
        let hidden = weights.weightHH.shape[1]
        let shape = RecurrentShape(steps: x.shape[0], batch: x.shape[1], input: x.shape[2], hidden: hidden)
        let (T, N, H) = (shape.steps, shape.batch, hidden)
        let output = TensorStorage(uninitializedCount: T * N * H)
        let cache = TensorStorage(uninitializedCount: T * N * 4 * H)
        GRUKernel.forward(shape, x: x.storage.pointer, weightIH: weights.weightIH.storage.pointer,
                          weightHH: weights.weightHH.storage.pointer,
                          biasIH: weights.biasIH?.storage.pointer, biasHH: weights.biasHH?.storage.pointer,
                          h0: h0?.storage.pointer, output: output.pointer, cache: cache.pointer)
        var parents = [x, weights.weightIH, weights.weightHH]
        if let b = weights.biasIH { parents.append(b) }
        if let b = weights.biasHH { parents.append(b) }
        if let h0 { parents.append(h0) }
        return Tensor(shape: [T, N, H], storage: output, parents: parents) { g in
            let gx: Tensor? = x.requiresGrad ? Tensor.empty(x.shape) : nil
            let gWIH = weights.weightIH.zeroGradientIfNeeded()
            let gWHH = weights.weightHH.zeroGradientIfNeeded()
            let gBIH = weights.biasIH?.zeroGradientIfNeeded()
            let gBHH = weights.biasHH?.zeroGradientIfNeeded()
            let gH0: Tensor? = (h0?.requiresGrad ?? false) ? Tensor.empty([N, H]) : nil
            GRUKernel.backward(shape, x: x.storage.pointer, weightIH: weights.weightIH.storage.pointer,
                               weightHH: weights.weightHH.storage.pointer, h0: h0?.storage.pointer,
                               output: output.pointer, cache: cache.pointer,
                               gradOutput: g.storage.pointer, gradFinalHidden: nil,
                               gradX: gx?.storage.pointer, gradWeightIH: gWIH?.storage.pointer,
                               gradWeightHH: gWHH?.storage.pointer, gradBiasIH: gBIH?.storage.pointer,
                               gradBiasHH: gBHH?.storage.pointer, gradH0: gH0?.storage.pointer)
            var grads: [Tensor?] = [gx, gWIH, gWHH]
            if weights.biasIH != nil { grads.append(gBIH) }
            if weights.biasHH != nil { grads.append(gBHH) }
            if h0 != nil { grads.append(gH0) }
            return grads
        }
    }
}
