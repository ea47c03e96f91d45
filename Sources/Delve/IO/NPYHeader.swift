/// The element type of a `.npy` array: little-endian IEEE 754 floats.
public enum NPYDataType: String, Sendable, CaseIterable {
    /// 32-bit float, `'<f4'`.
    case float32 = "<f4"
    /// 64-bit float, `'<f8'`.
    case float64 = "<f8"

    /// The size of one element in bytes.
    public var byteCount: Int {
        switch self {
        case .float32: return 4
        case .float64: return 8
        }
    }
}

/// The parsed header of a `.npy` file (format versions 1.0, 2.0 and 3.0).
///
/// Layout: the magic `\x93NUMPY`, one byte each for the major and minor version, the header length
/// (2 bytes little-endian in 1.0, 4 bytes in 2.0 and 3.0), then a Python dictionary literal with the
/// keys `'descr'`, `'fortran_order'` and `'shape'`, padded with spaces and a final newline. The data
/// follows in C order.
public struct NPYHeader: Equatable, Sendable {
    /// The 6-byte magic string every `.npy` file starts with.
    public static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]

    /// The longest header dictionary a reader accepts (1 MiB); float arrays need well under 1 KiB.
    public static let maximumDictionaryLength = 1 << 20

    /// The format version (major, minor).
    public var version: (major: Int, minor: Int)
    /// The element type.
    public var dataType: NPYDataType
    /// The array's shape; empty for a 0-dimensional (scalar) array.
    public var shape: [Int]
    /// The byte offset where the data starts (the total header size).
    public var dataOffset: Int

    /// The number of elements, the product of ``shape`` (1 for a scalar).
    public var elementCount: Int { shape.reduce(1, *) }

    public static func == (a: NPYHeader, b: NPYHeader) -> Bool {
        a.version == b.version && a.dataType == b.dataType && a.shape == b.shape && a.dataOffset == b.dataOffset
    }

    /// Creates a header description.
    public init(version: (major: Int, minor: Int), dataType: NPYDataType, shape: [Int], dataOffset: Int) {
        self.version = version
        self.dataType = dataType
        self.shape = shape
        self.dataOffset = dataOffset
    }

    /// The byte count of the data, checked against overflow: `product(shape) · itemsize`.
    static func checkedByteCount(shape: [Int], dataType: NPYDataType, path: String) throws(NPYError) -> Int {
        var count = dataType.byteCount
        for dimension in shape {
            guard dimension >= 0 else { throw NPYError(path: path, kind: .sizeOverflow(shape: shape)) }
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow else { throw NPYError(path: path, kind: .sizeOverflow(shape: shape)) }
            count = product
        }
        return count
    }

    /// The dictionary text numpy writes, e.g. `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`.
    static func dictionaryText(dataType: NPYDataType, shape: [Int]) -> String {
        let shapeText: String
        switch shape.count {
        case 0: shapeText = "()"
        case 1: shapeText = "(\(shape[0]),)"
        default: shapeText = "(" + shape.map(String.init).joined(separator: ", ") + ")"
        }
        return "{'descr': '\(dataType.rawValue)', 'fortran_order': False, 'shape': \(shapeText), }"
    }

    /// The complete header bytes as numpy writes them: version 1.0 (2.0 when the dictionary is longer
    /// than 65535 bytes), the dictionary padded with spaces and a newline so that the data starts at a
    /// multiple of 64 bytes.
    public static func encode(dataType: NPYDataType, shape: [Int]) -> [UInt8] {
        let text = Array(dictionaryText(dataType: dataType, shape: shape).utf8)
        var prefixLength = 10
        var major: UInt8 = 1
        // 1 byte for the newline.
        if text.count + 1 + 64 > Int(UInt16.max) {
            prefixLength = 12
            major = 2
        }
        let unpadded = prefixLength + text.count + 1
        let total = (unpadded + 63) / 64 * 64
        let headerLength = total - prefixLength
        var bytes = magic
        bytes.append(major)
        bytes.append(0)
        if major == 1 {
            bytes.append(UInt8(headerLength & 0xFF))
            bytes.append(UInt8(headerLength >> 8))
        } else {
            for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8((headerLength >> shift) & 0xFF)) }
        }
        bytes.append(contentsOf: text)
        bytes.append(contentsOf: [UInt8](repeating: 0x20, count: total - unpadded))
        bytes.append(0x0A)
        return bytes
    }

    /// Parses and validates a complete header: the fixed prefix (the first 12 bytes of the file, or
    /// all of them when shorter), then the dictionary, which `readDictionary(offset, count)` supplies
    /// once its length has been checked against `fileSize` and ``maximumDictionaryLength``; finally
    /// the element count, checked for overflow and against the data bytes the file holds (so a header
    /// claiming 10¹² elements is rejected before anything of that size is allocated).
    static func parse(prefix: [UInt8], fileSize: Int, path: String,
                      readDictionary: (_ offset: Int, _ count: Int) throws(NPYError) -> [UInt8]) throws(NPYError) -> NPYHeader {
        let parsed = try parsePrefix(prefix, path: path)
        let (headerEnd, overflow) = parsed.prefixLength.addingReportingOverflow(parsed.dictionaryLength)
        guard !overflow, headerEnd <= fileSize else {
            throw NPYError(path: path, kind: .headerBeyondFile(headerEnd: overflow ? Int.max : headerEnd, fileSize: fileSize))
        }
        guard parsed.dictionaryLength <= maximumDictionaryLength else {
            throw NPYError(path: path, kind: .malformedHeader(
                "the header dictionary claims \(parsed.dictionaryLength) bytes, more than the \(maximumDictionaryLength)-byte limit"))
        }
        let dictionary = try readDictionary(parsed.prefixLength, parsed.dictionaryLength)
        let (dataType, shape) = try parseDictionary(dictionary, path: path)
        let byteCount = try checkedByteCount(shape: shape, dataType: dataType, path: path)
        let available = fileSize - headerEnd
        guard byteCount <= available else {
            throw NPYError(path: path, kind: .truncated(expectedBytes: byteCount, actualBytes: available))
        }
        return NPYHeader(version: (parsed.major, parsed.minor), dataType: dataType, shape: shape, dataOffset: headerEnd)
    }

    /// Parses the fixed prefix (magic, version, header length) from the first bytes of a file and
    /// returns the version and the length of the dictionary text that follows.
    static func parsePrefix(_ bytes: [UInt8], path: String) throws(NPYError) -> (major: Int, minor: Int, prefixLength: Int, dictionaryLength: Int) {
        guard bytes.count >= 8, Array(bytes[0..<6]) == magic else { throw NPYError(path: path, kind: .badMagic) }
        let major = Int(bytes[6]), minor = Int(bytes[7])
        guard minor == 0, (1...3).contains(major) else {
            throw NPYError(path: path, kind: .unsupportedVersion(major: major, minor: minor))
        }
        let lengthBytes = major == 1 ? 2 : 4
        guard bytes.count >= 8 + lengthBytes else {
            throw NPYError(path: path, kind: .malformedHeader("the file ends inside the header length field"))
        }
        var length = 0
        for i in 0..<lengthBytes { length |= Int(bytes[8 + i]) << (8 * i) }
        return (major, minor, 8 + lengthBytes, length)
    }

    /// Parses the header dictionary text and checks the keys this reader supports.
    static func parseDictionary(_ bytes: [UInt8], path: String) throws(NPYError) -> (NPYDataType, [Int]) {
        var parser = PythonLiteralParser(bytes: bytes)
        let value: PythonLiteral
        do {
            value = try parser.parseTopLevel()
        } catch {
            throw NPYError(path: path, kind: .malformedHeader(error.message))
        }
        guard case .dictionary(let entries) = value else {
            throw NPYError(path: path, kind: .malformedHeader("the header is not a dictionary"))
        }
        func entry(_ key: String) throws(NPYError) -> PythonLiteral {
            guard let found = entries.first(where: { $0.key == key })?.value else {
                throw NPYError(path: path, kind: .malformedHeader("the key '\(key)' is missing"))
            }
            return found
        }
        guard case .string(let descr) = try entry("descr") else {
            throw NPYError(path: path, kind: .unsupportedDType("structured or non-string descr"))
        }
        guard case .bool(let fortran) = try entry("fortran_order") else {
            throw NPYError(path: path, kind: .malformedHeader("'fortran_order' is not True or False"))
        }
        guard case .tuple(let items) = try entry("shape") else {
            throw NPYError(path: path, kind: .malformedHeader("'shape' is not a tuple"))
        }
        var shape: [Int] = []
        for item in items {
            guard case .integer(let dimension) = item else {
                throw NPYError(path: path, kind: .malformedHeader("'shape' contains a non-integer"))
            }
            shape.append(dimension)
        }
        let dataType: NPYDataType
        switch descr {
        case "<f4": dataType = .float32
        case "<f8": dataType = .float64
        default:
            if descr == ">f4" || descr == ">f8" { throw NPYError(path: path, kind: .bigEndian(descr)) }
            throw NPYError(path: path, kind: .unsupportedDType(descr))
        }
        if fortran {
            throw NPYError(path: path, kind: .fortranOrder)
        }
        return (dataType, shape)
    }
}
