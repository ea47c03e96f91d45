import DelveData
import DelveNN

/// A VGG-style convolutional classifier.
///
/// `features`: `depth` × [Conv2d 3×3 padding 1 (`width` channels), optional BatchNorm2d, ReLU], with a
/// MaxPool2d(2) after every `poolEvery` convolutions while both sides of the map are at least 2 (an odd side
/// rounds down, as in PyTorch). `classifier`: flatten, then Linear(→ `classifierHidden`), ReLU,
/// Linear(→ classes), or a single Linear when `classifierHidden` is 0.
/// The convolutions are He-normal initialized (fan-out, zero bias, as torchvision's VGG) so a deep
/// stack without BatchNorm still trains from the first epoch; the linear layers keep PyTorch's default.
/// Layer paths: `features.0` (first conv), `features.1` (ReLU or BatchNorm), …, `classifier.0`, ….
public final class ConvNet: Module {
    /// The convolutional part.
    public let features: Sequential
    /// The fully connected part (its input is the flattened feature map).
    public let classifier: Sequential
    /// The shape of the feature map entering the classifier, `[C, H, W]`.
    public let featureShape: [Int]

    /// Builds the network for `channels`×`height`×`width` inputs, initialized from `rng`.
    public init(
        channels: Int, height: Int, width: Int, classes: Int, depth: Int, convWidth: Int, batchNorm: Bool,
        poolEvery: Int, classifierHidden: Int, rng: inout some RandomNumberGenerator
    ) {
        var layers: [Module] = []
        var c = channels, h = height, w = width
        for i in 0 ..< depth {
            let conv = Conv2d(c, convWidth, kernelSize: 3, padding: 1, rng: &rng)
            Initialization.heNormal(conv, rng: &rng)
            layers.append(conv)
            if batchNorm { layers.append(BatchNorm2d(convWidth)) }
            layers.append(ReLU())
            c = convWidth
            if (i + 1) % poolEvery == 0, h >= 2, w >= 2 {
                layers.append(MaxPool2d(kernelSize: 2))
                h /= 2
                w /= 2
            }
        }
        features = Sequential(layers)
        featureShape = [c, h, w]
        let flat = c * h * w
        if classifierHidden > 0 {
            classifier = Sequential(Linear(flat, classifierHidden, rng: &rng), ReLU(), Linear(classifierHidden, classes, rng: &rng))
        } else {
            classifier = Sequential(Linear(flat, classes, rng: &rng))
        }
        super.init()
    }

    /// features → flatten → classifier.
    public override func forward(_ input: Tensor) -> Tensor {
        classifier(features(input).flattened(startDim: 1))
    }
}
