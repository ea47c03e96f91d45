#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A streaming reader of `.npy` files (format 1.0, 2.0, 3.0; little-endian `<f4` or `<f8`; C order).
///
/// The header is parsed and validated against the file size when the reader is created; the data is
/// then read in chunks of rows along the leading axis with ``readRows(count:into:)-(_,UnsafeMutableBufferPointer<Float>)``,
/// converted to `Float` or `Double`, so memory stays bounded by the chunk, not the file. A
/// 0-dimensional array is one row of one element.
public final class NPYReader {
    /// The file being read.
    public let path: String
    /// The parsed header.
    public let header: NPYHeader
    /// The number of rows along the leading axis (`shape[0]`, or 1 for a scalar).
    public let rowCount: Int
    /// The number of elements per row (the product of `shape[1...]`).
    public let rowElements: Int
    /// The number of rows already read.
    public private(set) var rowsRead = 0

    private var fd: Int32
    private var scratch: UnsafeMutableRawPointer?
    private var scratchCapacity = 0

    /// The array's shape.
    public var shape: [Int] { header.shape }
    /// The element type stored in the file.
    public var dataType: NPYDataType { header.dataType }

    /// Opens `path` and validates its header: magic, version, dictionary, element type, order, and
    /// that the file holds all the data the shape promises.
    public init(path: String) throws(NPYError) {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw NPYError(path: path, kind: .io("cannot open: \(POSIXFile.lastErrorMessage())"))
        }
        do throws(NPYError) {
            let fileSize = try POSIXFile.size(fd, path: path)
            let prefix = try POSIXFile.readBytes(fd, count: min(12, fileSize), offset: 0, path: path)
            header = try NPYHeader.parse(prefix: prefix, fileSize: fileSize, path: path) { (offset, count) throws(NPYError) in
                try POSIXFile.readBytes(fd, count: count, offset: offset, path: path)
            }
            (rowCount, rowElements) = try Self.rowLayout(header, path: path)
            self.fd = fd
        } catch {
            close(fd)
            throw error
        }
    }

    /// The leading-axis row count and the elements per row of `header`'s shape, checked against
    /// overflow (a shape such as `(0, 2^40, 2^40)` holds no data but its rows would overflow `Int`).
    static func rowLayout(_ header: NPYHeader, path: String) throws(NPYError) -> (rows: Int, elements: Int) {
        var elements = 1
        for dimension in header.shape.dropFirst() {
            let (product, overflow) = elements.multipliedReportingOverflow(by: dimension)
            guard !overflow else { throw NPYError(path: path, kind: .sizeOverflow(shape: header.shape)) }
            elements = product
        }
        return (header.shape.first ?? 1, elements)
    }

    /// Decodes a complete `.npy` file held in memory (header validated as by ``init(path:)``) and
    /// returns its header and values converted to `Double`; `path` names the bytes in errors.
    public static func decode(_ bytes: [UInt8], path: String = "<memory>") throws(NPYError) -> (header: NPYHeader, values: [Double]) {
        let header = try NPYHeader.parse(prefix: Array(bytes.prefix(12)), fileSize: bytes.count, path: path) { (offset, count) throws(NPYError) in
            Array(bytes[offset..<(offset + count)])
        }
        _ = try rowLayout(header, path: path)
        let count = header.elementCount
        var values = [Double](repeating: 0, count: count)
        bytes.withUnsafeBytes { raw in
            values.withUnsafeMutableBytes { out in
                guard let destination = out.baseAddress else { return }
                let data = UnsafeRawBufferPointer(rebasing: raw[header.dataOffset..<(header.dataOffset + count * header.dataType.byteCount)])
                convert(data, from: header.dataType, count: count, to: destination, as: .float64)
            }
        }
        return (header, values)
    }

    deinit {
        if fd >= 0 { close(fd) }
        scratch?.deallocate()
    }

    /// Starts reading from the first row again.
    public func rewind() {
        rowsRead = 0
    }

    /// Reads up to `count` rows into `buffer` (converting to `Float`), which must hold
    /// `min(count, remaining) · rowElements` values. Returns the number of rows read, 0 at the end.
    public func readRows(count: Int, into buffer: UnsafeMutableBufferPointer<Float>) throws(NPYError) -> Int {
        try readRows(count: count, into: UnsafeMutableRawPointer(buffer.baseAddress), capacity: buffer.count, as: .float32)
    }

    /// Reads up to `count` rows into `buffer` (converting to `Double`), which must hold
    /// `min(count, remaining) · rowElements` values. Returns the number of rows read, 0 at the end.
    public func readRows(count: Int, into buffer: UnsafeMutableBufferPointer<Double>) throws(NPYError) -> Int {
        try readRows(count: count, into: UnsafeMutableRawPointer(buffer.baseAddress), capacity: buffer.count, as: .float64)
    }

    /// Reads the remaining rows as `Float`s (for small files and tests; streams otherwise).
    public func readAllFloats() throws(NPYError) -> [Float] {
        let rows = rowCount - rowsRead
        var values = [Float](repeating: 0, count: rows * rowElements)
        _ = try values.withUnsafeMutableBufferPointer { (buffer) throws(NPYError) -> Int in
            try readRows(count: rows, into: buffer)
        }
        return values
    }

    /// Reads the remaining rows as `Double`s (for small files and tests; streams otherwise).
    public func readAllDoubles() throws(NPYError) -> [Double] {
        let rows = rowCount - rowsRead
        var values = [Double](repeating: 0, count: rows * rowElements)
        _ = try values.withUnsafeMutableBufferPointer { (buffer) throws(NPYError) -> Int in
            try readRows(count: rows, into: buffer)
        }
        return values
    }

    private func readRows(count: Int, into destination: UnsafeMutableRawPointer?, capacity: Int, as target: NPYDataType) throws(NPYError) -> Int {
        let rows = max(0, min(count, rowCount - rowsRead))
        guard rows > 0 else { return 0 }
        let elements = rows * rowElements
        guard elements <= capacity else { throw NPYError(path: path, kind: .bufferTooSmall(needed: elements, capacity: capacity)) }
        let itemSize = dataType.byteCount
        let offset = header.dataOffset + rowsRead * rowElements * itemSize
        let byteCount = elements * itemSize
        if elements > 0, let destination {
            if target == dataType && Self.hostIsLittleEndian {
                let got = try POSIXFile.readFully(fd, into: destination, count: byteCount, offset: offset, path: path)
                try checkComplete(got, byteCount, offset)
            } else {
                if scratchCapacity < byteCount {
                    scratch?.deallocate()
                    scratch = UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: 16)
                    scratchCapacity = byteCount
                }
                let got = try POSIXFile.readFully(fd, into: scratch!, count: byteCount, offset: offset, path: path)
                try checkComplete(got, byteCount, offset)
                Self.convert(UnsafeRawBufferPointer(start: scratch, count: byteCount), from: dataType, count: elements, to: destination, as: target)
            }
        }
        rowsRead += rows
        return rows
    }

    private func checkComplete(_ got: Int, _ wanted: Int, _ offset: Int) throws(NPYError) {
        guard got == wanted else {
            // The file shrank after it was opened.
            let expected = header.elementCount * dataType.byteCount
            let actual = offset - header.dataOffset + got
            throw NPYError(path: path, kind: .truncated(expectedBytes: expected, actualBytes: actual))
        }
    }

    private static let hostIsLittleEndian = 1.littleEndian == 1

    private static func convert(_ raw: UnsafeRawBufferPointer, from source: NPYDataType, count: Int, to destination: UnsafeMutableRawPointer, as target: NPYDataType) {
        switch (source, target) {
        case (.float32, .float32):
            let out = destination.assumingMemoryBound(to: Float.self)
            for i in 0..<count { out[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
        case (.float32, .float64):
            let out = destination.assumingMemoryBound(to: Double.self)
            for i in 0..<count { out[i] = Double(Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))) }
        case (.float64, .float32):
            let out = destination.assumingMemoryBound(to: Float.self)
            for i in 0..<count { out[i] = Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))) }
        case (.float64, .float64):
            let out = destination.assumingMemoryBound(to: Double.self)
            for i in 0..<count { out[i] = Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))) }
        }
    }
}
