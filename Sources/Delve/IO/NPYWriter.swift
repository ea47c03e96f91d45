#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes whole arrays to `.npy` files atomically (see ``NPYStreamWriter`` for streaming).
public enum NPYWriter {
    /// Writes `values` (C order) with `shape` to `path` as `dataType` (default `<f4`): a temporary
    /// file in the same directory is written, flushed and renamed over `path`, so readers never see a
    /// partial file.
    public static func write(_ values: [Float], shape: [Int], to path: String, as dataType: NPYDataType = .float32) throws(NPYError) {
        let writer = try NPYStreamWriter(path: path, dataType: dataType, shape: shape)
        try values.withUnsafeBufferPointer { (buffer) throws(NPYError) in try writer.append(buffer) }
        try writer.finish()
    }

    /// Writes `values` (C order) with `shape` to `path` as `dataType` (default `<f8`), atomically.
    public static func write(_ values: [Double], shape: [Int], to path: String, as dataType: NPYDataType = .float64) throws(NPYError) {
        let writer = try NPYStreamWriter(path: path, dataType: dataType, shape: shape)
        try values.withUnsafeBufferPointer { (buffer) throws(NPYError) in try writer.append(buffer) }
        try writer.finish()
    }
}

/// Writes a `.npy` file whose shape is known upfront, chunk by chunk, atomically.
///
/// The header (version 1.0, padded to 64 bytes as numpy does) is written first to a temporary file
/// next to the destination; ``append(_:)-(UnsafeBufferPointer<Float>)`` adds values in C order;
/// ``finish()`` checks that exactly `product(shape)` values were given, flushes and renames the file
/// into place. A writer that is dropped without ``finish()`` removes its temporary file.
public final class NPYStreamWriter {
    /// The destination path.
    public let path: String
    /// The element type written.
    public let dataType: NPYDataType
    /// The declared shape.
    public let shape: [Int]
    /// How many values have been appended.
    public private(set) var elementsWritten = 0

    private let elementCount: Int
    private let temporaryPath: String
    private var fd: Int32
    private var scratch: UnsafeMutableRawPointer?
    private var scratchCapacity = 0
    private static let chunkElements = 1 << 16

    /// Creates the temporary file and writes the header.
    public init(path: String, dataType: NPYDataType, shape: [Int]) throws(NPYError) {
        self.path = path
        self.dataType = dataType
        self.shape = shape
        _ = try NPYHeader.checkedByteCount(shape: shape, dataType: dataType, path: path)
        elementCount = shape.reduce(1, *)
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[...$0]) } ?? ""
        let base = slash.map { String(path[path.index(after: $0)...]) } ?? path
        temporaryPath = "\(directory).\(base).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        fd = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else {
            throw NPYError(path: path, kind: .io("cannot create a temporary file next to it: \(POSIXFile.lastErrorMessage())"))
        }
        let header = NPYHeader.encode(dataType: dataType, shape: shape)
        do throws(NPYError) {
            try header.withUnsafeBufferPointer { (buffer) throws(NPYError) in
                try POSIXFile.writeFully(fd, from: buffer.baseAddress!, count: buffer.count, path: path)
            }
        } catch {
            abandon()
            throw error
        }
    }

    deinit {
        abandon()
        scratch?.deallocate()
    }

    /// Appends values in C order, converting to the file's element type.
    public func append(_ values: UnsafeBufferPointer<Float>) throws(NPYError) {
        try append(UnsafeRawPointer(values.baseAddress), count: values.count, source: .float32)
    }

    /// Appends values in C order, converting to the file's element type.
    public func append(_ values: UnsafeBufferPointer<Double>) throws(NPYError) {
        try append(UnsafeRawPointer(values.baseAddress), count: values.count, source: .float64)
    }

    /// Checks that the file is complete, flushes it to disk and renames it to ``path``.
    public func finish() throws(NPYError) {
        guard fd >= 0 else { throw NPYError(path: path, kind: .io("the writer was already finished or failed")) }
        guard elementsWritten == elementCount else {
            abandon()
            throw NPYError(path: path, kind: .shapeMismatch(shape: shape, expectedElements: elementCount, actualElements: elementsWritten))
        }
        if fsync(fd) != 0 {
            let message = POSIXFile.lastErrorMessage()
            abandon()
            throw NPYError(path: path, kind: .io("cannot flush: \(message)"))
        }
        close(fd)
        fd = -1
        WriteFaults.point(path)
        if rename(temporaryPath, path) != 0 {
            let message = POSIXFile.lastErrorMessage()
            unlink(temporaryPath)
            throw NPYError(path: path, kind: .io("cannot rename the temporary file into place: \(message)"))
        }
    }

    private func abandon() {
        if fd >= 0 {
            close(fd)
            fd = -1
            unlink(temporaryPath)
        }
    }

    private func append(_ source: UnsafeRawPointer?, count: Int, source sourceType: NPYDataType) throws(NPYError) {
        guard fd >= 0 else { throw NPYError(path: path, kind: .io("the writer was already finished or failed")) }
        guard count <= elementCount - elementsWritten else {
            let given = elementsWritten + count
            abandon()
            throw NPYError(path: path, kind: .shapeMismatch(shape: shape, expectedElements: elementCount, actualElements: given))
        }
        guard count > 0, let source else { return }
        do throws(NPYError) {
            if sourceType == dataType && 1.littleEndian == 1 {
                try POSIXFile.writeFully(fd, from: source, count: count * dataType.byteCount, path: path)
            } else {
                var start = 0
                while start < count {
                    let n = min(Self.chunkElements, count - start)
                    try writeConverted(source, from: sourceType, start: start, count: n)
                    start += n
                }
            }
        } catch {
            abandon()
            throw error
        }
        elementsWritten += count
    }

    private func writeConverted(_ source: UnsafeRawPointer, from sourceType: NPYDataType, start: Int, count: Int) throws(NPYError) {
        let bytes = count * dataType.byteCount
        if scratchCapacity < bytes {
            scratch?.deallocate()
            scratch = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 16)
            scratchCapacity = bytes
        }
        let target = dataType
        let raw = scratch!
        do {
            for i in 0..<count {
                let value: Double = sourceType == .float32
                    ? Double(source.load(fromByteOffset: 4 * (start + i), as: Float.self))
                    : source.load(fromByteOffset: 8 * (start + i), as: Double.self)
                if target == .float32 {
                    raw.storeBytes(of: Float(value).bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self)
                } else {
                    raw.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: 8 * i, as: UInt64.self)
                }
            }
        }
        try POSIXFile.writeFully(fd, from: raw, count: bytes, path: path)
    }
}
