import Delve
import Foundation

/// Writes `report.html` (``ReportPage``) after every epoch, with a self-refresh while the run is in
/// progress; ``close()`` writes the final page without the refresh.
public final class ReportWriter: EpochWriter {
    /// The run the report describes.
    public let run: RunDirectory
    /// Seconds between reloads of the page while the run is in progress.
    public let refreshSeconds: Int
    /// The run's records, shared with the other writers that draw the whole run.
    public let history: RunHistory
    /// Whether this writer adds each record to ``history`` itself (it was not given a shared one).
    private let ownsHistory: Bool

    /// Creates the writer. With a shared `history` (``RunWriters``), its owner adds the records;
    /// without one the writer keeps its own.
    public init(run: RunDirectory, refreshSeconds: Int = 15, history: RunHistory? = nil) {
        self.run = run
        self.refreshSeconds = refreshSeconds
        self.history = history ?? RunHistory()
        self.ownsHistory = history == nil
    }

    public func write(_ record: EpochRecord) throws(WriterError) {
        if ownsHistory { history.append(record) }
        try render(running: true)
    }

    /// Rewrites `report.html` from the completed epochs alone, as a running page.
    public func resume(after completed: [EpochRecord]) throws(WriterError) {
        if ownsHistory { history.replace(with: completed) }
        guard !history.records.isEmpty else { return }
        try render(running: true)
    }

    public func close() throws(WriterError) {
        try render(running: false)
    }

    private func render(running: Bool) throws(WriterError) {
        let info = try run.readInfo()
        let page = ReportPage.html(runName: run.url.lastPathComponent, info: info, history: history.records,
                                   figures: history.figures, running: running, refreshSeconds: refreshSeconds,
                                   receptiveField: try run.readReceptiveField(),
                                   pcaEvaluation: try PCAEvaluation.read(from: run))
        try writeAtomically(Data(page.utf8), to: run.reportURL)
    }

    /// Regenerates `report.html` of a finished or running run from its files: the records of
    /// `statistics.jsonl`, or when there is none, of `statistics.csv` (also a CSV written by Python Delve).
    /// Returns the number of epochs in the report.
    @discardableResult
    public static func regenerate(run: RunDirectory, output: URL? = nil) throws(WriterError) -> Int {
        var history = try run.readRecords()
        if history.isEmpty, let data = FileManager.default.contents(atPath: run.csvURL.path) {
            history = try CSVRecords.records(fromCSV: String(decoding: data, as: UTF8.self), path: run.csvURL.path)
        }
        guard !history.isEmpty else {
            throw .io(path: run.url.path, reason: "no epochs found: expected statistics.jsonl or statistics.csv in the run directory")
        }
        let info = try run.readInfo()
        let page = ReportPage.html(runName: run.url.lastPathComponent, info: info, history: history,
                                   running: info?.status == .running, receptiveField: try run.readReceptiveField(),
                                   pcaEvaluation: try PCAEvaluation.read(from: run))
        try writeAtomically(Data(page.utf8), to: output ?? run.reportURL)
        return history.count
    }
}
