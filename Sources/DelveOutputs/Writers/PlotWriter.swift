import Delve
import Foundation

/// Writes the run's plots (``RunPlots``) after every epoch into `plots/` as SVG and/or PNG, each file
/// replaced atomically: `saturation`, `saturation-over-epochs`, `saturation-heatmap`,
/// `explained-variance`, `scalars`.
public final class PlotWriter: EpochWriter {
    /// Image formats.
    public enum Format: String, CaseIterable, Sendable {
        /// Scalable vector graphics.
        case svg
        /// Portable network graphics (rasterized by ``Rasterizer``).
        case png
    }

    /// The folder the plots are written to.
    public let directory: URL
    /// The formats written.
    public let formats: [Format]
    /// The run's records, shared with the other writers that draw the whole run.
    public let history: RunHistory
    /// Whether this writer adds each record to ``history`` itself (it was not given a shared one).
    private let ownsHistory: Bool

    /// Creates the writer. With a shared `history` (``RunWriters``), its owner adds the records;
    /// without one the writer keeps its own.
    public init(directory: URL, formats: [Format] = [.svg, .png], history: RunHistory? = nil) throws(WriterError) {
        self.directory = directory
        self.formats = formats
        self.history = history ?? RunHistory()
        self.ownsHistory = history == nil
        try createDirectory(directory)
    }

    public func write(_ record: EpochRecord) throws(WriterError) {
        if ownsHistory { history.append(record) }
        try draw()
    }

    /// Redraws the plots from the completed epochs alone, so that they show no epoch that was not completed.
    public func resume(after completed: [EpochRecord]) throws(WriterError) {
        if ownsHistory { history.replace(with: completed) }
        guard !history.records.isEmpty else { return }
        try draw()
    }

    public func close() throws(WriterError) {}

    /// Writes each figure of ``history`` as `<name>.<format>` into ``directory``.
    private func draw() throws(WriterError) {
        for (name, figure) in history.figures {
            for format in formats {
                let url = directory.appendingPathComponent("\(name).\(format.rawValue)")
                switch format {
                case .svg:
                    try writeAtomically(Data(SVGRenderer.render(figure).utf8), to: url)
                case .png:
                    let bytes: [UInt8]
                    do { bytes = try history.png(named: name) } catch { throw .io(path: url.path, reason: error.message) }
                    try writeAtomically(Data(bytes), to: url)
                }
            }
        }
    }
}
