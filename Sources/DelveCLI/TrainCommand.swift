import ArgumentParser
import DelveTraining
import Delve
import DelveOutputs
import DelveData
import DelveNN
import Foundation

/// `delve train`: train a model of the zoo on a dataset while tracking every layer's saturation.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a model while tracking the saturation of every layer.",
        discussion: """
        Every epoch trains on the training set and evaluates on the test set; the statistics of \
        every tracked layer (Linear, Conv1d, Conv2d, ConvTranspose2d, LSTM, GRU) are computed for \
        both phases and written to the run directory (--out). At the end the verdict is printed (and \
        opens report.html): the tail pattern — final layers whose saturation sits far below the rest — \
        with what to try, or that there is none. Layers at their structural ceiling (the most their \
        shape allows, e.g. 9 of 32 for a 3×3 convolution on one input channel) are not counted.

        After every epoch a checkpoint is saved in <run>/checkpoint. `delve train --resume RUN_DIR` \
        continues a stopped (or killed) run from its last completed epoch, with the recorded \
        configuration, and produces the same statistics as an uninterrupted run (a run stopped before its \
        first checkpoint starts over); --epochs N raises the total number of epochs. Other options given \
        with --resume must match the recorded ones. Ctrl-C (SIGINT) or SIGTERM abandons the epoch in \
        progress and exits with 130 or 143; a second Ctrl-C exits at once.
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
    @Option(name: .customLong("lr-schedule"),
            help: "Learning rate per epoch: constant, step:<every>,<gamma> (StepLR) or cosine:<period>[,<minimum>] (CosineAnnealingLR).")
    var lrSchedule = "constant"
    @Option(help: "Optimizer: sgd (momentum 0.9), adam or adamw.")
    var optimizer = "sgd"
    @Option(help: "Seed of the weights and of the data order.")
    var seed: UInt64 = 0
    @OptionGroup var tracking: TrackingArguments
    @Option(help: ArgumentHelp("Writers: \(WriterKind.allCases.map(\.rawValue).joined(separator: ",")) (default: console,csv,jsonl,plot,report).",
                               valueName: "list"), transform: parseWriterKinds)
    var writers: [WriterKind] = [.console, .csv, .jsonl, .plot, .report]
    @Option(help: "The run directory (default: runs/<model>-<dataset>-<time>).")
    var out: String?
    @Flag(help: "Replace the outputs of an earlier run in --out (by default a fresh run refuses a directory that holds one).")
    var overwrite = false
    @Option(help: ArgumentHelp("Continue the run in this directory from its last checkpoint (configuration as recorded; --epochs N sets a new total).", valueName: "run-dir"))
    var resume: String?
    @Flag(help: "List every module that is not tracked (by default: a count per type).")
    var verbose = false
    @Option(name: .customLong("pca-eval"),
            help: ArgumentHelp("After the last epoch, evaluate the model with every tracked Linear/channelwise conv layer projected onto the eigenvectors explaining each δ of its last epoch's train covariance; writes pca-eval.csv (e.g. 0.9,0.99,0.999).",
                               valueName: "deltas"), transform: parsePCAThresholds)
    var pcaEval: [Double]?
    @Flag(name: .customLong("pca-eval-random"),
          help: "With --pca-eval: evaluate each δ again with the same k random orthonormal directions per layer (the control; random-accuracy, random-loss columns).")
    var pcaEvalRandom = false

    func validate() throws {
        if pcaEvalRandom && pcaEval == nil { throw ValidationError("--pca-eval-random needs --pca-eval δ,…") }
    }

    func run() throws {
        Interruption.install()
        if let resume {
            if overwrite { throw ValidationError("--overwrite conflicts with --resume \(resume): a resumed run keeps its outputs") }
            try resumeRun(resume, given: TrainCommand.givenOptions(CommandLine.arguments))
            return
        }
        try runTraining(try freshConfiguration(), replacing: overwrite, verbose: verbose, pcaEval: pcaEval ?? [], pcaEvalRandom: pcaEvalRandom)
    }

    /// The configuration the options describe.
    func freshConfiguration() throws -> TrainingConfiguration {
        var configuration = TrainingConfiguration()
        configuration.model = model
        configuration.modelOptions = modelOptions
        configuration.dataset = dataset
        configuration.dataPath = data
        configuration.epochs = epochs
        configuration.batchSize = batchSize
        configuration.learningRate = lr
        do {
            configuration.lrSchedule = try LearningRateSchedule(parsing: lrSchedule)
        } catch {
            throw ValidationError("--lr-schedule: \(error)")
        }
        configuration.optimizer = optimizer
        configuration.seed = seed
        configuration.tracker = tracking.trackerOptions
        configuration.writers = writers
        configuration.output = out ?? "runs/\(model)-\(dataset)-\(timestamp())"
        return configuration
    }

    /// The long option names present on a command line (`--model mlp` and `--model=mlp` give "model").
    static func givenOptions(_ arguments: [String]) -> Set<String> {
        var names: Set<String> = []
        for argument in arguments.dropFirst() {
            if argument == "--" { break }
            guard argument.hasPrefix("--") else { continue }
            names.insert(String(argument.dropFirst(2).split(separator: "=", maxSplits: 1).first ?? ""))
        }
        return names
    }

    /// `--resume RUN_DIR`: loads and verifies the checkpoint, checks the `given` options against the
    /// recorded configuration (a different value is a usage error naming the option), and trains the
    /// remaining epochs.
    func resumeRun(_ path: String, given: Set<String>) throws {
        let checkpoint: TrainingCheckpoint?
        var configuration: TrainingConfiguration
        do {
            let directory = try RunDirectory(existing: path)
            try RunLock.checkNotHeld(directory: directory.url)
            if let start = try TrainingCheckpoint.startOverConfiguration(run: directory) {
                (checkpoint, configuration) = (nil, start)
            } else {
                let loaded = try TrainingCheckpoint.load(run: directory)
                (checkpoint, configuration) = (loaded, loaded.configuration)
            }
        } catch {
            throw failure(error)
        }
        configuration.output = path
        let requested = try freshConfiguration()
        let recordedTexts = configuration.optionTexts, requestedTexts = requested.optionTexts
        for name in given.sorted() {
            guard let wanted = requestedTexts[name], let recorded = recordedTexts[name] else { continue }
            var same = wanted == recorded
            if name == "model-options", let a = try? ModelOptions(parsing: wanted), let b = try? ModelOptions(parsing: recorded) {
                same = a == b
            }
            guard same else {
                throw ValidationError("--\(name) \(wanted) conflicts with the configuration recorded in \(path) "
                    + "(\(name) = \(recorded.isEmpty ? "(none)" : recorded)); leave it out to resume")
            }
        }
        if given.contains("out"), let out, absolutePath(out) != absolutePath(path) {
            throw ValidationError("--out \(out) conflicts with --resume \(path): a resumed run writes into its own directory")
        }
        let completed = (checkpoint?.nextEpoch ?? configuration.tracker.initialEpoch) - configuration.tracker.initialEpoch
        if given.contains("epochs") {
            guard epochs >= completed, epochs >= 1 else {
                throw ValidationError("--epochs \(epochs) is less than the \(completed) epoch(s) \(path) has already completed")
            }
            configuration.epochs = epochs
        }
        guard completed < configuration.epochs else {
            printLine("Nothing to resume: \(path) has completed all \(configuration.epochs) epoch(s); pass --epochs N to train more.")
            if pcaEval != nil { printLine("--pca-eval runs after the last epoch a process trains (it needs that epoch's train covariance).") }
            return
        }
        if checkpoint == nil {
            printLine("No checkpoint in \(path) yet (stopped before its first epoch completed): starting the run over with its recorded configuration")
        }
        // Without a checkpoint the recorded run starts over in its own directory, replacing what it wrote.
        try runTraining(configuration, resume: checkpoint, replacing: true, verbose: verbose, pcaEval: pcaEval ?? [],
                        pcaEvalRandom: pcaEvalRandom)
    }
}

/// Runs one configuration to the end, printing where the outputs are and the verdict (tail pattern or none).
/// Usage errors become exit code 64, other failures exit code 1 with the message on stderr.
@discardableResult
func runTraining(_ configuration: TrainingConfiguration, resume checkpoint: TrainingCheckpoint? = nil,
                 replacing: Bool = false, verbose: Bool = false, pcaEval: [Double] = [], pcaEvalRandom: Bool = false,
                 say: @escaping (String) -> Void = printLine) throws -> (TrainingRun, EpochRecord) {
    let session: TrainingRun
    do {
        session = try TrainingRun(configuration, resume: checkpoint, replacing: replacing, say: say)
    } catch {
        if case .invalid = error { throw ValidationError(error.description) }
        throw failure(error)
    }
    session.verbose = verbose
    session.pcaEvalThresholds = pcaEval
    session.pcaEvalRandom = pcaEvalRandom
    let record: EpochRecord
    do {
        record = try session.trainAll()
    } catch .interrupted(let interrupted) {
        FileHandle.standardError.write(Data("error: \(interrupted)\nresume with: delve train --resume \(session.run.url.path)\n".utf8))
        throw ExitCode(interrupted.exitStatus)
    } catch {
        throw failure(error)
    }
    say("Run directory: \(session.run.url.path)  (report: \(session.run.reportURL.path))")
    say(session.verdict(for: record).text)
    if let collapse = CollapseAdvice.advice(for: session.writers.history.records) { say(collapse) }
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
