import Delve
import DelveNN
import DelveNNTracking
import DelveOutputs

extension ModelZoo {
    /// The receptive-field prediction of zoo model `name` (with `options` text as `--model-options`
    /// gives it) for `height`×`width` inputs: the model is built for one input channel and 10 classes
    /// (neither changes a receptive field) and walked by `ReceptiveField`.
    ///
    /// Throws `ModelZooError` for an unknown model or bad options, `ReceptiveFieldError` for a model
    /// without a 2-D receptive field (`lstm`) or an input too small for it.
    public static func receptiveField(model name: String, options text: String = "", height: Int, width: Int) throws -> ReceptiveFieldPrediction {
        let options = try ModelOptions(parsing: text)
        try ModelOptions.checkApplicable(text, model: name)
        guard height > 0, width > 0 else { throw ReceptiveFieldError.invalidInput([height, width]) }
        let shape = name.lowercased() == "mlp" ? [height * width] : [1, height, width]
        let model = try make(name: name, inputShape: shape, classes: 10, options: options)
        return ReceptiveFieldPrediction(try ReceptiveField(of: model, height: height, width: width))
    }
}

extension ReceptiveFieldPrediction {
    /// The prediction of a walked model, as the outputs keep it.
    public init(_ field: ReceptiveField) {
        self.init(input: [field.input.0, field.input.1],
                  layers: field.layers.map { Layer(name: $0.name, type: $0.type, receptiveField: [$0.receptiveField.0, $0.receptiveField.1],
                                                   jump: [$0.jump.0, $0.jump.1]) },
                  borderLayer: field.borderLayer?.name, unproductiveLayers: field.unproductiveLayers)
    }
}
