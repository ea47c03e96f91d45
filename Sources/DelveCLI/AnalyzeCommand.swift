import ArgumentParser
import DelveTraining
import Delve
import DelveOutputs
import Foundation

/// `delve analyze FILE.npy...`: the spectral statistics of layer activations saved with `numpy.save`.
struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Layer saturation and spectral statistics of activations saved as .npy files.",
        discussion: """
            Each file holds one layer's outputs: 2-D dense N×D, 3-D sequence N×T×F (batch first) or \
            4-D convolution N×C×H×W, little-endian float32 or float64 in C order. Files are streamed in \
            chunks; memory is bounded by the chunk and the D×D covariance. When a file cannot be \
            analyzed the others are still reported and the exit code is 1; bad arguments exit with 64.
            """
    )

    /// The output formats.
    enum Format: String, CaseIterable, ExpressibleByArgument {
        case table, json, csv
    }

    @Argument(help: "The .npy files, one layer each.")
    var files: [String] = []

    @OptionGroup var statistics: StatisticsArguments

    @Option(help: "How 4-D convolution outputs become rows of features.")
    var convMethod: ConvMethod = .channelwise

    @Option(help: "Sequence outputs: last (the last step, N×F), timestep-observations (every step an observation, (N·T)×F) or flattened-sequence (Delve 0.1.50's timestepwise: each sequence one observation, N×(T·F)). Deprecated: timestepwise, read as timestep-observations.")
    var timeseriesMethod: TimeseriesMethod = .last

    @Option(help: "Resize convolution feature maps bilinearly to at most N×N first.")
    var downsample: Int?

    @Option(help: "Rows of the first axis read per streaming chunk.")
    var batchSize: Int = 1024

    @Option(help: "Accumulation precision.")
    var precision: AccumulationPrecision = .float64

    @Option(help: "Output format.")
    var format: Format = .table

    @Option(help: "Refuse layers with more features than this after the layout reduction (the covariance takes 8·D² bytes).")
    var maxFeatures: Int = 16384

    @Flag(help: "Also compute linear CKA between the files (at least two; row i of every file from the same sample): convolutions by the spatial mean per channel, sequences by the last step.")
    var cka = false

    @Option(name: .customLong("cka-memory-limit"), help: "With --cka: refuse when the cross-covariances would take more than this many MiB.")
    var ckaMemoryLimit: Int = CKAOptions.defaultMemoryLimit >> 20

    @Flag(name: .customLong("skip-bad-batches"),
          help: "Leave out a chunk of --batch-size rows with NaN/±inf values (counted and reported per file) instead of failing the file.")
    var skipBadBatches = false

    @Option(help: "Class labels (.npy, one integer per row of every file) for a linear probe per file: probe-r2 of the fit and probe-accuracy of the held-out rows.")
    var labels: String?

    @Option(name: .customLong("probe-split"), help: "With --labels: the share of the first rows the probe is fitted on; the rest evaluate it.")
    var probeSplit: Double?

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("give at least one .npy file") }
        if let probeSplit {
            guard labels != nil else { throw ValidationError("--probe-split needs --labels") }
            guard probeSplit > 0, probeSplit <= 1 else { throw ValidationError("--probe-split must be in (0, 1], got \(probeSplit)") }
        }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1, got \(batchSize)") }
        if let downsample, downsample < 1 {
            throw ValidationError("--downsample must be at least 1, got \(downsample)")
        }
        guard maxFeatures >= 1 else { throw ValidationError("--max-features must be at least 1, got \(maxFeatures)") }
        if cka {
            guard files.count >= 2 else { throw ValidationError("--cka compares layers: give at least two .npy files (got \(files.count))") }
            guard ckaMemoryLimit >= 1 else { throw ValidationError("--cka-memory-limit must be at least 1 (MiB), got \(ckaMemoryLimit)") }
        }
    }

    @Option(name: .customLong("save-state"), help: "Also save each layer's accumulator state as DIR/<name>.state, and with --cka the joint CKA state as DIR/cka.state (for delve merge).")
    var saveState: String?

    func run() throws {
        if let saveState {
            do {
                try FileManager.default.createDirectory(atPath: saveState, withIntermediateDirectories: true)
            } catch {
                throw ValidationError("--save-state: cannot create the folder '\(saveState)': \(error.localizedDescription)")
            }
        }
        var analyzer = ActivationFileAnalyzer(
            layout: LayoutOptions(convMethod: convMethod, timeseriesMethod: timeseriesMethod, downsample: downsample),
            precision: precision, chunkRows: batchSize, maximumFeatures: maxFeatures)
        analyzer.statisticsOptions = statistics.options
        analyzer.badBatchPolicy = skipBadBatches ? .skip : .fail
        var results: [ActivationFileAnalyzer.Result] = []
        var probes: [ActivationFileAnalyzer.ProbeResult] = []
        var failures = 0
        var classLabels: [Int]?
        if let labels {
            do { classLabels = try NPYLabels.read(path: labels) } catch {
                printError("error: --labels \(error)")
                throw ExitCode(1)
            }
        }
        for file in files {
            do {
                let (accumulator, _, _, skipped) = try analyzer.accumulate(path: file)
                let probe = try classLabels.map { labels throws(ActivationFileError) in
                    try analyzer.probe(path: file, labels: labels, split: probeSplit ?? 0.8)
                }
                if let saveState {
                    let path = URL(fileURLWithPath: saveState).appendingPathComponent("\(accumulator.name).state").path
                    try accumulator.write(to: path)
                }
                results.append(try analyzer.result(of: accumulator, source: file, skippedBatches: skipped))
                if let probe { probes.append(probe) }
            } catch {
                failures += 1
                printError("error: \(error)")
            }
        }
        var report = AnalyzeReport(options: statistics.options, results: results)
        report.probes = probes
        if cka {
            do {
                let joint = try analyzer.ckaAccumulator(paths: files, memoryLimit: ckaMemoryLimit << 20)
                report.cka = joint.matrix(phase: .eval)
                if let saveState { try joint.joint.write(to: URL(fileURLWithPath: saveState).appendingPathComponent("cka.state").path) }
            } catch {
                failures += 1
                printError("error: \(error)")
            }
        }
        switch format {
        case .table:
            print(report.table(), terminator: "")
        case .csv:
            print(report.csv(), terminator: "")
            for note in report.notes() { printError("note: \(note)") }
            if report.cka != nil { printError("note: --cka: the CKA matrix is printed with --format table or json") }
        case .json:
            print(report.json())
            for note in report.notes(includeCovarianceHint: false) { printError("note: \(note)") }
        }
        if failures > 0 {
            printError("error: \(failures) of \(files.count) file(s) could not be analyzed")
            throw ExitCode(1)
        }
    }
}

/// Writes a line to standard error.
func printError(_ message: String) {
    fflush(nil)
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
