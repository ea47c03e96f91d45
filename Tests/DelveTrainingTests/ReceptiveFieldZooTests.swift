import Delve
import DelveNNTracking
import DelveOutputs
import Foundation
import Testing
@testable import DelveTraining

@Suite("Receptive fields of the model zoo")
struct ReceptiveFieldZooTests {
    /// "name r=h×w j=h×w" per layer (square inputs: one number per axis pair when equal).
    func rows(_ prediction: ReceptiveFieldPrediction) -> [String] {
        prediction.layers.map { "\($0.name) \(ReceptiveFieldPrediction.sizeText($0.receptiveField)) \(ReceptiveFieldPrediction.sizeText($0.jump))" }
    }

    @Test("the demo's deep CNN at 8×8: the border is the 4th convolution, 5 of 8 predicted unproductive")
    func deepDemoCNN() throws {
        // Per convolution: conv, BatchNorm, ReLU (3 modules), a pool after every 2nd while the map ≥ 2:
        // features.0 r 3 | .3 r 5 | .6 pool r 5 + 1 = 6, j 2, 8→4 | .7 r 6 + 2·2 = 10 | .10 r 14
        // .13 pool r 14 + 1·2 = 16, j 4, 4→2 | .14 r 16 + 2·4 = 24 | .17 r 32 | .20 pool r 32 + 1·4 = 36, j 8, 2→1
        // .21 r 36 + 2·8 = 52 | .24 r 68 | classifier.0 (Linear on 1×1): r 68, j 8
        let p = try ModelZoo.receptiveField(model: "cnn", options: "depth=8,width=32,pool-every=2,classifier-hidden=0,batchnorm=true",
                                            height: 8, width: 8)
        #expect(rows(p) == ["features.0 3×3 1×1", "features.3 5×5 1×1", "features.6 6×6 2×2", "features.7 10×10 2×2",
                            "features.10 14×14 2×2", "features.13 16×16 4×4", "features.14 24×24 4×4", "features.17 32×32 4×4",
                            "features.20 36×36 8×8", "features.21 52×52 8×8", "features.24 68×68 8×8", "classifier.0 68×68 8×8"])
        // Input receptive fields: features.7 sees 6 < 8, features.10 sees 10 ≥ 8.
        #expect(p.borderLayer == "features.10")
        #expect(p.unproductiveLayers == ["features.10", "features.14", "features.17", "features.21", "features.24"])
        // The right-sized demo CNN (3 convolutions): the last one sees 6 < 8 at its input, no border.
        let small = try ModelZoo.receptiveField(model: "cnn", options: "depth=3,width=32,pool-every=2,classifier-hidden=0,batchnorm=true",
                                                height: 8, width: 8)
        #expect(small.borderLayer == nil && small.unproductiveLayers.isEmpty)
        // classifier.0 reads the 4×4 map of features.7 (r 10, j 2): r 10 + 3·2 = 16, j 2·4 = 8.
        #expect(rows(small).last == "classifier.0 16×16 8×8")
    }

    @Test("ResNet: residual blocks merge by the largest receptive field; a shortcut whose input is small is not unproductive")
    func resnet() throws {
        // stem.0 r 3 | blocks.0 (no shortcut): conv1 5, conv2 7, merged with the identity (3): 7, j 1
        // blocks.1 (stride 2): conv1 7 + 2 = 9, j 2, 8→4; conv2 9 + 2·2 = 13; shortcut.0 (1×1, s 2): 7, j 2 → 13
        // blocks.2 (stride 2): conv1 13 + 2·2 = 17, j 4, 4→2; conv2 17 + 2·4 = 25; shortcut.0: 13, j 4 → 25
        // pool (adaptive, window 2): 25 + 1·4 = 29, j 8 | classifier (on 1×1): 29, j 8
        let p = try ModelZoo.receptiveField(model: "resnet", height: 8, width: 8)
        #expect(rows(p) == ["stem.0 3×3 1×1", "blocks.0.conv1 5×5 1×1", "blocks.0.conv2 7×7 1×1",
                            "blocks.1.conv1 9×9 2×2", "blocks.1.conv2 13×13 2×2", "blocks.1.shortcut.0 7×7 2×2",
                            "blocks.2.conv1 17×17 4×4", "blocks.2.conv2 25×25 4×4", "blocks.2.shortcut.0 13×13 4×4",
                            "pool 29×29 8×8", "classifier 29×29 8×8"])
        // Inputs: blocks.1.conv1 sees 7 < 8, blocks.1.conv2 sees 9; blocks.1.shortcut.0 reads the block input (7).
        #expect(p.borderLayer == "blocks.1.conv2")
        #expect(p.unproductiveLayers == ["blocks.1.conv2", "blocks.2.conv1", "blocks.2.conv2", "blocks.2.shortcut.0"])
    }

    @Test("autoencoder: stride-2 encoder, transposed-conv decoder; mlp: linear layers see the whole input")
    func autoencoderAndMLP() throws {
        // encoder.0 r 3, j 2 | encoder.2 r 7, j 4 | decoder.0 (k 3, s 2): r 7 + ⌊2/2⌋·4 = 11, j 2
        // decoder.2: r 11 + 1·2 = 13, j 1
        let p = try ModelZoo.receptiveField(model: "autoencoder", height: 8, width: 8)
        #expect(rows(p) == ["encoder.0 3×3 2×2", "encoder.2 7×7 4×4", "decoder.0 11×11 2×2", "decoder.2 13×13 1×1"])
        #expect(p.borderLayer == "decoder.2" && p.unproductiveLayers == ["decoder.2"])
        // features.0 (Linear on the 6×10 input): r 1 + 5 = 6 by 1 + 9 = 10, j 6×10; the later ones keep it.
        let mlp = try ModelZoo.receptiveField(model: "mlp", height: 6, width: 10)
        #expect(rows(mlp) == ["features.0 6×10 6×10", "features.2 6×10 6×10", "classifier 6×10 6×10"])
        #expect(mlp.borderLayer == nil)
    }

    @Test("errors: unknown model, bad options, lstm (no 2-D receptive field), empty input")
    func errors() {
        #expect(throws: ModelZooError.unknownModel(name: "vit", valid: ModelZoo.names)) {
            _ = try ModelZoo.receptiveField(model: "vit", height: 8, width: 8)
        }
        #expect(throws: ModelZooError.self) { _ = try ModelZoo.receptiveField(model: "cnn", options: "depth=0", height: 8, width: 8) }
        #expect(throws: ReceptiveFieldError.unsupportedLayer(name: "lstm", type: "LSTM")) {
            _ = try ModelZoo.receptiveField(model: "lstm", height: 8, width: 8)
        }
        #expect(throws: ReceptiveFieldError.invalidInput([8, 0])) { _ = try ModelZoo.receptiveField(model: "cnn", height: 8, width: 0) }
    }

    @Test("a training run records receptive-field.json (the command's JSON), prints it and compares it in the verdict")
    func trainingRunRecordsIt() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("delve-rf-\(UUID().uuidString)", isDirectory: true)
        defer { try? FileManager.default.removeItem(at: url) }
        var configuration = TrainingConfiguration()
        configuration.model = "cnn"
        configuration.modelOptions = "depth=4,width=8,classifier-hidden=0"
        configuration.dataset = "digits"
        configuration.epochs = 1
        configuration.batchSize = 128
        configuration.seed = 3
        configuration.writers = [.jsonl]
        configuration.output = url.path
        let lines = SaidLines()
        let session = try TrainingRun(configuration, say: lines.say)
        let record = try session.trainAll()
        let expected = try ModelZoo.receptiveField(model: "cnn", options: configuration.modelOptions, height: 8, width: 8)
        // depth 4: features.0 3, .2 5, .4 pool 6 (j 2), .5 10, .7 14: .7's input (10) covers 8×8.
        #expect(expected.borderLayer == "features.7" && expected.unproductiveLayers == ["features.7"])
        #expect(try session.run.readReceptiveField() == expected)
        #expect(session.receptiveField == expected)
        #expect(lines.all.contains(expected.summary))
        let verdict = session.verdict(for: record)
        let agreement = try #require(verdict.receptiveField)
        #expect(agreement.predictedStart == "features.7")
        #expect(agreement.measuredStart == verdict.pattern?.layers.first)
        #expect(verdict.text.hasSuffix(agreement.sentence))
    }
}
