import Delve
import DelveOutputs
import DelveData
import DelveNN
import DelveNNTracking
import Foundation

/// Writes a line to standard output unbuffered, so that it interleaves with the console writer's output.
public func printLine(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}

/// One training run: data, model, optimizer, tracker and writers, epoch after epoch.
///
/// Every epoch trains on the training set (the tracker records the `train` phase through forward
/// hooks), evaluates on the test set in `eval()` mode (the `eval` phase), adds the losses and
/// accuracies as scalars, and ends the tracker's epoch, which computes the statistics and writes
/// every output file. Then a ``TrainingCheckpoint`` is saved, from which `delve train --resume`
/// continues exactly as if the run had not stopped: the epoch end runs in the background
/// (`SaturationTracker.endEpochInBackground()`) while the checkpoint writes and flushes the model and
/// optimizer, and the checkpoint's history waits for the epoch's record.
public final class TrainingRun {
    /// The run's configuration (for a resumed run: as recorded, with the new epoch total).
    public let configuration: TrainingConfiguration
    /// The run directory.
    public let run: RunDirectory
    /// The model being trained.
    public let model: Module
    /// The tracker watching the model.
    public let tracker: SaturationTracker
    /// The writers of the run's outputs, with the run's history (saved with every checkpoint).
    public let writers: RunWriters
    /// The tracker's hooks on the model.
    public let watch: WatchHandle
    /// The first epoch this process trains (the initial epoch, or the checkpoint's next epoch).
    public let startEpoch: Int
    /// The tracked layers' structural ceilings and multiply-adds (`ModelStructure`).
    public let structure: [LayerStructure]
    /// The receptive-field prediction of unproductive layers (`receptive-field.json`), nil for a model or data without one.
    public let receptiveField: ReceptiveFieldPrediction?
    private let train: LabeledImages
    let test: LabeledImages
    private let optimizer: any CheckpointableOptimizer
    let classifier: Bool
    let flatten: Bool
    /// How much of the history the last checkpoint holds.
    private var historyLog = TrainingCheckpoint.HistoryLog()
    /// This process's exclusive hold on the run directory (see ``RunLock``).
    private var runLock: RunLock?
    /// Where human-readable lines go (standard output by default).
    let say: (String) -> Void
    /// Whether the start lists every module not tracked (otherwise a count per type).
    public var verbose = false
    /// `--pca-eval`: the thresholds δ at which the trained model is evaluated with its tracked layers
    /// PCA-projected after the last epoch (`evaluatePCA(_:)`); empty: no PCA evaluation.
    public var pcaEvalThresholds: [Double] = []
    /// With ``pcaEvalThresholds``: also evaluate each δ with k random orthonormal directions per layer
    /// (Delve's control experiment; seeded by the configuration's seed).
    public var pcaEvalRandom = false

    /// Sets the run up: loads the data, builds the model, attaches the tracker, opens the writers.
    ///
    /// With `checkpoint` (from ``TrainingCheckpoint/load(run:)``, `configuration.output` being its run
    /// directory) it restores the model, optimizer, random generators and tracker first — any failure
    /// leaves the run directory untouched — then rewinds the outputs to the completed epochs. Every
    /// failure is a ``TrainingError`` (``TrainingError/init(_:)`` says how other errors map).
    ///
    /// A fresh run (no `checkpoint`) refuses a `configuration.output` that holds an earlier run's outputs
    /// (``TrainingError/invalid(_:)``, nothing touched) unless `replacing` is set; then it removes them.
    public convenience init(_ configuration: TrainingConfiguration, resume checkpoint: TrainingCheckpoint? = nil,
                            replacing: Bool = false,
                            say: @escaping (String) -> Void = printLine) throws(TrainingError) {
        do {
            try self.init(setUp: configuration, resume: checkpoint, replacing: replacing, say: say)
        } catch {
            throw TrainingError(error)
        }
    }

    private init(setUp configuration: TrainingConfiguration, resume checkpoint: TrainingCheckpoint?,
                 replacing: Bool, say: @escaping (String) -> Void) throws {
        self.configuration = configuration
        self.say = say
        guard configuration.epochs >= 1 else { throw TrainingError.invalid("--epochs must be at least 1, got \(configuration.epochs)") }
        guard configuration.batchSize >= 1 else { throw TrainingError.invalid("--batch-size must be at least 1, got \(configuration.batchSize)") }
        guard configuration.learningRate > 0, configuration.learningRate.isFinite else {
            throw TrainingError.invalid("--lr must be a positive number, got \(configuration.learningRate)")
        }
        guard configuration.lrSchedule.isValid else {
            throw TrainingError.invalid("--lr-schedule \(configuration.lrSchedule) is out of range (every and period ≥ 1, gamma > 0, minimum ≥ 0)")
        }
        (train, test) = try loadDatasets(configuration)
        classifier = ModelZoo.isClassifier(configuration.model)
        flatten = configuration.model.lowercased() == "mlp"
        let options = try ModelOptions(parsing: configuration.modelOptions)
        try ModelOptions.checkApplicable(configuration.modelOptions, model: configuration.model)
        let inputShape = flatten ? [train.sampleSize] : train.sampleShape
        model = try ModelZoo.make(name: configuration.model, inputShape: inputShape, classes: train.classCount,
                                  options: options, seed: configuration.seed)
        // The optimizer's state is keyed by parameter path, so a checkpoint does not depend on their order.
        switch configuration.optimizer.lowercased() {
        case "sgd":
            optimizer = SGD(namedParameters: model.namedParameters(), learningRate: configuration.learningRate, momentum: 0.9)
        case "adam":
            optimizer = Adam(namedParameters: model.namedParameters(), learningRate: configuration.learningRate)
        case "adamw":
            optimizer = AdamW(namedParameters: model.namedParameters(), learningRate: configuration.learningRate)
        default:
            throw TrainingError.invalid("unknown optimizer '\(configuration.optimizer)'; expected sgd, adam or adamw")
        }
        tracker = try SaturationTracker(options: configuration.tracker)
        try Self.planCKA(configuration, model: model, test: test, flatten: flatten, say: say)
        structure = ModelStructure.layers(of: model, sampleShape: inputShape)
        receptiveField = Self.receptiveFieldPrediction(of: model, sampleShape: train.sampleShape)
        var completed: [EpochRecord] = []
        if let checkpoint {
            run = try RunDirectory(existing: configuration.output)
            let folder = checkpoint.folderURL(run)
            try model.loadSafetensors(from: folder.appendingPathComponent(TrainingCheckpoint.modelFile))
            try model.restoreRandomGeneratorStates(checkpoint.randomStates, source: TrainingCheckpoint.manifestURL(run).path)
            let optimizerURL = folder.appendingPathComponent(TrainingCheckpoint.optimizerFile)
            try optimizer.importState(try OptimizerState.read(from: optimizerURL), source: optimizerURL.path)
            let trackerURL = folder.appendingPathComponent(TrainingCheckpoint.trackerFolder)
            let state = try TrackerState.read(from: trackerURL)
            guard state.epoch == checkpoint.nextEpoch else {
                throw TrainingError.failed("\(trackerURL.path)/\(TrackerState.fileName): epoch \(state.epoch), the manifest says \(checkpoint.nextEpoch)")
            }
            try tracker.restoreState(state, source: trackerURL.path)
            completed = try checkpoint.history(run)
            if let last = completed.last { tracker.seedCollapseWarning(from: last) }
            historyLog = checkpoint.historyLog
            try checkpoint.checkOutputs(run)
            // Everything is loaded and checked: only now change the run directory, holding its lock.
            runLock = try RunLock(directory: run.url)
            try checkpoint.rewindOutputs(run)
            startEpoch = checkpoint.nextEpoch
        } else {
            runLock = try RunLock(directory: URL(fileURLWithPath: configuration.output, isDirectory: true))
            let earlier = RunDirectory.earlierOutputs(at: configuration.output)
            guard replacing || earlier.isEmpty else {
                throw TrainingError.invalid("--out \(configuration.output) already holds a run (\(earlier.joined(separator: ", "))): "
                    + "pass --resume \(configuration.output) to continue it, --overwrite to replace it, or another --out")
            }
            run = try RunDirectory(path: configuration.output)
            try TrainingCheckpoint.recordStart(configuration, run: run)
            startEpoch = configuration.tracker.initialEpoch
        }
        try Self.recordReceptiveField(receptiveField, run: run)
        writers = try RunWriters(configuration.writers, run: run, configuration: configuration.pairs,
                                 ceilings: TrainingRun.ceilings(structure), initialEpoch: startEpoch, completed: completed)
        tracker.addWriter(writers)
        watch = tracker.watch(model)
    }

    /// The epoch after the last one of the run.
    public var endEpoch: Int { configuration.tracker.initialEpoch + configuration.epochs }

    /// Trains every remaining epoch, saving a checkpoint after each, and returns the last epoch's record.
    /// Ctrl-C or SIGTERM ends it with ``TrainingError/interrupted(_:)`` after the last checkpoint.
    @discardableResult
    public func trainAll() throws(TrainingError) -> EpochRecord {
        do {
            return try trainRemainingEpochs()
        } catch {
            throw TrainingError(error)
        }
    }

    private func trainRemainingEpochs() throws -> EpochRecord {
        try Self.validatePCAThresholds(pcaEvalThresholds)
        say(verbose ? watch.report.detailedDescription : watch.report.description)
        if let receptiveField { say(receptiveField.summary) }
        if startEpoch > configuration.tracker.initialEpoch {
            say("Resuming at epoch \(startEpoch) (epochs \(configuration.tracker.initialEpoch) to \(endEpoch - 1))")
        }
        let loader = try DataLoader(train, batchSize: configuration.batchSize, shuffle: true,
                                    seed: configuration.seed, prefetch: true, flatten: flatten)
        let testLoader = try DataLoader(test, batchSize: 256, shuffle: false, flatten: flatten)
        var last: EpochRecord?
        for epoch in startEpoch..<endEpoch {
            try Interruption.check(epoch: epoch, run: run.url)
            // A pure function of the epoch: a resumed run sets the same rate as an uninterrupted one.
            optimizer.learningRate = configuration.lrSchedule.learningRate(
                base: configuration.learningRate, step: epoch - configuration.tracker.initialEpoch)
            let (trainLoss, trainAccuracy) = trainEpoch(epoch, loader: loader)
            let (testLoss, testAccuracy) = evaluate(epoch, loader: testLoader)
            try Interruption.check(epoch: epoch, run: run.url)   // an abandoned epoch writes nothing
            tracker.addScalar("train-loss", trainLoss)
            if classifier { tracker.addScalar("train-accuracy", trainAccuracy) }
            tracker.addScalar("test-loss", testLoss)
            if classifier { tracker.addScalar("test-accuracy", testAccuracy) }
            let snapshots = try pcaSnapshotsIfLast(epoch: epoch)   // before the epoch end resets them
            // The epoch's statistics are computed and written in the background while the checkpoint
            // writes and flushes the model and optimizer; its history waits for the epoch's record.
            try tracker.endEpochInBackground()
            func writtenHistory() throws -> [EpochRecord] {
                do {
                    last = try tracker.waitForPendingEpochs().last
                } catch .backgroundEpoch(_, let failure) {
                    throw failure   // this epoch's, as endEpoch() would throw it
                }
                return writers.history.records
            }
            do {
                historyLog = try TrainingCheckpoint.save(run: run, nextEpoch: epoch + 1, configuration: configuration, model: model,
                                                         optimizer: optimizer, tracker: tracker, history: writtenHistory,
                                                         historyLog: historyLog)
            } catch {
                _ = try? tracker.waitForPendingEpochs()   // no output is left half written
                throw error
            }
            if let snapshots { try evaluatePCA(snapshots) }
        }
        try tracker.close()
        guard let last else { throw TrainingError.failed("no epoch to train (the run ends at epoch \(endEpoch - 1))") }
        return last
    }

    /// One pass over the training set; returns the mean loss and the accuracy.
    private func trainEpoch(_ epoch: Int, loader: DataLoader) -> (Double, Double) {
        model.train()
        return pass(epoch, phase: .train, loader: loader, order: epoch) { batch in
            optimizer.zeroGrad()
            let output = model(batch.inputs)
            let loss = lossValue(output, batch)
            loss.backward()
            optimizer.step()
            return (output, loss)
        }
    }

    /// One pass over the test set in evaluation mode, without gradients.
    private func evaluate(_ epoch: Int, loader: DataLoader) -> (Double, Double) {
        model.eval()
        defer { model.train() }
        return GradMode.withoutGrad {
            pass(epoch, phase: .eval, loader: loader, order: 0) { batch in
                let output = model(batch.inputs)
                return (output, lossValue(output, batch))
            }
        }
    }

    /// Cross-entropy for classifiers, MSE against the input for the autoencoder.
    func lossValue(_ output: Tensor, _ batch: TensorBatch) -> Tensor {
        classifier ? crossEntropy(logits: output, labels: batch.labels) : mseLoss(output, batch.inputs)
    }

    /// Runs `step` on every batch of `loader` (shuffled as epoch `order`), reporting progress to the
    /// writers; returns the mean loss and the accuracy (0 for the autoencoder).
    private func pass(_ epoch: Int, phase: Phase, loader: DataLoader, order: Int,
                      step: (TensorBatch) -> (output: Tensor, loss: Tensor)) -> (Double, Double) {
        writers.phaseStarted(epoch: epoch, phase: phase, totalBatches: loader.batchCount)
        let start = Date()
        var lossSum = 0.0, correct = 0, seen = 0, batchIndex = 0
        for batch in loader.batches(epoch: order) {
            if Interruption.receivedSignal != nil { break }
            if configuration.needsLabels { tracker.setLabels(batch.labels, phase: phase) }
            let (output, loss) = step(batch)
            let n = batch.labels.count
            lossSum += Double(loss.item) * Double(n)
            if classifier {
                for (predicted, label) in zip(output.argmaxLastAxis(), batch.labels) where predicted == label { correct += 1 }
            }
            seen += n
            batchIndex += 1
            writers.batchFinished(BatchProgress(epoch: epoch, phase: phase, batch: batchIndex, totalBatches: loader.batchCount,
                                                samples: seen, elapsed: Date().timeIntervalSince(start),
                                                runningLoss: lossSum / Double(seen)))
        }
        return (lossSum / Double(max(seen, 1)), Double(correct) / Double(max(seen, 1)))
    }

    /// The tail pattern of the last epoch (eval phase when present, else train), if there is one.
    public func tailPattern(in record: EpochRecord) -> TailPattern? {
        verdict(for: record).pattern
    }
}
