import Delve
import Foundation

/// Writes `statistics.csv` in the layout of Delve's CSV writer (a pandas DataFrame saved with `sep=';'`):
/// one row per epoch, the first column the epoch index under an empty header cell, then one column per
/// output key (`train-saturation_fc1`, ..., user scalars) in the order the keys were first seen.
///
/// ```
/// ;train-saturation_fc1;train-saturation_fc2;test-accuracy
/// 0;0.5;0.25;0.9
/// ```
///
/// A key that appears only from a later epoch on leaves the cells of earlier rows empty (pandas reads them
/// as NaN); a NaN value is written as `nan`. The whole file is rewritten after every epoch, atomically
/// (temporary file, then rename). Covariance matrices are not written (they are not scalars).
public final class CSVWriter: EpochWriter {
    /// The CSV file.
    public let url: URL
    /// Column names after the index column, in order of first appearance.
    public private(set) var columns: [String] = []
    /// One row per epoch: the index and the cell text of each column it has.
    public private(set) var rows: [(index: Int, cells: [String: String])] = []
    private var closed = false

    /// Creates the writer. With `initialEpoch > 0` (resuming a run) the existing file is read and its rows
    /// with an index below `initialEpoch` are kept (columns that only later rows filled are dropped), so
    /// that new epochs are appended exactly as in an uninterrupted run; otherwise the file starts empty.
    public init(url: URL, initialEpoch: Int = 0) throws(WriterError) {
        self.url = url
        try createDirectory(url.deletingLastPathComponent())
        if initialEpoch > 0, let data = FileManager.default.contents(atPath: url.path) {
            let table = try CSVWriter.parse(String(decoding: data, as: UTF8.self), path: url.path)
            columns = table.columns
            rows = table.rows.filter { $0.index < initialEpoch }
            columns = table.columns.filter { column in rows.contains { $0.cells[column] != nil } }
        }
    }

    public func write(_ record: EpochRecord) throws(WriterError) {
        guard !closed else { throw .closed(writer: "csv") }
        var cells: [String: String] = [:]
        for (key, value) in record.keyedValues {
            if cells[key] == nil, !columns.contains(key) { columns.append(key) }
            cells[key] = delveNumberText(value)
        }
        if let existing = rows.firstIndex(where: { $0.index == record.epoch }) {
            rows[existing] = (record.epoch, cells)
        } else {
            rows.append((record.epoch, cells))
        }
        try writeAtomically(Data(CSVWriter.render(columns: columns, rows: rows).utf8), to: url)
    }

    /// Nothing to redo: the file was cut back to the completed epochs when the writer was opened with `initialEpoch`.
    public func resume(after completed: [EpochRecord]) throws(WriterError) {}

    public func close() throws(WriterError) {
        closed = true
    }

    /// The CSV text of a table: header `;col1;col2`, then `index;cell;cell` per row, cells missing in a row
    /// left empty. Fields containing `;`, `"` or a line break are quoted, quotes doubled.
    public static func render(columns: [String], rows: [(index: Int, cells: [String: String])]) -> String {
        var text = ([""] + columns).map(field).joined(separator: ";") + "\n"
        for row in rows {
            text += ([String(row.index)] + columns.map { row.cells[$0] ?? "" }).map(field).joined(separator: ";") + "\n"
        }
        return text
    }

    private static func field(_ text: String) -> String {
        guard text.contains(where: { $0 == ";" || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Reads a table written by ``render(columns:rows:)`` (or by pandas with `sep=';'`); `path` names the
    /// file in errors. The first column must hold integer indices.
    public static func parse(_ text: String, path: String) throws(WriterError) -> (columns: [String], rows: [(index: Int, cells: [String: String])]) {
        let records = try splitRecords(text, path: path)
        guard let header = records.first else { return ([], []) }
        let columns = Array(header.dropFirst())
        var rows: [(index: Int, cells: [String: String])] = []
        for (number, fields) in records.enumerated().dropFirst() {
            if fields.count == 1, fields[0].isEmpty { continue }
            guard fields.count == header.count else {
                throw .malformed(path: path, line: number + 1, reason: "expected \(header.count) fields separated by ';', found \(fields.count)")
            }
            guard let index = Int(fields[0]) else {
                throw .malformed(path: path, line: number + 1, reason: "the first field must be an integer epoch index, found '\(fields[0])'")
            }
            var cells: [String: String] = [:]
            for (column, value) in zip(columns, fields.dropFirst()) where !value.isEmpty { cells[column] = value }
            rows.append((index, cells))
        }
        return (columns, rows)
    }

    /// Splits CSV text into records of fields (`;`-separated, double-quote quoting).
    private static func splitRecords(_ text: String, path: String) throws(WriterError) -> [[String]] {
        var records: [[String]] = []
        var fields: [String] = []
        var field = ""
        var quoted = false
        var line = 1
        var iterator = Array(text).makeIterator()
        var pending: Character?
        while let char = pending ?? iterator.next() {
            pending = nil
            if quoted {
                if char == "\"" {
                    if let next = iterator.next() {
                        if next == "\"" { field.append("\"") } else { quoted = false; pending = next }
                    } else { quoted = false }
                } else {
                    if char == "\n" { line += 1 }
                    field.append(char)
                }
                continue
            }
            switch char {
            case "\"" where field.isEmpty: quoted = true
            case ";": fields.append(field); field = ""
            case "\n", "\r\n":
                fields.append(field); field = ""
                records.append(fields); fields = []
                line += 1
            default: field.append(char)
            }
        }
        if quoted { throw .malformed(path: path, line: line, reason: "unterminated quoted field") }
        if !field.isEmpty || !fields.isEmpty { fields.append(field); records.append(fields) }
        return records
    }
}
