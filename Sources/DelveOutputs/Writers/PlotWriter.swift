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
    /// The records seen so far (without covariance matrices), oldest first.
    public private(set) var history: [EpochRecord]

    /// Creates the writer; `history` holds earlier epochs when a run is resumed.
    public init(directory: URL, formats: [Format] = [.svg, .png], history: [EpochRecord] = []) throws(WriterError) {
        self.directory = directory
        self.formats = formats
        self.history = history
        try createDirectory(directory)
    }

    public func write(_ record: EpochRecord) throws(WriterError) {
        history.removeAll { $0.epoch >= record.epoch }
        history.append(record.withoutCovariance)
        try PlotWriter.writeFigures(RunPlots.figures(history: history), to: directory, formats: formats)
    }

    public func close() throws(WriterError) {}

    /// Redraws the plots from ``history`` alone (after resuming a run, so that they show only completed
    /// epochs); does nothing when the history is empty.
    public func redraw() throws(WriterError) {
        guard !history.isEmpty else { return }
        try PlotWriter.writeFigures(RunPlots.figures(history: history), to: directory, formats: formats)
    }

    /// Writes each figure as `<name>.<format>` into `directory`.
    public static func writeFigures(_ figures: [(name: String, figure: Figure)], to directory: URL, formats: [Format]) throws(WriterError) {
        for (name, figure) in figures {
            for format in formats {
                let url = directory.appendingPathComponent("\(name).\(format.rawValue)")
                switch format {
                case .svg:
                    try writeAtomically(Data(SVGRenderer.render(figure).utf8), to: url)
                case .png:
                    do {
                        let bytes = try PNGEncoder.encode(Rasterizer.render(figure))
                        try writeAtomically(Data(bytes), to: url)
                    } catch let error as PNGEncoder.EncodingError {
                        throw .io(path: url.path, reason: error.message)
                    } catch let error as WriterError {
                        throw error
                    } catch {
                        throw .io(path: url.path, reason: "\(error)")
                    }
                }
            }
        }
    }
}
