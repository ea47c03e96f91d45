import Testing
@testable import DelveTraining

/// An option the chosen model does not take is an error naming the option and the model's options.
@Suite("Model options that do not apply")
struct ModelOptionApplicabilityTests {
    @Test("each model rejects another model's option, naming it and its own options", arguments: ModelZoo.names)
    func inapplicable(model: String) throws {
        let own = try #require(ModelOptions.keysByModel[model])
        let foreign = try #require(ModelOptions.keys.first { !own.contains($0) })
        #expect(throws: ModelZooError.inapplicableOption(key: foreign, model: model, valid: own)) {
            try ModelOptions.checkApplicable("\(own[0])=2,\(foreign)=3", model: model)
        }
        let message = ModelZooError.inapplicableOption(key: foreign, model: model, valid: own).description
        #expect(message.contains("'\(foreign)'") && message.contains(model) && message.contains(own.joined(separator: ", ")))
    }

    @Test("a model's own options, the bn alias and an empty text pass; every key belongs to some model")
    func applicable() throws {
        try ModelOptions.checkApplicable("depth=3, width=8, BN=true, pool-every=1, classifier-hidden=0", model: "CNN")
        try ModelOptions.checkApplicable("", model: "mlp")
        #expect(throws: ModelZooError.inapplicableOption(key: "depth", model: "mlp", valid: ["hidden"])) {
            try ModelOptions.checkApplicable("depth=3", model: "mlp")
        }
        #expect(Set(ModelOptions.keysByModel.values.joined()) == Set(ModelOptions.keys))
        #expect(Set(ModelOptions.keysByModel.keys) == Set(ModelZoo.names))
    }
}
