import DelveData
import DelveNN

/// An LSTM classifier that reads an image row by row: each of the H rows is a timestep whose C·W
/// values are the step's input. `lstm` (batch-first, `lstm-hidden` units, `lstm-layers` layers) runs
/// over the rows and the linear `classifier` reads the top layer's output at the last row.
/// Layer paths: `lstm` (its hook sees every timestep's output, `[N, H, hidden]`), `classifier`.
public final class RowLSTM: Module {
    /// The recurrent part (batch first).
    public let lstm: LSTM
    /// The output layer on the last timestep.
    public let classifier: Linear

    /// Builds the network for `channels`×`height`×`width` inputs, initialized from `rng`.
    public init(channels: Int, height: Int, width: Int, classes: Int, hidden: Int, layers: Int, rng: inout some RandomNumberGenerator) {
        lstm = LSTM(inputSize: channels * width, hiddenSize: hidden, numLayers: layers, batchFirst: true, rng: &rng)
        classifier = Linear(hidden, classes, rng: &rng)
        super.init()
    }

    /// The rows of `[N, C, H, W]` as a sequence `[N, H, C·W]`.
    public func rows(_ input: Tensor) -> Tensor {
        let n = input.shape[0], c = input.shape[1], h = input.shape[2], w = input.shape[3]
        return (c == 1 ? input : input.permuted([0, 2, 1, 3])).reshaped([n, h, c * w])
    }

    /// rows → LSTM → last timestep → classifier.
    public override func forward(_ input: Tensor) -> Tensor {
        let output = lstm(rows(input))
        return classifier(output.selected(axis: 1, index: output.shape[1] - 1))
    }
}

extension ModelZoo {
    /// Builds `lstm`.
    static func makeRowLSTM(channels: Int, height: Int, width: Int, classes: Int, options: ModelOptions, rng: inout SeededGenerator) throws(ModelZooError) -> Module {
        RowLSTM(channels: channels, height: height, width: width, classes: classes, hidden: options.lstmHidden, layers: options.lstmLayers, rng: &rng)
    }
}
