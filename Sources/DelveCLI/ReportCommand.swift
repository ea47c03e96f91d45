import ArgumentParser
import DelveTraining
import Delve
import DelveOutputs
import Foundation

/// `delve report RUN_DIR`: regenerates the run's `report.html` from its files.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Regenerate report.html of a run directory (or of a run recorded by Delve 0.1.50) from its files.",
        discussion: """
            The page is self-contained (inline SVG plots, no network). A run whose run.json says "running" \
            gets a page that refreshes itself. A run recorded by Delve 0.1.50 itself works too: pass its \
            <savefile>.csv, the <savefile>/ folder beside it, or the folder holding both; the page goes to \
            <savefile>/report.html, with spectra where Delve's npy writer saved covariance matrices (stat 'cov'). \
            With --sample, a synthetic run (power-law spectra, not a measurement) is first \
            written into RUN_DIR with the csv, jsonl, plot, tensorboard and report writers.
            """
    )

    @Argument(help: "The run directory (holds statistics.jsonl or statistics.csv), or a Delve 0.1.50 run's <savefile>.csv or folder.")
    var runDirectory: String

    @Option(name: .shortAndLong, help: "Write the page to this file instead of RUN_DIR/report.html.")
    var output: String?

    @Flag(help: "First write a synthetic sample run into RUN_DIR (for demos and output checks).")
    var sample = false

    @Option(help: "Epochs of the synthetic sample run (with --sample).")
    var epochs = 10

    @Option(help: "Writers used for the sample run (with --sample), comma-separated: \(WriterKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var writers = "csv,jsonl,plot,tensorboard,report"

    func run() throws {
        if sample {
            let kinds = try WriterKind.parseList(writers)
            try SampleRun.write(to: try RunDirectory(path: runDirectory), epochs: epochs, kinds: kinds.filter { $0 != .console })
        }
        if !sample, case .delve(let files) = try RecordedRun.locate(runDirectory) {
            let target = output.map { URL(fileURLWithPath: $0) } ?? files.reportURL
            let count = try files.writeReport(to: target)
            print("wrote \(target.path) (\(count) epoch\(count == 1 ? "" : "s") of the Delve 0.1.50 run \(files.csvURL.path))")
            return
        }
        let run = try RunDirectory(existing: runDirectory)
        if sample, !FileManager.default.fileExists(atPath: run.jsonlURL.path), !FileManager.default.fileExists(atPath: run.csvURL.path) {
            // The chosen writers kept no table to build a page from; the sample run itself is complete.
            print("wrote the sample run to \(run.url.path) (no statistics.jsonl or .csv, so no report regenerated)")
            return
        }
        let target = output.map { URL(fileURLWithPath: $0) } ?? run.reportURL
        let count = try ReportWriter.regenerate(run: run, output: target)
        print("wrote \(target.path) (\(count) epoch\(count == 1 ? "" : "s"))")
    }
}
