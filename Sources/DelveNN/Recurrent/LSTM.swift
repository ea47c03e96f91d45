/// A multi-layer long short-term memory network (PyTorch `nn.LSTM` semantics and parameter names).
///
/// For each layer and timestep, with gates in PyTorch's order `i, f, g, o`:
/// `i = σ(W_ii x + b_ii + W_hi h + b_hi)`, `f = σ(W_if x + b_if + W_hf h + b_hf)`,
/// `g = tanh(W_ig x + b_ig + W_hg h + b_hg)`, `o = σ(W_io x + b_io + W_ho h + b_ho)`,
/// `c' = f ⊙ c + i ⊙ g`, `h' = o ⊙ tanh(c')`. Layer `k > 0` reads the hidden states of layer `k − 1`.
///
/// Input `[N, T, I]` when `batchFirst`, otherwise `[T, N, I]`. `run` returns the top layer's hidden state at
/// every timestep (same layout as the input) and the final `(h, c)`, each `[numLayers, N, H]`.
/// `forward` (and so `callAsFunction`, `Sequential` and forward hooks) returns the all-timestep output.
/// Parameters: `weight_ih_l{k}` `[4H, in]`, `weight_hh_l{k}` `[4H, H]`, `bias_ih_l{k}`, `bias_hh_l{k}` `[4H]`,
/// all initialized from U(−1/√H, 1/√H) like PyTorch. Each layer runs as one autograd node whose forward and
/// backward-through-time are BLAS kernels (`LSTMKernel`).
public final class LSTM: RecurrentNetwork {
    override class var gateCount: Int { 4 }
    override class var stateNames: [String] { ["h", "c"] }

    /// Runs the network over the whole sequence.
    ///
    /// - Parameters:
    ///   - x: `[N, T, inputSize]` when `batchFirst`, otherwise `[T, N, inputSize]`.
    ///   - initialState: `(h, c)`, each `[numLayers, N, hiddenSize]`; zeros when nil.
    /// - Returns: `output` — the top layer's `h_t` for every timestep, `[N, T, H]` or `[T, N, H]`;
    ///   `state` — the final `(h, c)` of every layer, each `[numLayers, N, H]`. All differentiable.
    public func run(_ x: Tensor, initialState: (h: Tensor, c: Tensor)? = nil) -> (output: Tensor, state: (h: Tensor, c: Tensor)) {
        let result = runLayers(x, initialStates: initialState.map { [$0.h, $0.c] })
        return (result.output, (result.finalStates[0], result.finalStates[1]))
    }

    /// One layer: `h_t` for every t and the final `(h, c)`, read from the packed output of ``layer(_:weights:h0:c0:)``.
    override func runLayer(_ sequence: Tensor, weights: RecurrentLayerWeights,
                           initialStates: [Tensor]?) -> (sequence: Tensor, finalStates: [Tensor]) {
        let steps = sequence.shape[0]
        let packed = LSTM.layer(sequence, weights: weights, h0: initialStates?[0], c0: initialStates?[1])
        return (packed.narrowed(axis: 0, start: 0, length: steps),
                [packed.selected(axis: 0, index: steps - 1), packed.selected(axis: 0, index: steps)])
    }

    /// One layer over a time-major sequence `[T, N, I]` as one autograd node. Returns `[T + 1, N, H]`:
    /// rows `0..<T` are `h_t`, row `T` is the final cell state `c_T`.
    static func layer(_ x: Tensor, weights: RecurrentLayerWeights, h0: Tensor?, c0: Tensor?) -> Tensor {
        let hidden = weights.weightHH.shape[1]
        let shape = RecurrentShape(steps: x.shape[0], batch: x.shape[1], input: x.shape[2], hidden: hidden)
        let (T, N, H) = (shape.steps, shape.batch, hidden)
        let packed = TensorStorage(uninitializedCount: (T + 1) * N * H)
        let cells = TensorStorage(uninitializedCount: T * N * H)
        let gates = TensorStorage(uninitializedCount: T * N * 4 * H)
        let tanhCells = TensorStorage(uninitializedCount: T * N * H)
        LSTMKernel.forward(shape, x: x.storage.pointer, weightIH: weights.weightIH.storage.pointer,
                           weightHH: weights.weightHH.storage.pointer,
                           biasIH: weights.biasIH?.storage.pointer, biasHH: weights.biasHH?.storage.pointer,
                           h0: h0?.storage.pointer, c0: c0?.storage.pointer,
                           output: packed.pointer, cells: cells.pointer, gates: gates.pointer,
                           tanhCells: tanhCells.pointer)
        (packed.pointer + T * N * H).update(from: cells.pointer + (T - 1) * N * H, count: N * H)

        var parents = [x, weights.weightIH, weights.weightHH]
        if let b = weights.biasIH { parents.append(b) }
        if let b = weights.biasHH { parents.append(b) }
        if let h0 { parents.append(h0) }
        if let c0 { parents.append(c0) }
        return Tensor(shape: [T + 1, N, H], storage: packed, parents: parents) { g in
            let gx: Tensor? = x.requiresGrad ? Tensor.empty(x.shape) : nil
            let gWIH = weights.weightIH.zeroGradientIfNeeded()
            let gWHH = weights.weightHH.zeroGradientIfNeeded()
            let needBias = (weights.biasIH?.requiresGrad ?? false) || (weights.biasHH?.requiresGrad ?? false)
            let gBias: Tensor? = needBias ? Tensor.zeros([4 * H]) : nil
            let gH0: Tensor? = (h0?.requiresGrad ?? false) ? Tensor.empty([N, H]) : nil
            let gC0: Tensor? = (c0?.requiresGrad ?? false) ? Tensor.empty([N, H]) : nil
            let pg = g.storage.pointer
            LSTMKernel.backward(shape, x: x.storage.pointer, weightIH: weights.weightIH.storage.pointer,
                                weightHH: weights.weightHH.storage.pointer,
                                h0: h0?.storage.pointer, c0: c0?.storage.pointer,
                                output: packed.pointer, cells: cells.pointer, gates: gates.pointer,
                                tanhCells: tanhCells.pointer, gradOutput: pg, gradFinalHidden: nil, gradFinalCell: pg + T * N * H,
                                gradX: gx?.storage.pointer, gradWeightIH: gWIH?.storage.pointer,
                                gradWeightHH: gWHH?.storage.pointer, gradBias: gBias?.storage.pointer,
                                gradH0: gH0?.storage.pointer, gradC0: gC0?.storage.pointer)
            var grads: [Tensor?] = [gx, gWIH, gWHH]
            if weights.biasIH != nil { grads.append(weights.biasIH!.requiresGrad ? gBias : nil) }
            if weights.biasHH != nil { grads.append(weights.biasHH!.requiresGrad ? gBias?.copy() : nil) }
            if h0 != nil { grads.append(gH0) }
            if c0 != nil { grads.append(gC0) }
            return grads
        }
    }
}
