import ArgumentParser
import DelveNN
import Foundation
import DelveLinearAlgebra

/// `delve-bench train`: DelveNN training throughput on the models of
/// `bench/pytorch_train_reference.py` (random data, 2560 samples, batch 128, SGD lr 0.01
/// momentum 0.9, cross-entropy). One warm-up epoch, then the best of 3 epochs, in samples per second
/// (wall clock). With `--reference-python`, the PyTorch script runs right afterwards in the same
/// session and the ratio DelveNN / PyTorch is reported.
enum TrainBench: Bench {
    static let name = "train"

    /// The models measured when none are chosen.
    static let defaultModels = ["mlp", "cnn", "lstm"]
    /// Models the benchmark knows, in the order they are reported.
    static let knownModels = ["mlp", "cnn", "lstm"]

    static let batchSize = 128
    nonisolated(unsafe) static var samples = 2560, measuredEpochs = 3

    static func run() throws -> BenchReport {
        if BenchSettings.quick {
            // Smoke test: two batches and one measured epoch (the numbers are rough, the keys are real).
            samples = 256
            measuredEpochs = 1
        }
        return try run(models: defaultModels, reference: nil)
    }

    /// Builds the named model from a fixed seed with its random inputs `[samples, ...]`.
    static func makeModel(_ kind: String, rng: inout SeededGenerator) throws -> (Module, [Int]) {
        switch kind {
        case "mlp":
            return (Sequential(Linear(784, 512, rng: &rng), ReLU(), Linear(512, 512, rng: &rng), ReLU(),
                               Linear(512, 10, rng: &rng)), [784])
        case "cnn":
            return (Sequential(
                Conv2d(3, 32, kernelSize: 3, padding: 1, rng: &rng), ReLU(), MaxPool2d(kernelSize: 2),
                Conv2d(32, 64, kernelSize: 3, padding: 1, rng: &rng), ReLU(), MaxPool2d(kernelSize: 2),
                Conv2d(64, 128, kernelSize: 3, padding: 1, rng: &rng), ReLU(), MaxPool2d(kernelSize: 2),
                Flatten(), Linear(2048, 256, rng: &rng), ReLU(), Linear(256, 10, rng: &rng)), [3, 32, 32])
        case "lstm":
            return (LSTMClassifier(rng: &rng), [28, 28])   // Sources/DelveBench/RecurrentTrainBench.swift
        default:
            throw ValidationError("train: unknown model '\(kind)'; known: \(knownModels.joined(separator: ", "))")
        }
    }

    /// The named model (fixed seed), `samples` random inputs with random labels cut into batches of
    /// `batchSize`, and SGD (lr 0.01, momentum 0.9), as in the reference script.
    static func makeWorkload(_ kind: String, samples: Int) throws
        -> (model: Module, batches: [(Tensor, [Int])], optimizer: SGD)
    {
        var rng = SeededGenerator(seed: 0)
        let (model, sampleShape) = try makeModel(kind, rng: &rng)
        let x = Tensor.normal([samples] + sampleShape, using: &rng)
        let labels = (0..<samples).map { _ in Int(rng.next() % 10) }
        let batches = stride(from: 0, to: samples, by: batchSize).map { start in
            // The last batch is partial when `samples` is not a multiple of the batch size (60 000 = 468·128 + 96).
            let length = min(batchSize, samples - start)
            return (x.narrowed(axis: 0, start: start, length: length), Array(labels[start..<start + length]))
        }
        return (model, batches, SGD(parameters: model.parameters(), learningRate: 0.01, momentum: 0.9))
    }

    /// Seconds per epoch: one warm-up epoch, then the best of `measuredEpochs`.
    static func measure(_ kind: String) throws -> Double {
        let (model, batches, optimizer) = try makeWorkload(kind, samples: samples)
        func epoch() -> Double {
            let start = DispatchTime.now().uptimeNanoseconds
            for (input, target) in batches {
                optimizer.zeroGrad()
                crossEntropy(logits: model(input), labels: target).backward()
                optimizer.step()
            }
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        _ = epoch()
        return (0..<measuredEpochs).map { _ in epoch() }.min()!
    }

    /// Runs the PyTorch reference script and parses its "kind: N samples/s" lines.
    static func runReference(python: String, script: String, models: [String]) throws -> [String: Double] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script] + models
        let pipe = Pipe()
        process.standardOutput = pipe
        do { try process.run() } catch {
            throw ValidationError("train: cannot run the reference '\(python) \(script)': \(error)")
        }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ValidationError("train: the reference script '\(script)' exited with status \(process.terminationStatus)")
        }
        var result: [String: Double] = [:]
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count >= 2, parts[0].hasSuffix(":"), let value = Double(parts[1]) {
                result[String(parts[0].dropLast())] = value
            }
        }
        return result
    }

    /// Measures every model; with a reference, DelveNN and PyTorch take turns per model for `rounds`
    /// rounds (ours, theirs, ours, theirs, …), so that a load change on a shared machine hits both alike.
    /// The reported throughputs are the best of all rounds; with several rounds the per-round ratios'
    /// range is reported too.
    static func run(models: [String], reference: (python: String, script: String)?, rounds: Int = 1) throws -> BenchReport {
        let threads = BLAS.threadCount
        var columns = ["model", "samples/s", "ms/batch"]
        if reference != nil { columns += ["PyTorch samples/s", "ratio"] }
        if reference != nil && rounds > 1 { columns += ["per-round ratios"] }
        var report = BenchReport(
            title: "training throughput (DelveNN, OpenBLAS \(BLASKernels.coreName) kernels, \(threads) BLAS thread(s), \(ComputeSettings.workerCount) worker(s), wall clock; best of \(measuredEpochs) epochs after a warm-up\(reference != nil && rounds > 1 ? ", best of \(rounds) alternating rounds" : ""))",
            columns: columns)
        for kind in models {
            var best = 0.0, bestTorch: Double? = nil
            var ratios: [Double] = []
            for _ in 0..<(reference == nil ? 1 : rounds) {
                let throughput = Double(samples) / (try measure(kind))
                best = max(best, throughput)
                if let reference, let t = try runReference(python: reference.python, script: reference.script, models: [kind])[kind] {
                    bestTorch = max(bestTorch ?? 0, t)
                    ratios.append(throughput / t)
                }
            }
            report.metrics.append(("train_\(kind)_samples_per_s", best))
            var row = [kind, String(format: "%.0f", best), String(format: "%.2f", 1000 * Double(batchSize) / best)]
            if reference != nil {
                if let t = bestTorch {
                    report.metrics.append(("train_\(kind)_pytorch_samples_per_s", t))
                    report.metrics.append(("train_\(kind)_ratio_vs_pytorch", best / t))
                    row += [String(format: "%.0f", t), String(format: "%.2f", best / t)]
                    if rounds > 1, let low = ratios.min(), let high = ratios.max() {
                        report.metrics.append(("train_\(kind)_ratio_min", low))
                        report.metrics.append(("train_\(kind)_ratio_max", high))
                        row.append(String(format: "%.2f–%.2f", low, high))
                    }
                } else {
                    row += ["-", "-"] + (rounds > 1 ? ["-"] : [])
                }
            }
            report.rows.append(row)
        }
        report.footnotes = ["Models as bench/pytorch_train_reference.py; ratio = best DelveNN / best PyTorch (goal ≥ 1.0)."]
        return report
    }
}

/// `delve-bench train [--models mlp,cnn] [--threads 2] [--reference-python PY] [--json]`.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "DelveNN training throughput (samples/s) for the MLP/CNN/LSTM reference models, optionally side by side with PyTorch."
    )
    @Flag(help: "Print one flat JSON object of metrics instead of the table.")
    var json = false
    @Option(help: "Threads for BLAS and for DelveNN's own loops (the PyTorch reference uses 2).")
    var threads = 2
    @Option(help: "Comma-separated models: mlp, cnn, lstm.")
    var models = TrainBench.defaultModels.joined(separator: ",")
    @Option(help: "A Python with torch; runs the reference script right after and reports the ratio.")
    var referencePython: String?
    @Option(help: "Samples per epoch (a multiple of the batch size 128; the reference uses 2560).")
    var samples = 2560
    @Option(help: "Measured epochs after the warm-up (the best one is reported).")
    var epochs = 3
    @Flag(help: "Smoke test: one batch per epoch, one measured epoch (numbers are rough).")
    var quick = false
    @Option(help: "The PyTorch reference script (relative paths from the current directory; `make bench` runs in the repository root).")
    var referenceScript = "bench/pytorch_train_reference.py"
    @Option(help: "With --reference-python: alternating rounds per model (DelveNN, PyTorch, DelveNN, …); the best of each is compared.")
    var rounds = 1

    func run() throws {
        let chosen = models.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        for m in chosen where !TrainBench.knownModels.contains(m) {
            throw ValidationError("--models: unknown model '\(m)'; known: \(TrainBench.knownModels.joined(separator: ", "))")
        }
        guard samples > 0, samples % TrainBench.batchSize == 0 else {
            throw ValidationError("--samples must be a positive multiple of \(TrainBench.batchSize), got \(samples)")
        }
        guard epochs > 0 else { throw ValidationError("--epochs must be positive, got \(epochs)") }
        guard rounds > 0 else { throw ValidationError("--rounds must be positive, got \(rounds)") }
        TrainBench.samples = quick ? TrainBench.batchSize : samples
        TrainBench.measuredEpochs = quick ? 1 : epochs
        guard threads > 0 else { throw ValidationError("--threads must be positive, got \(threads)") }
        BLAS.setThreadCount(threads)
        ComputeSettings.workerCount = threads
        let reference = referencePython.map { (python: $0, script: referenceScript) }
        printReports([try TrainBench.run(models: chosen, reference: reference, rounds: quick ? 1 : rounds)], json: json)
    }
}
