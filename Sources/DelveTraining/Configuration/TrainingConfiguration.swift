import Foundation
import DelveNN
import Foundation
import Delve
import DelveOutputs
import DelveData

/// Everything that defines a training run of `delve train` (and of each model of `delve demo`).
public struct TrainingConfiguration: Sendable {
    /// The defaults of `delve train`.
    public init() {}

    /// Model zoo name (`mlp`, `cnn`, `resnet`, `lstm`, `autoencoder`).
    public var model = "cnn"
    /// Model zoo options, e.g. `depth=8,width=32`.
    public var modelOptions = ""
    /// `digits`, `mnist`, `fashion-mnist`, `cifar10` or `csv`.
    public var dataset = "digits"
    /// Folder (mnist, fashion-mnist, cifar10) or file (csv) of the data; unused for digits.
    public var dataPath: String? = nil
    public var epochs = 10
    public var batchSize = 64
    public var learningRate: Float = 0.05
    /// The learning rate of each epoch as a function of the epoch index counted from the initial epoch
    /// (`delve train --lr-schedule`); `.constant` by default.
    public var lrSchedule: LearningRateSchedule = .constant
    /// `sgd` (momentum 0.9), `adam` or `adamw`.
    public var optimizer = "sgd"
    public var seed: UInt64 = 0
    public var tracker = TrackerOptions(statistics: [.lsat, .idim])
    public var writers: [WriterKind] = [.console, .csv, .jsonl, .plot, .report]
    /// The run folder.
    public var output = "runs/run"

    /// The configuration as name/value pairs for `run.json` and the report.
    public var pairs: [RunInfo.Pair] {
        [
            .init("model", model), .init("model-options", modelOptions.isEmpty ? "(defaults)" : modelOptions),
            .init("dataset", dataset), .init("data", dataPath ?? "(embedded)"),
            .init("epochs", String(epochs)), .init("batch-size", String(batchSize)),
            .init("lr", String(learningRate)), .init("lr-schedule", lrSchedule.description),
            .init("optimizer", optimizer), .init("seed", String(seed)),
            .init("stats", tracker.statistics.map(\.rawValue).joined(separator: ",")),
            .init("threshold", String(tracker.threshold)),
            .init("conv-method", tracker.layout.convMethod.rawValue),
            .init("timeseries-method", tracker.layout.timeseriesMethod.rawValue),
            .init("downsample", tracker.layout.downsample.map(String.init) ?? "off"),
            .init("compat", tracker.convention.rawValue),
            .init("precision", tracker.precision.rawValue),
            .init("covariance", tracker.resetCovariance ? "per epoch" : "accumulated over epochs"),
            .init("writers", writers.map(\.rawValue).joined(separator: ",")),
        ] + similarityPairs + probePairs
    }
}

/// The datasets `delve train --dataset` knows.
public enum DatasetChoice: String, CaseIterable {
    case digits, mnist, fashionMNIST = "fashion-mnist", cifar10, csv
}

/// Loads the train and test sets of a configuration, scaled to [0, 1] and standardized per channel
/// with the training set's mean and standard deviation.
public func loadDatasets(_ configuration: TrainingConfiguration) throws -> (train: LabeledImages, test: LabeledImages) {
    guard let choice = DatasetChoice(rawValue: configuration.dataset) else {
        throw TrainingError.invalid("unknown dataset '\(configuration.dataset)'; expected one of: "
            + DatasetChoice.allCases.map(\.rawValue).joined(separator: ", "))
    }
    func path() throws -> String {
        guard let path = configuration.dataPath else {
            throw TrainingError.invalid("--dataset \(choice.rawValue) needs --data PATH (\(choice == .csv ? "a CSV file" : "the folder of its files"))")
        }
        return path
    }
    var train: LabeledImages, test: LabeledImages
    switch choice {
    case .digits:
        (train, test) = try Digits.split()
    case .mnist, .fashionMNIST:
        let folder = try path()
        train = try MNIST.load(directory: folder, split: .train)
        test = try MNIST.load(directory: folder, split: .test)
    case .cifar10:
        let folder = try path()
        train = try CIFAR10.load(directory: folder, split: .train)
        test = try CIFAR10.load(directory: folder, split: .test)
    case .csv:
        (train, test) = try CSVDataset.load(try path()).stratifiedSplit(testFraction: 0.2)
    }
    train = train.scaledToUnitInterval()
    test = test.scaledToUnitInterval()
    let statistics = ChannelStatistics(fitting: train)
    return (try train.standardized(statistics), try test.standardized(statistics))
}

/// `path` made absolute (against the current directory) and standardized.
public func absolutePath(_ path: String) -> String {
    URL(fileURLWithPath: path).standardizedFileURL.path
}
