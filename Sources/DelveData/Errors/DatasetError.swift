/// Every failure of DelveData: reading a dataset file, decoding the embedded digits, or an invalid
/// argument. Each message names the file (or argument) and, for binary files, the byte offset where
/// the problem was found (offsets count bytes of the decompressed stream for `.gz` files).
public enum DatasetError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file does not exist or cannot be opened.
    case cannotOpen(file: String, reason: String)
    /// The first bytes are not the expected magic number.
    case badMagic(file: String, offset: Int, expected: UInt32, found: UInt32)
    /// The file ends before `needed` bytes could be read at `offset` (while reading `what`).
    case truncated(file: String, offset: Int, needed: Int, what: String)
    /// The file has bytes after the end of the data described by its header.
    case trailingData(file: String, offset: Int)
    /// A header field is invalid (zero or absurdly large dimension, overflow, unsupported type).
    case invalidHeader(file: String, offset: Int, message: String)
    /// Two files that must describe the same samples disagree on the sample count.
    case countMismatch(imagesFile: String, images: Int, labelsFile: String, labels: Int)
    /// A label outside `0..<classCount`.
    case invalidLabel(file: String, offset: Int, label: Int, classCount: Int)
    /// The compressed stream is damaged (zlib's message).
    case corruptCompressedData(file: String, offset: Int, reason: String)
    /// A payload checksum does not match the one stored in the header.
    case checksumMismatch(file: String, expected: UInt32, found: UInt32)
    /// A CSV cell that should be a finite number is not one (line and column are 1-based).
    case csvBadCell(file: String, line: Int, column: Int, text: String)
    /// A CSV line with the wrong number of cells (line is 1-based).
    case csvColumnCount(file: String, line: Int, expected: Int, found: Int)
    /// A CSV file without data rows, or a label column that does not exist.
    case csvStructure(file: String, message: String)
    /// A resource of this package is missing.
    case resourceMissing(name: String)
    /// An argument of a DelveData function is invalid (the message names it and what was expected).
    case invalidArgument(String)

    /// A one-line, human-readable message.
    public var description: String {
        switch self {
        case let .cannotOpen(file, reason):
            return "\(file): cannot open (\(reason))"
        case let .badMagic(file, offset, expected, found):
            return "\(file): byte offset \(offset): bad magic number 0x\(hex8(found)), expected 0x\(hex8(expected))"
        case let .truncated(file, offset, needed, what):
            return "\(file): truncated at byte offset \(offset): \(needed) more byte(s) needed for \(what)"
        case let .trailingData(file, offset):
            return "\(file): unexpected data after the end of the dataset at byte offset \(offset)"
        case let .invalidHeader(file, offset, message):
            return "\(file): byte offset \(offset): invalid header: \(message)"
        case let .countMismatch(imagesFile, images, labelsFile, labels):
            return "\(imagesFile) has \(images) images but \(labelsFile) has \(labels) labels"
        case let .invalidLabel(file, offset, label, classCount):
            return "\(file): byte offset \(offset): label \(label) is outside 0..<\(classCount)"
        case let .corruptCompressedData(file, offset, reason):
            return "\(file): corrupt compressed data near decompressed byte offset \(offset): \(reason)"
        case let .checksumMismatch(file, expected, found):
            return "\(file): checksum mismatch: CRC-32 0x\(hex8(found)), expected 0x\(hex8(expected))"
        case let .csvBadCell(file, line, column, text):
            return "\(file): line \(line), column \(column): '\(text)' is not a finite number"
        case let .csvColumnCount(file, line, expected, found):
            return "\(file): line \(line): \(found) column(s), expected \(expected)"
        case let .csvStructure(file, message):
            return "\(file): \(message)"
        case let .resourceMissing(name):
            return "DelveData resource '\(name)' is missing (the resource bundle was not installed next to the executable)"
        case let .invalidArgument(message):
            return message
        }
    }
}

private func hex8(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: max(0, 8 - digits.count)) + digits
}
