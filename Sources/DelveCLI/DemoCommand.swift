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
        network stops before that point.
        """
    )

    @Option(help: "The folder for the two run directories.")
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

    func run() throws {
        let models: [(name: String, options: String, blurb: String)] = [
            ("deep-cnn", DemoModels.deep, "a VGG-style CNN with 8 convolutions — too deep for 8×8 inputs"),
            ("small-cnn", DemoModels.small, "a CNN with 3 convolutions — sized to 8×8 inputs"),
        ]
        var summaries: [String] = []
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
            let (session, record) = try runTraining(configuration)
            let sats = record.layers.filter { $0.phase == .eval }.compactMap { layer in
                layer.statistics[.lsat].map { "\(layer.layer) \(Int(($0 * 100).rounded()))%" }
            }
            let accuracy = record.scalar(named: "test-accuracy").map { String(format: "%.1f%%", $0 * 100) } ?? "?"
            let verdict = session.tailPattern(in: record).map { "tail pattern in \($0.layers.joined(separator: ", "))" } ?? "no tail pattern"
            summaries.append("\(name): test accuracy \(accuracy); eval saturation \(sats.joined(separator: ", ")); \(verdict)")
            summaries.append("  report: \(session.run.reportURL.path)")
        }
        printLine("\n=== Summary ===")
        summaries.forEach(printLine)
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
