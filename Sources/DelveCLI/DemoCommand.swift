import ArgumentParser
import DelveTraining
import Delve
import DelveOutputs
import Foundation

/// `delve demo`: two CNNs on the embedded digits — one too deep for 8×8 images, one sized to
/// them — trained side by side with saturation tracking, ending with tail-pattern advice.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Train a too-deep and a right-sized CNN on the embedded digits and compare their saturation.",
        discussion: """
        The UCI optical-digits images are 8×8 pixels. After three 2×2 poolings the feature maps are \
        1×1, so the deep network's last convolutions see a single position and have little left to \
        do: their saturation drops far below the earlier layers' — the tail pattern. The right-sized \
        network stops before that point. The demo ends by writing <out>/index.html, the two networks \
        side by side: saturation per layer, test accuracy, parameters, multiply-adds per sample and \
        time per epoch, with links to each run's report.
        """
    )

    @Option(help: "The folder for the two run directories (an earlier demo's runs there are replaced).")
    var out = "runs/demo"
    @Option(help: "Epochs per model.")
    var epochs = 8
    @Option(help: "Seed of the weights and of the data order.")
    var seed: UInt64 = 0
    @Option(help: ArgumentHelp("Writers: \(WriterKind.allCases.map(\.rawValue).joined(separator: ",")) (default: console,csv,jsonl,plot,report,tensorboard).",
                               valueName: "list"), transform: parseWriterKinds)
    var writers: [WriterKind] = [.console, .csv, .jsonl, .plot, .report, .tensorboard]
    @Flag(name: .customLong("skip-bad-batches"),
          help: "Skip a layer's batch with NaN/±inf values, a changed width or no samples (counted per layer and reported) instead of stopping with an error.")
    var skipBadBatches = false
    @Flag(inversion: .prefixedNo, help: "Linear CKA between the layers (eval phase): cka.csv and the heat map in plots/ and the report.")
    var cka = true

    @Flag(inversion: .prefixedNo, help: "A linear probe per layer (probe accuracy beside saturation in the report).")
    var probe = true

    @Flag(help: "List every module that is not tracked (by default: a count per type).")
    var verbose = false

    func run() throws {
        let models: [(name: String, options: String, blurb: String)] = [
            ("deep-cnn", DemoModels.deep, "a VGG-style CNN with 8 convolutions — too deep for 8×8 inputs"),
            ("small-cnn", DemoModels.small, "a CNN with 3 convolutions — sized to 8×8 inputs"),
        ]
        var summaries: [String] = []
        var compared: [ComparedRun] = []
        for (name, options, blurb) in models {
            printLine("\n=== \(name): \(blurb) (cnn \(options)) ===")
            var configuration = TrainingConfiguration()
            configuration.model = "cnn"
            configuration.modelOptions = options
            configuration.epochs = epochs
            configuration.seed = seed
            configuration.writers = writers
            configuration.output = "\(out)/\(name)"
            configuration.tracker.badBatchPolicy = skipBadBatches ? .skip : .fail
            if cka { configuration.tracker.cka = CKAOptions() }
            if probe { configuration.tracker.probes = ProbeOptions() }
            let start = Date()
            let (session, record) = try runTraining(configuration, replacing: true, verbose: verbose)
            let seconds = Date().timeIntervalSince(start) / Double(max(1, epochs))
            let sats = record.layers.filter { $0.phase == .eval }.compactMap { layer in
                layer.statistics[.lsat].map { "\(layer.layer) \(Int(($0 * 100).rounded()))%" }
            }
            let accuracy = record.scalar(named: "test-accuracy")
            let accuracyText = accuracy.map { String(format: "%.1f%%", $0 * 100) } ?? "?"
            let verdict = session.tailPattern(in: record).map { "tail pattern in \($0.layers.joined(separator: ", "))" } ?? "no tail pattern"
            summaries.append("\(name): test accuracy \(accuracyText); \(verdict)")
            summaries.append("  \(session.parameterCount) parameters, \(session.multiplyAddsPerSample) multiply-adds per sample, "
                + "\(String(format: "%.1f", seconds)) s per epoch")
            summaries.append("  eval saturation \(sats.joined(separator: ", "))")
            var entry = ComparedRun(name: name, summary: "\(blurb) (cnn \(options))", record: record,
                                    ceilings: session.writers.history.ceilings, accuracy: accuracy,
                                    parameters: session.parameterCount, multiplyAdds: session.multiplyAddsPerSample,
                                    secondsPerEpoch: seconds, reportLink: "\(name)/report.html")
            entry.receptiveField = session.receptiveField
            if let agreement = entry.verdict.receptiveField { summaries.append("  " + agreement.sentence) }
            compared.append(entry)
        }
        let page = URL(fileURLWithPath: out).appendingPathComponent("index.html")
        do {
            try Data(ComparisonPage.html(title: "Delve demo: a too-deep and a right-sized CNN on 8×8 digits", runs: compared).utf8)
                .write(to: page, options: .atomic)
        } catch {
            throw failure(CommandFailure("\(page.path): cannot write the comparison page: \(error.localizedDescription)"))
        }
        printLine("\n=== Summary ===")
        summaries.forEach(printLine)
        printLine("Comparison page: \(page.path)")
    }
}

/// The two demo architectures (model-zoo options of `cnn`).
enum DemoModels {
    /// Eight 3×3 convolutions of 32 channels, pooling after every second: the maps are 1×1 from the
    /// seventh convolution on.
    static let deep = "depth=8,width=32,pool-every=2,classifier-hidden=0,batchnorm=true"
    /// Three 3×3 convolutions of 32 channels.
    static let small = "depth=3,width=32,pool-every=2,classifier-hidden=0,batchnorm=true"
}
