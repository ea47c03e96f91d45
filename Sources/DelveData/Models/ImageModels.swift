import DelveNN

extension ModelZoo {
    /// The models that need an image input.
    static func makeImageModel(
        _ key: String, image: (channels: Int, height: Int, width: Int), classes: Int, options: ModelOptions,
        rng: inout SeededGenerator
    ) throws(ModelZooError) -> Module {
        let (c, h, w) = image
        switch key {
        case "lstm":
            return try makeRowLSTM(channels: c, height: h, width: w, classes: classes, options: options, rng: &rng)
        default:
            throw .unknownModel(name: key, valid: names)
        }
    }
}
