import DelveNN
import Testing
@testable import DelveTraining
import DelveData

@Suite("Model zoo")
struct ModelZooTests {
    @Test func unknownNameListsValidOnes() throws {
        #expect(throws: ModelZooError.unknownModel(name: "transformer", valid: ModelZoo.names)) {
            _ = try ModelZoo.make(name: "transformer", inputShape: [1, 8, 8], classes: 10)
        }
        let message = ModelZooError.unknownModel(name: "x", valid: ModelZoo.names).description
        #expect(message.contains("valid models: mlp, cnn, resnet, lstm, autoencoder"))
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
        for epoch in 0 ..< 3 {
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

@Suite("Model zoo: convolutional models")
struct ConvModelZooTests {
    let digitsShape = [1, 8, 8]

    @Test func cnnShapesAndNames() throws {
        let model = try ModelZoo.make(name: "cnn", inputShape: digitsShape, classes: 10, options: .init(depth: 4, width: 8), seed: 0)
        #expect(model(Tensor.ones([3, 1, 8, 8])).shape == [3, 10])
        let net = try #require(model as? ConvNet)
        #expect(net.featureShape == [8, 2, 2])  // 8 → pool → 4 → pool → 2
        let paths = model.namedModules().map(\.path)
        #expect(paths.contains("features.0") && paths.contains("features.2") && paths.contains("classifier.2"))
        #expect(net.features[0] is Conv2d && net.features[1] is ReLU && net.features[4] is MaxPool2d && net.features[5] is Conv2d)
        // Deep: pooling stops at 1×1, batch norm inserted after each conv.
        let deep = try ModelZoo.make(name: "cnn", inputShape: digitsShape, classes: 10,
                                     options: .init(depth: 10, width: 4, batchNorm: true, classifierHidden: 0), seed: 0)
        #expect((deep as? ConvNet)?.featureShape == [4, 1, 1])
        #expect(deep(Tensor.ones([2, 1, 8, 8])).shape == [2, 10])
        #expect((deep as? ConvNet)?.features[1] is BatchNorm2d)
        #expect(throws: ModelZooError.self) { _ = try ModelZoo.make(name: "cnn", inputShape: [64], classes: 10) }
    }

    @Test func resnetShapesAndNames() throws {
        let model = try ModelZoo.make(name: "resnet", inputShape: digitsShape, classes: 10, options: .init(width: 4, blocks: 3), seed: 0)
        #expect(model(Tensor.ones([2, 1, 8, 8])).shape == [2, 10])
        let names = model.namedParameters().map(\.path)
        #expect(names.contains("blocks.0.conv1.weight"))
        #expect(!names.contains { $0.hasPrefix("blocks.0.shortcut") })  // same shape: identity shortcut
        #expect(names.contains("blocks.1.shortcut.0.weight"))           // downsampling: 1×1 projection
        #expect(names.contains("classifier.weight"))
        #expect(model.namedParameters().first { $0.path == "classifier.weight" }?.tensor.shape == [10, 16])
        // The identity shortcut really adds the input: a block with zeroed BN scale returns ReLU(x).
        var rng = SeededGenerator(seed: 1)
        let block = ResidualBlock(2, 2, rng: &rng)
        block.eval()
        for (path, t) in block.namedParameters() where path == "bn2.weight" {
            t.withUnsafeMutableBufferPointer { for i in $0.indices { $0[i] = 0 } }
        }
        let x = Tensor(shape: [1, 2, 2, 2], data: [1, -2, 3, -4, 5, -6, 7, -8])
        #expect(block(x).scalars == x.scalars.map { max($0, 0) })
    }

    @Test func autoencoderReconstructsTheInputShape() throws {
        for shape in [[1, 8, 8], [3, 7, 5], [1, 28, 28], [2, 1, 1]] {
            let model = try ModelZoo.make(name: "autoencoder", inputShape: shape, classes: 0, options: .init(width: 4), seed: 0)
            #expect(model(Tensor.ones([2] + shape)).shape == [2] + shape)
        }
        let ae = try #require(try ModelZoo.make(name: "autoencoder", inputShape: digitsShape, classes: 10, options: .init(width: 4)) as? ConvAutoencoder)
        #expect(ae.encode(Tensor.ones([1, 1, 8, 8])).shape == [1, 8, 2, 2])
        #expect(!ModelZoo.isClassifier("autoencoder") && ModelZoo.isClassifier("cnn"))
    }

    @Test func cnnLearnsTheDigits() throws {
        let (rawTrain, rawTest) = try Digits.split()
        let stats = ChannelStatistics(fitting: rawTrain)
        let train = try rawTrain.standardized(stats), test = try rawTest.standardized(stats)
        let model = try ModelZoo.make(name: "cnn", inputShape: train.sampleShape, classes: 10, options: .init(depth: 2, width: 8, classifierHidden: 32), seed: 0)
        let optimizer = Adam(parameters: model.parameters(), learningRate: 3e-3)
        let loader = try DataLoader(train, batchSize: 32, seed: 1)
        for epoch in 0 ..< 3 {
            for batch in loader.batches(epoch: epoch) {
                optimizer.zeroGrad()
                crossEntropy(logits: model(batch.inputs), labels: batch.labels).backward()
                optimizer.step()
            }
        }
        let result = try Evaluation.classify(model, on: test)
        #expect(result.accuracy >= 0.9, "test accuracy \(result.accuracy)")
    }

    @Test func autoencoderLossFalls() throws {
        let (rawTrain, _) = try Digits.split()
        let train = rawTrain.scaledToUnitInterval()
        let model = try ModelZoo.make(name: "autoencoder", inputShape: train.sampleShape, classes: 10, options: .init(width: 8), seed: 0)
        let optimizer = Adam(parameters: model.parameters(), learningRate: 1e-2)
        let loader = try DataLoader(train, batchSize: 64, seed: 2)
        func meanLoss() -> Float {
            GradMode.withoutGrad {
                let x = Tensor(shape: [train.count] + train.sampleShape, data: train.pixels)
                return mseLoss(model(x), x).item
            }
        }
        let before = meanLoss()
        for epoch in 0 ..< 2 {
            for batch in loader.batches(epoch: epoch) {
                optimizer.zeroGrad()
                mseLoss(model(batch.inputs), batch.inputs).backward()
                optimizer.step()
            }
        }
        let after = meanLoss()
        #expect(after < 0.5 * before, "MSE \(before) → \(after)")
    }
}
