import ArgumentParser
import Delve
import DelveData
import Foundation

/// `delve train`: train a model of the zoo on a dataset while tracking every layer's saturation.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a model while tracking the saturation of every layer.",
        discussion: """
        Every epoch trains on the training set and evaluates on the test set; the statistics of \
        every tracked layer (Linear, Conv1d, Conv2d, ConvTranspose2d, LSTM, GRU) are computed for \
        both phases and written to the run directory (--out). At the end, the tail pattern — final \
        layers whose saturation sits far below the rest — is reported with what to try.
        """
    )

    @Option(help: "Model: mlp, cnn, resnet, lstm or autoencoder.")
    var model = "cnn"
    @Option(name: .customLong("model-options"), help: "Model options, e.g. depth=8,width=32 (keys: \(ModelOptions.keys.joined(separator: ", "))).")
    var modelOptions = ""
    @Option(help: "Dataset: digits (embedded), mnist, fashion-mnist, cifar10 or csv.")
    var dataset = "digits"
    @Option(help: "The dataset's folder (mnist, fashion-mnist, cifar10) or file (csv).")
    var data: String?
    @Option(help: "Number of epochs.")
    var epochs = 10
    @Option(name: .customLong("batch-size"), help: "Training batch size.")
    var batchSize = 64
    @Option(help: "Learning rate.")
    var lr: Float = 0.05
    @Option(help: "Optimizer: sgd (momentum 0.9), adam or adamw.")
    var optimizer = "sgd"
    @Option(help: "Seed of the weights and of the data order.")
    var seed: UInt64 = 0
    @OptionGroup var tracking: TrackingOptions
    @Option(help: "Writers: \(WriterKind.allCases.map(\.rawValue).joined(separator: ",")).")
    var writers = "console,csv,jsonl,plot,report"
    @Option(help: "The run directory (default: runs/<model>-<dataset>-<time>).")
    var out: String?

    func run() throws {
        var configuration = TrainingConfiguration()
        configuration.model = model
        configuration.modelOptions = modelOptions
        configuration.dataset = dataset
        configuration.dataPath = data
        configuration.epochs = epochs
        configuration.batchSize = batchSize
        configuration.learningRate = lr
        configuration.optimizer = optimizer
        configuration.seed = seed
        do {
            configuration.tracker = try tracking.trackerOptions()
            configuration.writers = try WriterKind.parseList(writers)
        } catch {
            throw ValidationError(String(describing: error))
        }
        configuration.output = out ?? "runs/\(model)-\(dataset)-\(timestamp())"
        try runTraining(configuration)
    }
}

/// The tracker options shared by `delve train` and `delve demo`.
struct TrackingOptions: ParsableArguments {
    @Option(help: "Statistics: comma list of \(Statistic.allCases.map(\.rawValue).joined(separator: ",")).")
    var stats = "lsat,idim"
    @Option(help: "Share δ of the variance the intrinsic dimensionality explains, in (0, 1].")
    var threshold = 0.99
    @Option(name: .customLong("conv-method"), help: "Convolution outputs: channelwise, mean, max, median or flatten.")
    var convMethod: ConvMethod = .channelwise
    @Option(name: .customLong("timeseries-method"), help: "Sequence outputs: last or timestepwise.")
    var timeseriesMethod: TimeseriesMethod = .last
    @Option(help: "Downsample feature maps to at most N×N before the reduction.")
    var downsample: Int?
    @Option(help: "paper (default) or delve: Delve 0.1.50's intrinsic dimensionality (one less).")
    var compat: IntrinsicDimensionalityConvention = .paper
    @Option(help: "float64 (default) or float32 co-moments of each batch.")
    var precision: AccumulationPrecision = .float64
    @Option(name: .customLong("log-interval"), help: "Record every k-th forward pass of each layer.")
    var logInterval = 1
    @Option(name: .customLong("max-samples"), help: "At most this many samples per layer, phase and epoch.")
    var maxSamples: Int?

    /// The tracker options these arguments describe.
    func trackerOptions() throws -> TrackerOptions {
        var options = TrackerOptions(statistics: try Statistic.parseList(stats), threshold: threshold)
        guard threshold > 0, threshold <= 1 else { throw CLIError.invalid("--threshold must be in (0, 1], got \(threshold)") }
        if let downsample, downsample < 1 { throw CLIError.invalid("--downsample must be at least 1, got \(downsample)") }
        options.layout = LayoutOptions(convMethod: convMethod, timeseriesMethod: timeseriesMethod, downsample: downsample)
        options.convention = compat
        options.precision = precision
        options.logInterval = logInterval
        options.maxSamples = maxSamples
        return options
    }
}

/// Runs one configuration to the end, printing where the outputs are and any tail-pattern advice.
/// Usage errors become exit code 64, other failures exit code 1 with the message on stderr.
@discardableResult
func runTraining(_ configuration: TrainingConfiguration, say: @escaping (String) -> Void = printLine) throws -> (TrainingRun, EpochRecord) {
    let session: TrainingRun
    do {
        session = try TrainingRun(configuration, say: say)
    } catch let error as CLIError {
        if case .invalid = error { throw ValidationError(error.description) }
        throw failure(error)
    } catch let error as ModelZooError {
        throw ValidationError(error.description)
    } catch {
        throw failure(error)
    }
    let record: EpochRecord
    do {
        record = try session.trainAll()
    } catch {
        throw failure(error)
    }
    say("Run directory: \(session.run.url.path)  (report: \(session.run.reportURL.path))")
    if let pattern = session.tailPattern(in: record) {
        say(pattern.advice)
    }
    return (session, record)
}

/// Prints `error` to standard error and returns the exit code 1.
func failure(_ error: Error) -> ExitCode {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    return ExitCode(1)
}

/// The current UTC time as `yyyyMMdd-HHmmss`, for run folder names.
func timestamp() -> String {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "UTC")
    formatter.dateFormat = "yyyyMMdd-HHmmss"
    return formatter.string(from: Date())
}
