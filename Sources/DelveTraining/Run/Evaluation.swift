import DelveData
import DelveNN

/// Measuring a classifier on a dataset.
public enum Evaluation {
    /// The share of samples whose largest logit is the true class, and the mean cross-entropy, with the
    /// model in evaluation mode, gradients and forward hooks off (a watching tracker records nothing; the
    /// model's previous mode is restored).
    public static func classify(_ model: Module, on data: LabeledImages, batchSize: Int = 256, flatten: Bool = false) throws(DatasetError) -> (accuracy: Double, loss: Double) {
        guard data.count > 0 else { throw .invalidArgument("Evaluation.classify: empty dataset") }
        let loader = try DataLoader(data, batchSize: batchSize, shuffle: false, flatten: flatten)
        let wasTraining = model.training
        model.eval()
        defer { model.train(wasTraining) }
        var correct = 0
        var lossSum = 0.0
        Module.withoutHooks { GradMode.withoutGrad {
            for batch in loader.batches(epoch: 0) {
                let logits = model(batch.inputs)
                lossSum += Double(crossEntropy(logits: logits, labels: batch.labels).item) * Double(batch.labels.count)
                for (predicted, label) in zip(logits.argmaxLastAxis(), batch.labels) where predicted == label { correct += 1 }
            }
        } }
        return (Double(correct) / Double(data.count), lossSum / Double(data.count))
    }
}
