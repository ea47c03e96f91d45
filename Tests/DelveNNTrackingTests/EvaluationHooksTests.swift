import Testing
import Delve
import DelveData
import DelveNN
import DelveTraining
@testable import DelveNNTracking

@Suite("Evaluating a watched model")
struct EvaluationHooksTests {
    /// 12 samples of 4 features in 3 classes.
    func dataset() throws -> LabeledImages {
        var rng = SeededGenerator(seed: 21)
        let pixels = Tensor.normal([12, 4], using: &rng).scalars
        return try LabeledImages(sampleShape: [4], pixels: pixels, labels: (0..<12).map { $0 % 3 }, classCount: 3)
    }

    @Test("Evaluation.classify adds no samples to a watching tracker")
    func classifyRecordsNothing() throws {
        var rng = SeededGenerator(seed: 22)
        let model = Sequential(Linear(4, 6, rng: &rng), ReLU(), Linear(6, 3, rng: &rng))
        let data = try dataset()
        let tracker = try SaturationTracker()
        tracker.watch(model)
        _ = model(Tensor.normal([10, 4], using: &rng))
        let (accuracy, loss) = try Evaluation.classify(model, on: data, batchSize: 5)
        #expect((0...1).contains(accuracy) && loss.isFinite && loss > 0)
        #expect(model.training)
        let layers = try tracker.endEpoch().layers
        #expect(layers.map(\.layer) == ["0", "2"])
        #expect(layers.map(\.phase) == [.train, .train])
        #expect(layers.map(\.samples) == [10, 10])

        // The same evaluation outside `withoutHooks` is recorded: the check above can fail.
        model.eval()
        _ = GradMode.withoutGrad { model(Tensor(shape: [12, 4], data: data.pixels)) }
        let evalLayers = try tracker.endEpoch().layers
        #expect(evalLayers.map(\.phase) == [.eval, .eval])
        #expect(evalLayers.map(\.samples) == [12, 12])
    }
}
