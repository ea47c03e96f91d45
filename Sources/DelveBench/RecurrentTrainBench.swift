import DelveNN

/// The LSTM model of `delve-bench train --models lstm`, as in `bench/pytorch_train_reference.py lstm`:
/// `LSTM(28 → 128, batch first)` over 28 timesteps, the last timestep's hidden state → `Linear(128, 10)`.
/// Input `[N, 28, 28]`.
final class LSTMClassifier: Module {
    /// The recurrent layer, `[N, 28, 28]` → `[N, 28, 128]`.
    let lstm: LSTM
    /// The classifier head on the last timestep.
    let fc: Linear

    /// The model initialized from `rng` (LSTM parameters first, then the head, as PyTorch registers them).
    init(rng: inout some RandomNumberGenerator) {
        lstm = LSTM(inputSize: 28, hiddenSize: 128, batchFirst: true, rng: &rng)
        fc = Linear(128, 10, rng: &rng)
        super.init()
    }

    override func forward(_ input: Tensor) -> Tensor {
        let sequence = lstm(input)                                              // [N, T, 128]
        return fc(sequence.selected(axis: 1, index: sequence.shape[1] - 1))     // last timestep
    }
}
