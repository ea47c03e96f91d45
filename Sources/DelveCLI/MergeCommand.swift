import ArgumentParser
import DelveTraining
import Delve
import DelveOutputs
import Foundation

/// `delve merge STATE...`: combines accumulator states saved by several processes or machines
/// (e.g. data-parallel workers, or `delve analyze --save-state` on parts of a dataset) exactly, with
/// Chan et al.'s pairwise formula, and reports the statistics of the combined data.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Combine saved covariance accumulator states exactly and report their statistics.",
        discussion: """
        Every state must describe the same layer width. The result equals accumulating all the \
        observations in one process, up to the rounding of the merge order. With --output the \
        merged state is saved too (atomically), so merges can be chained.
        """
    )

    @Argument(help: "Accumulator state files (CovarianceAccumulator.write(to:) or delve analyze --save-state).")
    var states: [String]
    @Option(name: .shortAndLong, help: "Also write the merged state to this file.")
    var output: String?
    @OptionGroup var statistics: StatisticsArguments
    @Option(help: "Output format.")
    var format: AnalyzeCommand.Format = .table

    func validate() throws {
        guard !states.isEmpty else { throw ValidationError("give at least one state file") }
    }

    func run() throws {
        let merged: CovarianceAccumulator
        do {
            merged = try CovarianceAccumulator.read(from: states[0])
        } catch {
            printError("error: \(error)")
            throw ExitCode(1)
        }
        if Self.isCKAState(merged) {
            try mergeCKA(first: merged)
            return
        }
        do {
            for path in states.dropFirst() {
                let part = try CovarianceAccumulator.read(from: path)
                if Self.isCKAState(part) {
                    throw MergeFailure("\(path): a CKA state (delve analyze --cka --save-state); merge it with the other "
                        + "CKA states, not with the layer state \(states[0])")
                }
                guard part.features == merged.features else {
                    throw CovarianceError.featureMismatch(layer: part.name, context: "saved state \(path)",
                                                          expected: merged.features, found: part.features)
                }
                try merged.merge(part)
            }
            if let output { try merged.write(to: output) }
        } catch {
            printError("error: \(error)")
            throw ExitCode(1)
        }
        let result: ActivationFileAnalyzer.Result
        var analyzer = ActivationFileAnalyzer()
        analyzer.statisticsOptions = statistics.options
        do {
            // States without samples have no statistics: an error naming them (the merged state is still saved).
            result = try analyzer.result(of: merged, source: states.joined(separator: " + "))
        } catch {
            printError("error: \(error)")
            throw ExitCode(1)
        }
        let report = AnalyzeReport(options: statistics.options, results: [result])
        switch format {
        case .table: print(report.table(), terminator: "")
        case .csv: print(report.csv(), terminator: "")
        case .json: print(report.json())
        }
    }

    /// Merges the joint CKA states of `delve analyze --cka --save-state` (same layers and widths, each a
    /// part of the samples) exactly and prints their CKA matrix (`--format table` or `json`).
    private func mergeCKA(first: CovarianceAccumulator) throws {
        guard format != .csv else { throw ValidationError("CKA states are printed with --format table or json, not csv") }
        let merged: LayerSimilarityAccumulator
        do {
            merged = try LayerSimilarityAccumulator(joint: first, source: states[0])
            for path in states.dropFirst() {
                let part = try LayerSimilarityAccumulator(joint: try CovarianceAccumulator.read(from: path), source: path)
                do { try merged.merge(part) } catch { throw MergeFailure("\(path): \(error)") }
            }
            if let output { try merged.joint.write(to: output) }
        } catch {
            printError("error: \(error)")
            throw ExitCode(1)
        }
        var report = AnalyzeReport(options: statistics.options, results: [])
        report.cka = merged.matrix(phase: .eval)
        switch format {
        case .json: print(report.json())
        default: print(report.table(), terminator: "")
        }
    }

    /// Whether a state read from a file is a joint CKA state (`delve analyze --cka --save-state`).
    static func isCKAState(_ state: CovarianceAccumulator) -> Bool {
        state.name.hasPrefix(LayerSimilarityAccumulator.stateNamePrefix)
    }
}

/// An error that is its message.
private struct MergeFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
