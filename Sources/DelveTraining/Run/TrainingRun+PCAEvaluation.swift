import Delve
import DelveData
import DelveNN
import DelveNNTracking
import DelveOutputs

extension TrainingRun {
    /// Checks `--pca-eval` thresholds: at least one, each δ in (0, 1].
    public static func validatePCAThresholds(_ thresholds: [Double]) throws(TrainingError) {
        for delta in thresholds where !(delta > 0 && delta <= 1) {
            throw .invalid("--pca-eval: δ must be in (0, 1], got \(delta)")
        }
    }

    /// The train covariances of the last epoch, when a PCA evaluation is due and `epoch` is the last one
    /// (read before `endEpoch()` resets them).
    func pcaSnapshotsIfLast(epoch: Int) throws -> [LayerCovarianceSnapshot]? {
        guard !pcaEvalThresholds.isEmpty, epoch == endEpoch - 1 else { return nil }
        return try tracker.trainCovariances()
    }

    /// `--pca-eval`: evaluates the trained model on the test set with every projectable tracked layer
    /// projected onto its last epoch's train eigenvectors explaining δ (`PCAProjectionSetup`), for each δ
    /// of ``pcaEvalThresholds``; writes `pca-eval.csv` and `plots/pca-eval.*` and returns the table
    /// (`nil`, with a note, when no layer can be projected). Hooks are off: the tracker records nothing.
    @discardableResult
    func evaluatePCA(_ snapshots: [LayerCovarianceSnapshot]) throws -> PCAEvaluation? {
        let setup = try PCAProjectionSetup(model: model, snapshots: snapshots, layout: configuration.tracker.layout,
                                           threshold: pcaEvalThresholds[0])
        defer { setup.detach() }
        for (layer, reason) in setup.skipped { say("PCA evaluation: \(layer) not projected: \(reason)") }
        guard !setup.projections.isEmpty else {
            say("PCA evaluation: no tracked layer can be projected; pca-eval.csv not written")
            return nil
        }
        let loader = try DataLoader(test, batchSize: 256, shuffle: false, flatten: flatten)
        var rows: [PCAEvaluation.Row] = []
        var generator = SeededGenerator(seed: configuration.seed ^ 0x9E37_79B9_7F4A_7C15)
        for delta in pcaEvalThresholds {
            try setup.setThreshold(delta)
            let (loss, accuracy) = evaluateQuietly(loader)
            var row = PCAEvaluation.Row(delta: delta, accuracy: classifier ? accuracy : nil, loss: loss, kept: setup.keptDimensions)
            let kept = zip(setup.projections, row.kept).map { "\($0.layer) \($1)/\($0.projection.features)" }
            say("PCA evaluation δ = \(delveNumberText(delta)): " + (classifier ? "test accuracy \(delveNumberText(accuracy)), " : "")
                + "test loss \(delveNumberText(loss)); kept \(kept.joined(separator: ", "))")
            if pcaEvalRandom {
                setup.injectRandomDirections(using: &generator)
                let (randomLoss, randomAccuracy) = evaluateQuietly(loader)
                row.randomLoss = randomLoss
                row.randomAccuracy = classifier ? randomAccuracy : nil
                say("  random directions, same k: " + (classifier ? "test accuracy \(delveNumberText(randomAccuracy)), " : "")
                    + "test loss \(delveNumberText(randomLoss))")
            }
            rows.append(row)
        }
        let evaluation = PCAEvaluation(layers: setup.projections.map(\.layer),
                                       features: setup.projections.map(\.projection.features), rows: rows)
        try evaluation.write(to: run)
        say("PCA evaluation written to \(PCAEvaluation.url(in: run).path)")
        return evaluation
    }

    /// Mean loss and accuracy over `loader` in evaluation mode, without gradients or hooks.
    private func evaluateQuietly(_ loader: DataLoader) -> (loss: Double, accuracy: Double) {
        model.eval()
        defer { model.train() }
        return Module.withoutHooks {
            GradMode.withoutGrad {
                var lossSum = 0.0, correct = 0, seen = 0
                for batch in loader.batches(epoch: 0) {
                    let output = model(batch.inputs)
                    let n = batch.labels.count
                    lossSum += Double(lossValue(output, batch).item) * Double(n)
                    if classifier {
                        for (predicted, label) in zip(output.argmaxLastAxis(), batch.labels) where predicted == label { correct += 1 }
                    }
                    seen += n
                }
                return (lossSum / Double(max(seen, 1)), Double(correct) / Double(max(seen, 1)))
            }
        }
    }
}
