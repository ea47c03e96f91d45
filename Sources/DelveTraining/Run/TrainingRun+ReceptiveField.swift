import Delve
import DelveNN
import DelveNNTracking
import DelveOutputs
import Foundation

extension TrainingRun {
    /// The receptive-field prediction of `model` for samples of `sampleShape` (`[C, H, W]`), nil when the
    /// data are not images, the model has no 2-D receptive field (`ReceptiveFieldError`, e.g. an LSTM) or
    /// no convolution (an MLP: nothing to predict).
    static func receptiveFieldPrediction(of model: Module, sampleShape: [Int]) -> ReceptiveFieldPrediction? {
        guard sampleShape.count == 3, let field = try? ReceptiveField(of: model, height: sampleShape[1], width: sampleShape[2]),
              field.layers.contains(where: \.isConvolution) else { return nil }
        return ReceptiveFieldPrediction(field)
    }

    /// Writes `receptive-field.json` for `prediction`, or removes one an earlier run left when there is none.
    static func recordReceptiveField(_ prediction: ReceptiveFieldPrediction?, run: RunDirectory) throws {
        if let prediction {
            try run.writeReceptiveField(prediction)
        } else {
            try? FileManager.default.removeItem(at: run.receptiveFieldURL)
        }
    }
}
