import Delve

/// The writers that can be chosen by name (`--writers csv,jsonl,console`).
public enum WriterKind: String, CaseIterable, Sendable {
    /// `statistics.csv`, Delve's CSV layout (``CSVWriter``).
    case csv
    /// `statistics.jsonl`, one JSON object per epoch (``JSONLWriter``).
    case jsonl
    /// Progress and an end-of-epoch table on standard output (``ConsoleWriter``).
    case console
    /// `plots/*.svg` and `plots/*.png`, the standard saturation plots, redrawn every epoch (``PlotWriter``).
    case plot
    /// `npy/<phase>/<layer>/epoch<N>-covariance.npy` and `-eigenvalues.npy` (``NPYEpochWriter``).
    case npy
    /// `events.out.tfevents.*`, scalars, eigenvalue histograms and plot images for TensorBoard (``TensorBoardWriter``).
    case tensorboard
    /// `report.html`, a self-contained page that refreshes itself while the run is in progress (``ReportWriter``).
    case report

    /// Parses a comma-separated list such as `"csv,jsonl"`; throws on an unknown name.
    public static func parseList(_ text: String) throws(WriterError) -> [WriterKind] {
        var kinds: [WriterKind] = []
        for part in text.split(separator: ",") {
            let name = part.trimmingCharacters(in: .whitespaces)
            guard let kind = WriterKind(rawValue: name) else {
                throw .invalidArgument("unknown writer '\(name)'; expected a comma-separated list of: "
                    + allCases.map(\.rawValue).joined(separator: ", "))
            }
            if !kinds.contains(kind) { kinds.append(kind) }
        }
        return kinds
    }

    /// Creates the writer of this kind for `run`; `initialEpoch > 0` resumes the existing files. The plot,
    /// report and TensorBoard writers start from `history` (the records of the completed epochs) when
    /// given, else from the run's `statistics.jsonl`.
    public func makeWriter(run: RunDirectory, initialEpoch: Int = 0, history given: [EpochRecord]? = nil) throws(WriterError) -> any EpochWriter {
        func earlier() throws(WriterError) -> [EpochRecord] {
            if let given { return given.filter { $0.epoch < initialEpoch } }
            return try history(run, before: initialEpoch)
        }
        switch self {
        case .csv: return try CSVWriter(url: run.csvURL, initialEpoch: initialEpoch)
        case .jsonl: return try JSONLWriter(url: run.jsonlURL, initialEpoch: initialEpoch)
        case .console: return ConsoleWriter()
        case .tensorboard: return try TensorBoardWriter(directory: run.url, history: try earlier())
        case .report: return ReportWriter(run: run, history: try earlier())
        case .npy: return try NPYEpochWriter(directory: run.npyDirectory)
        case .plot: return try PlotWriter(directory: run.plotsDirectory, history: try earlier())
        }
    }
}

/// The records of earlier epochs of a resumed run (read from its JSONL file), none for a fresh run.
func history(_ run: RunDirectory, before initialEpoch: Int) throws(WriterError) -> [EpochRecord] {
    guard initialEpoch > 0 else { return [] }
    return try run.readRecords().filter { $0.epoch < initialEpoch }
}

/// Creates the writers `kinds` (plus `extra` instances) for `run` as one ``CompositeWriter``, and records
/// the run's `configuration` with status "running" in `run.json`; closing the composite marks the run closed.
///
/// Resuming (`initialEpoch > 0`): the writers keep the completed epochs of their files (see
/// ``WriterKind/makeWriter(run:initialEpoch:history:)``), and the plots and the report are redrawn at once
/// from `history` (or `statistics.jsonl`), so that no file shows an epoch that was not completed.
public func makeWriters(
    _ kinds: [WriterKind], extra: [any EpochWriter] = [], run: RunDirectory,
    configuration: [RunInfo.Pair] = [], initialEpoch: Int = 0, history: [EpochRecord]? = nil
) throws(WriterError) -> CompositeWriter {
    try run.writeInfo(RunInfo(configuration: configuration, status: .running))
    var writers: [any EpochWriter] = [RunStatusWriter(run: run)]
    for kind in kinds {
        let writer = try kind.makeWriter(run: run, initialEpoch: initialEpoch, history: history)
        if initialEpoch > 0 {
            if let plots = writer as? PlotWriter { try plots.redraw() }
            if let report = writer as? ReportWriter { try report.redraw() }
        }
        writers.append(writer)
    }
    return CompositeWriter(writers + extra)
}

/// Marks the run closed in `run.json` when the writers are closed.
final class RunStatusWriter: EpochWriter {
    let run: RunDirectory
    init(run: RunDirectory) { self.run = run }
    func write(_ record: EpochRecord) throws(WriterError) {}
    func close() throws(WriterError) { try run.markClosed() }
}
