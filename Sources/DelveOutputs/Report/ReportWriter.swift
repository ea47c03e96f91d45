import Delve
import Foundation

/// Writes `report.html` (``ReportPage``) after every epoch, with a self-refresh while the run is in
/// progress; ``close()`` writes the final page without the refresh.
public final class ReportWriter: EpochWriter {
    /// The run the report describes.
    public let run: RunDirectory
    /// Seconds between reloads of the page while the run is in progress.
    public let refreshSeconds: Int
    /// The records seen so far (without covariance matrices), oldest first.
    public private(set) var history: [EpochRecord]

    /// Creates the writer; `history` holds earlier epochs when a run is resumed.
    public init(run: RunDirectory, refreshSeconds: Int = 15, history: [EpochRecord] = []) {
        self.run = run
        self.refreshSeconds = refreshSeconds
        self.history = history
    }

    public func write(_ record: EpochRecord) throws(WriterError) {
        history.removeAll { $0.epoch >= record.epoch }
        history.append(record.withoutCovariance)
        try render(running: true)
    }

    public func close() throws(WriterError) {
        try render(running: false)
    }

    /// Rewrites `report.html` from ``history`` alone, as a running page (after resuming a run, so that it
    /// shows only completed epochs); does nothing when the history is empty.
    public func redraw() throws(WriterError) {
        guard !history.isEmpty else { return }
        try render(running: true)
    }

    private func render(running: Bool) throws(WriterError) {
        let info = try run.readInfo()
        let page = ReportPage.html(runName: run.url.lastPathComponent, info: info, history: history,
                                   running: running, refreshSeconds: refreshSeconds)
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
                                   running: info?.status == .running)
        try writeAtomically(Data(page.utf8), to: output ?? run.reportURL)
        return history.count
    }
}
