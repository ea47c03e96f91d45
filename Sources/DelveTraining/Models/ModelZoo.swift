import DelveData
import DelveNN

/// The named models of `delve train --model NAME`, built for an input shape and a class count.
///
/// | name | model |
/// |---|---|
/// | `mlp` | `MLP`: flatten, Linear+ReLU per `hidden` width, Linear classifier |
/// | `cnn` | `ConvNet`: VGG-style, `depth` 3×3 convolutions of `width` channels (+BatchNorm), ReLU, max-pool |
/// | `resnet` | `ResNet`: a stem convolution, `blocks` × `ResidualBlock`, global average pool, Linear |
/// | `lstm` | `RowLSTM`: reads the image row by row (rows are timesteps), Linear on the last output |
/// | `autoencoder` | `ConvAutoencoder`: stride-2 Conv2d encoder, ConvTranspose2d decoder; output = input shape |
public enum ModelZoo {
    /// The valid model names.
    public static let names = ["mlp", "cnn", "resnet", "lstm", "autoencoder"]

    /// Whether the named model is trained as a classifier (cross-entropy on `classes` logits) rather
    /// than as an autoencoder (MSE between output and input).
    public static func isClassifier(_ name: String) -> Bool { name != "autoencoder" }

    /// Builds model `name` for samples of `inputShape` (`[C, H, W]`, or `[D]` for `mlp`) and `classes`
    /// outputs, with every weight drawn from `SeededGenerator(seed: seed)` (same seed, same model).
    public static func make(
        name: String, inputShape: [Int], classes: Int, options: ModelOptions = ModelOptions(), seed: UInt64 = 0
    ) throws(ModelZooError) -> Module {
        let key = name.lowercased()
        guard names.contains(key) else { throw .unknownModel(name: name, valid: names) }
        guard !inputShape.isEmpty, inputShape.allSatisfy({ $0 > 0 }) else {
            throw .unsupportedInputShape(model: key, shape: inputShape, message: "dimensions must be positive")
        }
        guard classes > 0 || key == "autoencoder" else {
            throw .unsupportedInputShape(model: key, shape: inputShape, message: "classes must be positive, got \(classes)")
        }
        var rng = SeededGenerator(seed: seed)
        func image() throws(ModelZooError) -> (channels: Int, height: Int, width: Int) {
            guard inputShape.count == 3 else {
                throw .unsupportedInputShape(model: key, shape: inputShape, message: "expected an image shape [C, H, W]")
            }
            return (inputShape[0], inputShape[1], inputShape[2])
        }
        switch key {
        case "mlp":
            return MLP(inputSize: inputShape.reduce(1, *), hidden: options.hidden, classes: classes, rng: &rng)
        default:
            return try makeImageModel(key, image: try image(), classes: classes, options: options, rng: &rng)
        }
    }
}
