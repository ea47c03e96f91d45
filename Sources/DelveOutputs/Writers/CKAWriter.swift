import Delve
import Foundation

/// `cka.csv`: the linear CKA matrices of a run (`EpochRecord/similarity`), one block of rows per epoch
/// and phase — `epoch,phase,layer,samples,<layer 1>,…,<layer L>` — rewritten atomically every epoch.
/// Writes nothing (no file) until a record has CKA. Numbers as in `statistics.csv` (`nan` for a layer
/// without variance).
public final class CKAWriter: EpochWriter {
    /// The file.
    public let url: URL
    private var rows: [(epoch: Int, matrix: CKAMatrix)] = []

    /// A writer of `url` (a resumed run's earlier matrices come through ``resume(after:)``).
    public init(url: URL) {
        self.url = url
    }

    public func write(_ record: EpochRecord) throws(WriterError) {
        rows.removeAll { $0.epoch >= record.epoch }
        rows += record.similarity.map { (record.epoch, $0) }
        guard !rows.isEmpty else { return }
        try flush()
    }

    public func resume(after completed: [EpochRecord]) throws(WriterError) {
        rows = completed.flatMap { record in record.similarity.map { (record.epoch, $0) } }
        if !rows.isEmpty { try flush() }
    }

    public func close() throws(WriterError) {}

    /// The CSV text of the matrices.
    public static func render(_ rows: [(epoch: Int, matrix: CKAMatrix)]) -> String {
        var columns: [String] = []
        for (_, matrix) in rows { for layer in matrix.layers where !columns.contains(layer) { columns.append(layer) } }
        var text = (["epoch", "phase", "layer", "samples"] + columns).map(field).joined(separator: ",") + "\n"
        for (epoch, matrix) in rows {
            for (i, layer) in matrix.layers.enumerated() {
                var cells = [String(epoch), matrix.phase.rawValue, field(layer), String(matrix.samples)]
                for column in columns {
                    cells.append(matrix.layers.firstIndex(of: column).map { delveNumberText(matrix[i, $0]) } ?? "")
                }
                text += cells.joined(separator: ",") + "\n"
            }
        }
        return text
    }

    private static func field(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    private func flush() throws(WriterError) {
        try writeAtomically(Data(Self.render(rows).utf8), to: url)
    }
}

extension RunDirectory {
    /// `cka.csv`, the linear CKA matrices (``CKAWriter``).
    public var ckaCSVURL: URL { url.appendingPathComponent("cka.csv") }
}
