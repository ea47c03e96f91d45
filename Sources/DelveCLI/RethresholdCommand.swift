import ArgumentParser
import DelveTraining
import Delve
import DelveOutputs
import Foundation

/// `delve rethreshold RUN_DIR --threshold 0.95`: idim and lsat of a recorded run at another δ.
struct RethresholdCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rethreshold",
        abstract: "Recompute idim and lsat of a recorded run at another threshold from its saved eigenvalues.",
        discussion: """
            Reads the spectra of RUN_DIR/statistics.jsonl (or npy/<phase>/<layer>/epoch<N>-eigenvalues.npy) and \
            writes RUN_DIR/statistics-threshold-<δ>.csv in Delve's CSV layout (lsat and idim per layer, then \
            the run's scalars); prints the table of the last epoch. A run recorded by Delve 0.1.50 itself works \
            too (its <savefile>.csv, the <savefile>/ folder or the folder holding both) when Delve's npy writer \
            saved covariance matrices (stat 'cov'); the CSV goes to <savefile>-threshold-<δ>.csv, and \
            --compat delve at Delve's δ gives Delve's own values.
            """
    )

    @Argument(help: "The run directory, or a Delve 0.1.50 run's <savefile>.csv or folder.")
    var runDirectory: String

    @Option(help: "The new variance threshold δ, in (0, 1].")
    var threshold: Double

    @Option(help: "idim convention: 'paper' (smallest k explaining ≥ δ) or 'delve' (Delve 0.1.50's count).")
    var compat: IntrinsicDimensionalityConvention = .paper

    @Option(name: .shortAndLong, help: "Write the CSV here instead of RUN_DIR/statistics-threshold-<δ>.csv.")
    var output: String?

    func validate() throws {
        guard threshold > 0, threshold <= 1 else { throw ValidationError("--threshold must be in (0, 1], got \(threshold)") }
    }

    func run() throws {
        let records: [EpochRecord]
        let defaultURL: URL
        switch try RecordedRun.locate(runDirectory) {
        case .directory(let run):
            records = try Rethreshold.records(run: run, threshold: threshold, convention: compat)
            defaultURL = run.url.appendingPathComponent("statistics-threshold-\(threshold).csv")
        case .delve(let files):
            records = try files.rethresholded(threshold: threshold, convention: compat)
            defaultURL = files.rethresholdURL(threshold: threshold)
        }
        let url = output.map { URL(fileURLWithPath: $0) } ?? defaultURL
        let csv = try CSVWriter(url: url)
        for record in records { try csv.write(record) }
        try csv.close()
        if let last = records.last { print(ConsoleWriter.epochSummary(last), terminator: "") }
        print("wrote \(url.path) (\(records.count) epoch\(records.count == 1 ? "" : "s"))")
    }
}
