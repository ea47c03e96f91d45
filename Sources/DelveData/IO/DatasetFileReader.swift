import CDelveZlib
import Foundation

/// Sequential reader of a dataset file that is either plain or gzip-compressed (zlib's gz API reads a
/// plain file transparently), or of the bytes of such a file already in memory (not decompressed). It tracks the byte offset in the (decompressed) stream so every error can
/// name it, and it never allocates more than the data actually present: a header that announces an
/// absurd size fails with `.truncated` after reading what exists, not with a huge allocation.
final class DatasetFileReader {
    /// The path, as given (used in error messages).
    let path: String
    /// Bytes consumed so far from the decompressed stream.
    private(set) var offset = 0
    /// Whether the file is gzip-compressed.
    let isCompressed: Bool
    /// The size of the file on disk.
    let sizeOnDisk: Int
    /// The open file, or nil when reading from ``memory``.
    private let handle: gzFile?
    /// The bytes being read when the reader was created from memory.
    private let memory: [UInt8]?
    private var scratch = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 0)
    private static let chunk = 1 << 20

    /// Opens `path` for reading.
    init(path: String) throws(DatasetError) {
        self.path = path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .cannotOpen(file: path, reason: "no such file")
        }
        guard !isDirectory.boolValue else { throw .cannotOpen(file: path, reason: "it is a directory") }
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        sizeOnDisk = (attributes?[.size] as? NSNumber)?.intValue ?? 0
        guard let handle = gzopen(path, "rb") else {
            throw .cannotOpen(file: path, reason: String(cString: strerror(errno)))
        }
        self.handle = handle
        memory = nil
        gzbuffer(handle, 1 << 17)
        isCompressed = gzdirect(handle) == 0
    }

    /// Reads `bytes` (the uncompressed content of a file) from memory; `name` stands for the path
    /// in error messages.
    init(bytes: [UInt8], name: String) {
        path = name
        memory = bytes
        handle = nil
        isCompressed = false
        sizeOnDisk = bytes.count
    }

    deinit {
        if let handle { gzclose(handle) }
        scratch.deallocate()
    }

    /// Reads exactly `count` bytes; `what` names them in the `.truncated` error.
    func read(_ count: Int, what: String) throws(DatasetError) -> [UInt8] {
        guard count >= 0 else { throw .invalidHeader(file: path, offset: offset, message: "negative size for \(what)") }
        if !isCompressed, count > sizeOnDisk - offset {
            throw .truncated(file: path, offset: sizeOnDisk, needed: count - (sizeOnDisk - offset), what: what)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(min(count, 1 << 24))
        while bytes.count < count {
            let want = min(Self.chunk, count - bytes.count)
            let got = try readChunk(into: &bytes, upTo: want)
            if got < want {
                throw .truncated(file: path, offset: offset, needed: count - bytes.count, what: what)
            }
        }
        return bytes
    }

    /// Reads everything that is left.
    func readToEnd() throws(DatasetError) -> [UInt8] {
        var bytes: [UInt8] = []
        if !isCompressed { bytes.reserveCapacity(max(0, sizeOnDisk - offset)) }
        while try readChunk(into: &bytes, upTo: Self.chunk) == Self.chunk {}
        return bytes
    }

    /// Reads a big-endian unsigned 32-bit integer.
    func readBigEndianUInt32(what: String) throws(DatasetError) -> UInt32 {
        let b = try read(4, what: what)
        return UInt32(b[0]) << 24 | UInt32(b[1]) << 16 | UInt32(b[2]) << 8 | UInt32(b[3])
    }

    /// Throws `.trailingData` if any byte is left.
    func expectEnd() throws(DatasetError) {
        var probe: [UInt8] = []
        let start = offset
        if try readChunk(into: &probe, upTo: 1) > 0 { throw .trailingData(file: path, offset: start) }
    }

    /// Appends up to `limit` bytes to `bytes`; returns how many were read (fewer only at the end).
    private func readChunk(into bytes: inout [UInt8], upTo limit: Int) throws(DatasetError) -> Int {
        guard let handle else {
            let source = memory ?? []
            let filled = min(limit, source.count - offset)
            bytes.append(contentsOf: source[offset ..< offset + filled])
            offset += filled
            return filled
        }
        if scratch.count < limit {
            scratch.deallocate()
            scratch = .allocate(capacity: limit)
        }
        var filled = 0
        while filled < limit {
            let n = gzread(handle, scratch.baseAddress! + filled, UInt32(limit - filled))
            if n < 0 {
                var code: Int32 = 0
                var message = String(cString: gzerror(handle, &code))
                if message.hasPrefix(path + ": ") { message.removeFirst(path.count + 2) }
                throw .corruptCompressedData(file: path, offset: offset + filled, reason: message)
            }
            if n == 0 { break }
            filled += Int(n)
        }
        bytes.append(contentsOf: UnsafeBufferPointer(rebasing: scratch[0 ..< filled]))
        offset += filled
        return filled
    }
}

/// zlib helpers: CRC-32, one-shot inflate of a zlib stream, and writing gzip files.
public enum Zlib {
    /// The CRC-32 (IEEE 802.3, as zlib and PNG compute it) of `bytes`.
    public static func crc32(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBufferPointer { buffer in
            UInt32(CDelveZlib.crc32(0, buffer.baseAddress, UInt32(buffer.count)))
        }
    }

    /// Inflates a zlib stream whose decompressed length is known to be `expectedCount` bytes.
    /// `name` is used in error messages.
    static func inflate(_ compressed: [UInt8], expectedCount: Int, name: String) throws(DatasetError) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: expectedCount)
        var outLength = uLongf(expectedCount)
        let status = output.withUnsafeMutableBufferPointer { out in
            compressed.withUnsafeBufferPointer { input in
                uncompress(out.baseAddress, &outLength, input.baseAddress, uLong(input.count))
            }
        }
        guard status == Z_OK else {
            let reason = status == Z_DATA_ERROR ? "invalid deflate data"
                : status == Z_BUF_ERROR ? "stream longer than announced or incomplete" : "zlib error \(status)"
            throw .corruptCompressedData(file: name, offset: Int(outLength), reason: reason)
        }
        guard Int(outLength) == expectedCount else {
            throw .truncated(file: name, offset: Int(outLength), needed: expectedCount - Int(outLength), what: "the payload")
        }
        return output
    }

    /// Writes `bytes` to `path` as a gzip file (used to prepare `.gz` datasets and in tests).
    public static func writeGzip(_ bytes: [UInt8], to path: String) throws(DatasetError) {
        guard let file = gzopen(path, "wb") else {
            throw .cannotOpen(file: path, reason: String(cString: strerror(errno)))
        }
        var offset = 0
        while offset < bytes.count {
            let n = min(1 << 20, bytes.count - offset)
            let written = bytes.withUnsafeBufferPointer { gzwrite(file, $0.baseAddress! + offset, UInt32(n)) }
            guard written == Int32(n) else {
                gzclose(file)
                throw .cannotOpen(file: path, reason: "write failed at byte offset \(offset)")
            }
            offset += n
        }
        guard gzclose(file) == Z_OK else { throw .cannotOpen(file: path, reason: "closing failed") }
    }
}
