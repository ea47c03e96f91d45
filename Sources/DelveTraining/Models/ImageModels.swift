import DelveData
import DelveNN

extension ModelZoo {
    /// The models that need an image input.
    static func makeImageModel(
        _ key: String, image: (channels: Int, height: Int, width: Int), classes: Int, options: ModelOptions,
        rng: inout SeededGenerator
    ) throws(ModelZooError) -> Module {
        let (c, h, w) = image
        switch key {
        case "cnn":
            return ConvNet(
                channels: c, height: h, width: w, classes: classes, depth: options.depth, convWidth: options.width,
                batchNorm: options.batchNorm, poolEvery: options.poolEvery, classifierHidden: options.classifierHidden, rng: &rng)
        case "resnet":
            return ResNet(channels: c, height: h, width: w, classes: classes, blockCount: options.blocks, baseWidth: options.width, rng: &rng)
        case "autoencoder":
            return ConvAutoencoder(channels: c, height: h, width: w, baseWidth: options.width, rng: &rng)
        case "lstm":
            return try makeRowLSTM(channels: c, height: h, width: w, classes: classes, options: options, rng: &rng)
        default:
            throw .unknownModel(name: key, valid: names)
        }
    }
}
