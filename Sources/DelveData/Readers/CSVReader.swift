import Foundation

/// Reader of a table of numeric features with one label column, from a CSV file (plain or `.gz`).
///
/// Cells are separated by `delimiter` (a quoted cell may not contain it); surrounding spaces and
/// double quotes are stripped; empty lines
/// are skipped; `\r\n` line ends are accepted. Every feature cell must be a finite number. Labels that
/// are all non-negative integers (`3` or `3.0`) are used as class indices (`classCount` = largest + 1);
/// otherwise the distinct label texts, sorted, become `classNames` and labels index them.
public enum CSVDataset {
    /// Which column holds the label.
    public enum LabelColumn: Sendable, Equatable {
        /// The last column (the default).
        case last
        /// The first column.
        case first
        /// The column at a 0-based index.
        case index(Int)
        /// The column with this header name (requires a header line).
        case named(String)
    }

    /// Whether the first line is a header.
    public enum Header: Sendable, Equatable {
        /// Detected: the first line is a header when one of its feature cells is not a number.
        case auto
        /// The first line is a header.
        case present
        /// There is no header; the first line is data.
        case absent
    }

    /// Options of `load`.
    public struct Options: Sendable, Equatable {
        /// Which column holds the label.
        public var labelColumn: LabelColumn
        /// Whether the first line is a header.
        public var header: Header
        /// The cell separator (an ASCII character).
        public var delimiter: Character
        /// The shape of one sample (e.g. `[1, 8, 8]`); its product must equal the number of feature
        /// columns. `nil` means `[featureCount]`.
        public var sampleShape: [Int]?

        /// Creates options; the defaults read `f1,f2,…,label` with an optional header.
        public init(labelColumn: LabelColumn = .last, header: Header = .auto, delimiter: Character = ",", sampleShape: [Int]? = nil) {
            self.labelColumn = labelColumn
            self.header = header
            self.delimiter = delimiter
            self.sampleShape = sampleShape
        }
    }

    /// Reads `path`. The result's `valueRange` is the observed range of the feature values.
    public static func load(_ path: String, options: Options = Options()) throws(DatasetError) -> LabeledImages {
        guard options.delimiter.asciiValue != nil, options.delimiter != "\"", options.delimiter != "\n" else {
            throw .invalidArgument("CSVDataset.load: the delimiter must be an ASCII character other than a quote or newline, got '\(options.delimiter)'")
        }
        return try decode(DatasetFileReader(path: path).readToEnd(), name: path, options: options)
    }

    /// Parses the bytes of an uncompressed CSV file held in memory, as ``load(_:options:)`` does;
    /// `name` stands for the file in errors.
    public static func decode(_ bytes: [UInt8], name path: String = "<memory>", options: Options = Options()) throws(DatasetError) -> LabeledImages {
        guard let delimiter = options.delimiter.asciiValue, options.delimiter != "\"", options.delimiter != "\n" else {
            throw .invalidArgument("CSVDataset.load: the delimiter must be an ASCII character other than a quote or newline, got '\(options.delimiter)'")
        }
        var lines: [(number: Int, cells: [String])] = []
        var lineNumber = 0
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count && bytes[end] != 0x0A { end += 1 }
            lineNumber += 1
            var stop = end
            if stop > start && bytes[stop - 1] == 0x0D { stop -= 1 }
            let line = bytes[start ..< stop]
            if line.contains(where: { $0 != 0x20 && $0 != 0x09 }) {
                let cells = line.split(separator: delimiter, omittingEmptySubsequences: false).map(cleanCell)
                lines.append((lineNumber, cells))
            }
            start = end + 1
        }
        guard let first = lines.first else { throw .csvStructure(file: path, message: "no data rows") }
        let columnCount = first.cells.count
        guard columnCount >= 2 else {
            throw .csvStructure(file: path, message: "line \(first.number) has \(columnCount) column(s); a feature and a label column are needed")
        }

        let hasHeader: Bool
        switch options.header {
        case .present: hasHeader = true
        case .absent: hasHeader = false
        case .auto:
            if case .named = options.labelColumn {
                hasHeader = true
            } else {
                let labelIndex = try resolveLabelColumn(options.labelColumn, header: nil, columnCount: columnCount, file: path)
                hasHeader = first.cells.indices.contains { $0 != labelIndex && parseNumber(first.cells[$0]) == nil }
            }
        }
        let labelIndex = try resolveLabelColumn(
            options.labelColumn, header: hasHeader ? first.cells : nil, columnCount: columnCount, file: path)
        let rows = hasHeader ? lines.dropFirst() : lines[...]
        guard !rows.isEmpty else { throw .csvStructure(file: path, message: "no data rows after the header") }

        let featureCount = columnCount - 1
        var pixels = [Float]()
        pixels.reserveCapacity(rows.count * featureCount)
        var labelTexts = [String]()
        labelTexts.reserveCapacity(rows.count)
        for row in rows {
            guard row.cells.count == columnCount else {
                throw .csvColumnCount(file: path, line: row.number, expected: columnCount, found: row.cells.count)
            }
            for (column, cell) in row.cells.enumerated() where column != labelIndex {
                guard let value = parseNumber(cell) else {
                    throw .csvBadCell(file: path, line: row.number, column: column + 1, text: cell)
                }
                pixels.append(value)
            }
            labelTexts.append(row.cells[labelIndex])
        }

        let labels: [Int], classCount: Int, classNames: [String]?
        let numericLabels = labelTexts.map { text -> Int? in
            guard let value = Double(text), value >= 0, value < 1e9, value == value.rounded() else { return nil }
            return Int(value)
        }
        if numericLabels.allSatisfy({ $0 != nil }) {
            labels = numericLabels.map { $0! }
            classCount = (labels.max() ?? 0) + 1
            classNames = nil
        } else {
            if let emptyRow = labelTexts.firstIndex(of: "") {
                let row = rows[rows.startIndex + emptyRow]
                throw .csvBadCell(file: path, line: row.number, column: labelIndex + 1, text: "")
            }
            let names = Array(Set(labelTexts)).sorted()
            let indexOf = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
            labels = labelTexts.map { indexOf[$0]! }
            classCount = names.count
            classNames = names
        }

        let shape = options.sampleShape ?? [featureCount]
        guard shape.reduce(1, *) == featureCount, shape.allSatisfy({ $0 > 0 }) else {
            throw .invalidArgument("CSVDataset.load: sampleShape \(shape) does not hold the \(featureCount) feature columns of \(path)")
        }
        var data = try LabeledImages(sampleShape: shape, pixels: pixels, labels: labels, classCount: classCount, classNames: classNames)
        data.valueRange = data.observedRange()
        return data
    }

    /// The 0-based index of the label column.
    static func resolveLabelColumn(_ column: LabelColumn, header: [String]?, columnCount: Int, file: String) throws(DatasetError) -> Int {
        switch column {
        case .last: return columnCount - 1
        case .first: return 0
        case let .index(i):
            guard (0 ..< columnCount).contains(i) else {
                throw .csvStructure(file: file, message: "label column index \(i) is outside 0..<\(columnCount)")
            }
            return i
        case let .named(name):
            guard let header else { throw .csvStructure(file: file, message: "label column '\(name)' needs a header line") }
            guard let i = header.firstIndex(of: name) else {
                throw .csvStructure(file: file, message: "no column named '\(name)' in the header (\(header.joined(separator: ", ")))")
            }
            return i
        }
    }

    /// A finite number, or nil (empty, text, NaN or infinity).
    static func parseNumber(_ text: String) -> Float? {
        guard let value = Float(text), value.isFinite else { return nil }
        return value
    }

    /// The cell text without surrounding blanks and double quotes.
    static func cleanCell(_ bytes: ArraySlice<UInt8>) -> String {
        var text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespaces)
        if text.count >= 2, text.hasPrefix("\""), text.hasSuffix("\"") {
            text = String(text.dropFirst().dropLast()).replacingOccurrences(of: "\"\"", with: "\"")
        }
        return text
    }
}
