import DelveNN

extension ModelZoo {
    /// The models that need an image input (filled in as the layers they need exist).
    static func makeImageModel(
        _ key: String, image: (channels: Int, height: Int, width: Int), classes: Int, options: ModelOptions,
        rng: inout SeededGenerator
    ) throws(ModelZooError) -> Module {
        throw .unknownModel(name: key, valid: ["mlp"])
    }
}
