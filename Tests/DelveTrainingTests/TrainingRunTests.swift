import Delve
import DelveLinearAlgebra
import DelveOutputs
import Foundation
import Testing
@testable import DelveTraining

/// The lines a run says, collected instead of printed.
final class SaidLines: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []
    var all: [String] { lock.withLock { stored } }
    func say(_ line: String) { lock.withLock { stored.append(line) } }
}

/// A fresh directory under the temporary folder, removed by `body`'s end.
private func withTemporaryDirectory<R>(_ body: (URL) throws -> R) throws -> R {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("delve-training-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: url) }
    return try body(url)
}

/// Every file under `directory` with its bytes, by relative path.
private func contents(of directory: URL) -> [String: Data] {
    var files: [String: Data] = [:]
    let walker = FileManager.default.enumerator(atPath: directory.path)
    while let path = walker?.nextObject() as? String {
        var isDirectory: ObjCBool = false
        let full = directory.appendingPathComponent(path).path
        if FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory), !isDirectory.boolValue {
            files[path] = FileManager.default.contents(atPath: full)
        }
    }
    return files
}

@Suite("Training runs")
struct TrainingRunTests {
    /// A small CNN on the embedded digits, writing only the CSV and JSONL statistics into `output`.
    func tiny(output: URL, epochs: Int) -> TrainingConfiguration {
        var configuration = TrainingConfiguration()
        configuration.model = "cnn"
        configuration.modelOptions = "depth=2,width=8"
        configuration.dataset = "digits"
        configuration.epochs = epochs
        configuration.batchSize = 64
        configuration.seed = 7
        configuration.writers = [.csv, .jsonl]
        configuration.output = output.path
        return configuration
    }

    /// Trains `configuration` to the end; the run (and its lock on the directory) is released on return.
    func train(_ configuration: TrainingConfiguration, resume checkpoint: TrainingCheckpoint? = nil, lines: SaidLines) throws {
        let run = try TrainingRun(configuration, resume: checkpoint, say: lines.say)
        try run.trainAll()
    }

    /// Resumes the run in `directory` as `delve train --resume DIR --epochs <epochs>` does.
    func resume(_ directory: URL, epochs: Int, lines: SaidLines) throws {
        let checkpoint = try TrainingCheckpoint.load(run: try RunDirectory(existing: directory.path))
        var configuration = checkpoint.configuration
        configuration.output = directory.path
        configuration.epochs = epochs
        try train(configuration, resume: checkpoint, lines: lines)
    }

    @Test("2 epochs + resume to 3 write the statistics of 3 uninterrupted epochs, byte for byte")
    func resumeEqualsUninterrupted() throws {
        try withTemporaryDirectory { root in
            let straight = root.appendingPathComponent("straight"), split = root.appendingPathComponent("split")
            let lines = SaidLines()
            // One BLAS thread: the last bits of the solves depend on the thread count, which suites running
            // in parallel change.
            try BLAS.withSingleThread {
                try train(tiny(output: straight, epochs: 3), lines: lines)
                try train(tiny(output: split, epochs: 2), lines: lines)
                let checkpoint = try TrainingCheckpoint.load(run: try RunDirectory(existing: split.path))
                #expect(checkpoint.nextEpoch == 2)
                #expect(checkpoint.configuration.epochs == 2)
                #expect(checkpoint.configuration.modelOptions == "depth=2,width=8")
                try resume(split, epochs: 3, lines: lines)
            }
            #expect(lines.all.contains("Resuming at epoch 2 (epochs 0 to 2)"))
            let csv = try #require(FileManager.default.contents(atPath: straight.appendingPathComponent("statistics.csv").path))
            let jsonl = try #require(FileManager.default.contents(atPath: straight.appendingPathComponent("statistics.jsonl").path))
            #expect(FileManager.default.contents(atPath: split.appendingPathComponent("statistics.csv").path) == csv)
            #expect(FileManager.default.contents(atPath: split.appendingPathComponent("statistics.jsonl").path) == jsonl)
            // Not vacuous: three epochs of both phases for the tracked layers, with values.
            let records = try RunDirectory(existing: straight.path).readRecords()
            try #require(records.map(\.epoch) == [0, 1, 2])
            for record in records {
                #expect(Set(record.layers.map(\.phase)) == [.train, .eval])
                #expect(record.layers.count >= 6)
                #expect(record.layers.allSatisfy { ($0.statistics[.lsat] ?? -1) > 0 })
            }
            #expect(records[0].layers.map(\.statistics) != records[2].layers.map(\.statistics))
        }
    }

    /// One way of damaging a checkpoint: what it does to the run directory, and the path the error must name.
    struct Damage: CustomTestStringConvertible, Sendable {
        let name: String
        let apply: @Sendable (_ run: URL, _ folder: URL) throws -> String
        var testDescription: String { name }
    }

    static let damages: [Damage] = [
        Damage(name: "truncated model") { _, folder in
            let url = folder.appendingPathComponent(TrainingCheckpoint.modelFile)
            let data = try Data(contentsOf: url)
            try data.prefix(data.count / 2).write(to: url)
            return url.path
        },
        Damage(name: "a flipped byte in the optimizer state") { _, folder in
            let url = folder.appendingPathComponent(TrainingCheckpoint.optimizerFile)
            var data = try Data(contentsOf: url)
            data[data.count - 3] ^= 0x10
            try data.write(to: url)
            return url.path
        },
        Damage(name: "corrupt manifest JSON") { run, _ in
            let url = run.appendingPathComponent("checkpoint/checkpoint.json")
            let data = try Data(contentsOf: url)
            try data.prefix(data.count / 2).write(to: url)
            return url.path
        },
        Damage(name: "the epoch folder removed") { _, folder in
            try FileManager.default.removeItem(at: folder)
            return folder.path
        },
    ]

    @Test("a damaged checkpoint fails to resume with an error naming the file, and changes nothing", arguments: damages)
    func damagedCheckpoint(_ damage: Damage) throws {
        try withTemporaryDirectory { root in
            let run = root.appendingPathComponent("run")
            let lines = SaidLines()
            try train(tiny(output: run, epochs: 2), lines: lines)
            let folder = try TrainingCheckpoint.load(run: try RunDirectory(existing: run.path))
                .folderURL(try RunDirectory(existing: run.path))
            #expect(folder.lastPathComponent == "epoch-000002")
            let damaged = try damage.apply(run, folder)
            let before = contents(of: run)
            #expect(before["statistics.csv"] != nil && before["statistics.jsonl"] != nil)

            let error = try #require(throws: TrainingError.self) { try resume(run, epochs: 3, lines: lines) }
            guard case .failed(let message) = error else {
                Issue.record("expected TrainingError.failed, got \(error)")
                return
            }
            #expect(message.contains(damaged), "\(message)")
            #expect(contents(of: run) == before)
        }
    }

    @Test("an invalid configuration is TrainingError.invalid naming the option, before anything is written")
    func invalidConfiguration() throws {
        try withTemporaryDirectory { root in
            let output = root.appendingPathComponent("run")
            let noEpochs = tiny(output: output, epochs: 0)
            var optimizer = tiny(output: output, epochs: 1)
            optimizer.optimizer = "rmsprop"
            var dataset = tiny(output: output, epochs: 1)
            dataset.dataset = "imagenet"
            let cases: [(TrainingConfiguration, String)] = [
                (noEpochs, "--epochs must be at least 1, got 0"),
                (optimizer, "unknown optimizer 'rmsprop'"),
                (dataset, "unknown dataset 'imagenet'"),
            ]
            for (configuration, expected) in cases {
                let lines = SaidLines()
                let error = try #require(throws: TrainingError.self) {
                    try TrainingRun(configuration, say: lines.say)
                }
                guard case .invalid(let message) = error else {
                    Issue.record("expected TrainingError.invalid for '\(expected)', got \(error)")
                    continue
                }
                #expect(message.contains(expected), "\(message)")
                #expect(lines.all.isEmpty)
                #expect(!FileManager.default.fileExists(atPath: output.path))
            }
        }
    }

    @Test("errors of the layers below reach the caller as TrainingError: an unknown model is .invalid, a missing data folder .failed naming it")
    func typedErrorsFromBelow() throws {
        try withTemporaryDirectory { root in
            let output = root.appendingPathComponent("run")
            var model = tiny(output: output, epochs: 1)
            model.model = "transformer"
            var data = tiny(output: output, epochs: 1)
            data.dataset = "mnist"
            data.dataPath = root.appendingPathComponent("no-such-folder").path
            let unknownModel = try #require(throws: TrainingError.self) { try TrainingRun(model, say: SaidLines().say) }
            guard case .invalid(let message) = unknownModel else {
                Issue.record("expected .invalid for an unknown model, got \(unknownModel)")
                return
            }
            #expect(message.contains("transformer"), "\(message)")
            let missingData = try #require(throws: TrainingError.self) { try TrainingRun(data, say: SaidLines().say) }
            guard case .failed(let reason) = missingData else {
                Issue.record("expected .failed for a missing data folder, got \(missingData)")
                return
            }
            #expect(reason.contains("no-such-folder"), "\(reason)")
            #expect(!FileManager.default.fileExists(atPath: output.path))
        }
    }

    @Test("a fresh run refuses a directory that holds an earlier run, changing nothing; replacing: true starts over")
    func freshRunRefusesAnEarlierRun() throws {
        try withTemporaryDirectory { root in
            let output = root.appendingPathComponent("run")
            try train(tiny(output: output, epochs: 1), lines: SaidLines())
            let before = contents(of: output)
            #expect(before["statistics.csv"] != nil)
            let error = try #require(throws: TrainingError.self) {
                try TrainingRun(tiny(output: output, epochs: 2), say: SaidLines().say)
            }
            guard case .invalid(let message) = error else {
                Issue.record("expected .invalid, got \(error)")
                return
            }
            #expect(message.contains(output.path) && message.contains("statistics.csv") && message.contains("--overwrite"), "\(message)")
            #expect(contents(of: output) == before)
            let run = try TrainingRun(tiny(output: output, epochs: 2), replacing: true, say: SaidLines().say)
            try run.trainAll()
            let csv = String(decoding: try Data(contentsOf: output.appendingPathComponent("statistics.csv")), as: UTF8.self)
            #expect(csv.split(separator: "\n").count == 3, "\(csv)")   // header + 2 epochs, none left of the first run
        }
    }
}
