import DelveData
import DelveNN

/// A multilayer perceptron: the input is flattened, then `features` = (Linear, ReLU) per hidden
/// width, then the linear `classifier`. Layer paths: `features.0` (first Linear), `features.1`
/// (its ReLU), `features.2`, …, `classifier`.
public final class MLP: Module {
    /// The hidden layers: Linear and ReLU alternately.
    public let features: Sequential
    /// The output layer, producing one logit per class.
    public let classifier: Linear

    /// An MLP from `inputSize` through `hidden` to `classes` logits, initialized from `rng`.
    public init(inputSize: Int, hidden: [Int], classes: Int, rng: inout some RandomNumberGenerator) {
        var layers: [Module] = []
        var width = inputSize
        for size in hidden {
            layers.append(Linear(width, size, rng: &rng))
            layers.append(ReLU())
            width = size
        }
        features = Sequential(layers)
        classifier = Linear(width, classes, rng: &rng)
        super.init()
    }

    /// Flattens `[N, …]` to `[N, D]`, then applies the layers.
    public override func forward(_ input: Tensor) -> Tensor {
        let x = input.rank > 2 ? input.flattened(startDim: 1) : input
        return classifier(features(x))
    }
}
