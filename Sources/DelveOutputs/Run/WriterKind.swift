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

    /// Creates the writer of this kind for `run`; `initialEpoch > 0` reopens the existing files of a
    /// resumed run. The plot, report and TensorBoard writers draw from `history` (filled by its owner).
    public func makeWriter(run: RunDirectory, initialEpoch: Int = 0, history: RunHistory) throws(WriterError) -> any EpochWriter {
        switch self {
        case .csv: return try CSVWriter(url: run.csvURL, initialEpoch: initialEpoch)
        case .jsonl: return try JSONLWriter(url: run.jsonlURL, initialEpoch: initialEpoch)
        case .console: return ConsoleWriter()
        case .tensorboard: return try TensorBoardWriter(directory: run.url, history: history)
        case .report: return ReportWriter(run: run, history: history)
        case .npy: return try NPYEpochWriter(directory: run.npyDirectory)
        case .plot: return try PlotWriter(directory: run.plotsDirectory, history: history)
        }
    }
}
