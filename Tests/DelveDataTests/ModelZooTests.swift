import DelveNN
import Testing
@testable import DelveData

@Suite("Model zoo")
struct ModelZooTests {
    @Test func unknownNameListsValidOnes() throws {
        #expect(throws: ModelZooError.unknownModel(name: "transformer", valid: ModelZoo.names)) {
            _ = try ModelZoo.make(name: "transformer", inputShape: [1, 8, 8], classes: 10)
        }
        let message = ModelZooError.unknownModel(name: "x", valid: ModelZoo.names).description
        #expect(message.contains("valid models: mlp, "))
    }

    @Test func optionsParse() throws {
        let o = try ModelOptions(parsing: "hidden=32x16, depth=6,width=8,batchnorm=true,blocks=2")
        #expect(o.hidden == [32, 16] && o.depth == 6 && o.width == 8 && o.batchNorm && o.blocks == 2)
        #expect(try ModelOptions(parsing: "hidden=none").hidden.isEmpty)
        #expect(try ModelOptions(parsing: "") == ModelOptions())
        #expect(throws: ModelZooError.self) { _ = try ModelOptions(parsing: "depth=0") }
        #expect(throws: ModelZooError.self) { _ = try ModelOptions(parsing: "colour=red") }
        #expect(throws: ModelZooError.self) { _ = try ModelOptions(parsing: "hidden=12xq") }
    }

    @Test func mlpShapesNamesAndSeeds() throws {
        let model = try ModelZoo.make(name: "mlp", inputShape: [1, 8, 8], classes: 10, options: .init(hidden: [32, 16]), seed: 1)
        let x = Tensor.ones([5, 1, 8, 8])
        #expect(model(x).shape == [5, 10])
        #expect(model.namedParameters().map(\.path) == [
            "features.0.weight", "features.0.bias", "features.2.weight", "features.2.bias", "classifier.weight", "classifier.bias",
        ])
        #expect(model.namedParameters()[0].tensor.shape == [32, 64])
        let same = try ModelZoo.make(name: "MLP", inputShape: [64], classes: 10, options: .init(hidden: [32, 16]), seed: 1)
        #expect(same.parameters().map(\.scalars) == model.parameters().map(\.scalars))
        let other = try ModelZoo.make(name: "mlp", inputShape: [64], classes: 10, options: .init(hidden: [32, 16]), seed: 2)
        #expect(other.parameters()[0].scalars != model.parameters()[0].scalars)
    }

    @Test func mlpLearnsTheDigits() throws {
        let (rawTrain, rawTest) = try Digits.split()
        let stats = ChannelStatistics(fitting: rawTrain.scaledToUnitInterval())
        let train = try rawTrain.scaledToUnitInterval().standardized(stats)
        let test = try rawTest.scaledToUnitInterval().standardized(stats)
        let model = try ModelZoo.make(name: "mlp", inputShape: train.sampleShape, classes: 10, options: .init(hidden: [64]), seed: 0)
        let before = try Evaluation.classify(model, on: test)
        let optimizer = Adam(parameters: model.parameters(), learningRate: 3e-3)
        let loader = try DataLoader(train, batchSize: 32, seed: 1)
        for epoch in 0 ..< 8 {
            for batch in loader.batches(epoch: epoch) {
                optimizer.zeroGrad()
                crossEntropy(logits: model(batch.inputs), labels: batch.labels).backward()
                optimizer.step()
            }
        }
        let after = try Evaluation.classify(model, on: test)
        #expect(before.accuracy < 0.3)
        #expect(after.accuracy >= 0.9, "test accuracy \(after.accuracy)")
        #expect(after.loss < before.loss)
    }
}

@Suite("Model zoo: row LSTM")
struct RowLSTMTests {
    @Test func shapesNamesAndRowOrder() throws {
        let model = try ModelZoo.make(name: "lstm", inputShape: [1, 8, 8], classes: 10, options: .init(lstmHidden: 12), seed: 0)
        #expect(model(Tensor.ones([3, 1, 8, 8])).shape == [3, 10])
        #expect(model.namedParameters().map(\.path) == ["lstm.weight_ih_l0", "lstm.weight_hh_l0", "lstm.bias_ih_l0", "lstm.bias_hh_l0", "classifier.weight", "classifier.bias"])
        let lstm = try #require(model as? RowLSTM)
        #expect(lstm.lstm.inputSize == 8 && lstm.lstm.batchFirst)
        // Rows of a 2-channel image: timestep t holds row t of channel 0, then row t of channel 1.
        let x = Tensor(shape: [1, 2, 2, 3], data: (0 ..< 12).map(Float.init))
        let rows = lstm.rows(x)
        #expect(rows.shape == [1, 2, 6])
        #expect(rows.scalars == [0, 1, 2, 6, 7, 8, 3, 4, 5, 9, 10, 11])
        // The hook on the LSTM sees every timestep.
        var seen: [Int] = []
        model.registerForwardHooks(where: { path, _ in path == "lstm" }) { _, _, output in seen = output.shape }
        _ = model(Tensor.ones([2, 1, 8, 8]))
        #expect(seen == [2, 8, 12])
    }

    @Test func learnsTheDigits() throws {
        let (rawTrain, rawTest) = try Digits.split()
        let stats = ChannelStatistics(fitting: rawTrain)
        let train = try rawTrain.standardized(stats), test = try rawTest.standardized(stats)
        let model = try ModelZoo.make(name: "lstm", inputShape: train.sampleShape, classes: 10, options: .init(lstmHidden: 32), seed: 0)
        let optimizer = Adam(parameters: model.parameters(), learningRate: 1e-2)
        let loader = try DataLoader(train, batchSize: 32, seed: 1)
        for epoch in 0 ..< 4 {
            for batch in loader.batches(epoch: epoch) {
                optimizer.zeroGrad()
                crossEntropy(logits: model(batch.inputs), labels: batch.labels).backward()
                optimizer.step()
            }
        }
        let result = try Evaluation.classify(model, on: test)
        #expect(result.accuracy >= 0.85, "test accuracy \(result.accuracy)")
    }
}
