import CDelveZlib
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The binary format of a saved ``CovarianceAccumulator`` (version 1), all integers and floats little-endian:
///
/// | offset | size | content |
/// |---|---|---|
/// | 0 | 8 | magic `DELVECOV` |
/// | 8 | 4 | format version (UInt32, 1) |
/// | 12 | 1 | precision (0 float64, 1 float32), then 3 zero bytes |
/// | 16 | 8 | n, observations (Int64 ≥ 0) |
/// | 24 | 8 | batches (Int64 ≥ 0) |
/// | 32 | 8 | D, features (Int64 ≥ 0) |
/// | 40 | 4 | name length L in bytes (UInt32) |
/// | 44 | L | name, UTF-8 |
/// | 44+L | 8·D | mean (Float64 bit patterns) |
/// | … | 8·D(D+1)/2 | co-moment upper triangle, row by row (Float64 bit patterns) |
/// | … | 4 | CRC-32 (zlib) of every byte before it |
enum CovarianceStateFormat {
    static let magic: [UInt8] = Array("DELVECOV".utf8)
    static let version = 1
    static let headerSize = 44

    /// The parsed content of a serialized state.
    struct State {
        var name: String
        var precision: AccumulationPrecision
        var count: Int
        var batches: Int
        var features: Int
        var mean: [Double]
        var upper: [Double]
    }

    static func crc(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return UInt32(crc32(0, nil, 0)) }
        var value = crc32(0, nil, 0)
        var offset = 0
        while offset < bytes.count {   // zlib takes 32-bit lengths
            let chunk = min(bytes.count - offset, 1 << 30)
            value = crc32(value, base.advanced(by: offset).assumingMemoryBound(to: Bytef.self), uInt(chunk))
            offset += chunk
        }
        return UInt32(value)
    }

    static func parse(_ bytes: [UInt8], source: String) throws(CovarianceError) -> State {
        func corrupt(_ reason: String) -> CovarianceError { .corrupt(source: source, reason: reason) }
        guard bytes.count >= 8, Array(bytes[0..<8]) == magic else {
            throw corrupt(bytes.count < 8 ? "truncated: only \(bytes.count) bytes" : "bad magic (expected 'DELVECOV')")
        }
        guard bytes.count >= headerSize + 4 else {
            throw corrupt("truncated: \(bytes.count) bytes, the header alone needs \(headerSize + 4)")
        }
        func u32(_ at: Int) -> UInt32 {
            (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[at + $1]) << (8 * UInt32($1)) }
        }
        func u64(_ at: Int) -> UInt64 {
            (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[at + $1]) << (8 * UInt64($1)) }
        }
        let version = Int(u32(8))
        guard version == Self.version else {
            throw .unsupportedVersion(source: source, found: version, supported: Self.version)
        }
        guard let precision = [AccumulationPrecision.float64, .float32][safe: Int(bytes[12])],
              bytes[13] == 0, bytes[14] == 0, bytes[15] == 0 else {
            throw corrupt("unknown precision code \(bytes[12])")
        }
        let count = Int(truncatingIfNeeded: u64(16))
        let batches = Int(truncatingIfNeeded: u64(24))
        let features = Int(truncatingIfNeeded: u64(32))
        guard count >= 0 else { throw corrupt("negative observation count \(count)") }
        guard batches >= 0 else { throw corrupt("negative batch count \(batches)") }
        guard features >= 0 else { throw corrupt("negative feature count \(features)") }
        let nameLength = Int(u32(40))
        // Expected total size, overflow-checked, before allocating anything of size D.
        let d = UInt64(features)
        let (dd, o1) = d.multipliedReportingOverflow(by: d + 1)
        let (values, o2) = (dd / 2).addingReportingOverflow(d)
        let (payload, o3) = values.multipliedReportingOverflow(by: 8)
        let (total, o4) = payload.addingReportingOverflow(UInt64(headerSize + nameLength + 4))
        guard !o1, !o2, !o3, !o4, total == UInt64(bytes.count) else {
            let need = (o1 || o2 || o3 || o4) ? "more bytes than exist" : "\(total) bytes"
            throw corrupt("header says D = \(features) features and a \(nameLength)-byte name, which needs \(need), "
                          + "but the data has \(bytes.count) bytes (truncated or damaged)")
        }
        let stored = u32(bytes.count - 4)
        let computed = bytes.withUnsafeBytes { crc(UnsafeRawBufferPointer(rebasing: $0[0..<(bytes.count - 4)])) }
        guard stored == computed else { throw corrupt("checksum mismatch (the data is damaged)") }
        guard let name = String(bytes: bytes[headerSize..<(headerSize + nameLength)], encoding: .utf8) else {
            throw corrupt("the layer name is not valid UTF-8")
        }
        var offset = headerSize + nameLength
        func doubles(_ k: Int) -> [Double] {
            var out = [Double](repeating: 0, count: k)
            for i in 0..<k { out[i] = Double(bitPattern: u64(offset + 8 * i)) }
            offset += 8 * k
            return out
        }
        let mean = doubles(features)
        let upper = doubles(features * (features + 1) / 2)
        guard mean.allSatisfy(\.isFinite), upper.allSatisfy(\.isFinite) else {
            throw corrupt("the mean or co-moment holds non-finite values")
        }
        return State(name: name, precision: precision, count: count, batches: batches, features: features,
                     mean: mean, upper: upper)
    }
}

extension Array {
    fileprivate subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}

extension CovarianceAccumulator {
    /// The accumulator's complete state as bytes (format version 1: magic `DELVECOV`, version, precision,
    /// n, batches, D, name, mean and the co-moment's upper triangle as float64 bit patterns, CRC-32).
    /// ``init(serialized:source:expectedFeatures:)`` restores it bit for bit.
    public func serialized() -> [UInt8] {
        locked {
            flushPending()
            let d = features
            let nameBytes = Array(name.utf8)
            var out: [UInt8] = []
            out.reserveCapacity(CovarianceStateFormat.headerSize + nameBytes.count + 8 * (d + d * (d + 1) / 2) + 4)
            func put<I: FixedWidthInteger>(_ v: I) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
            out.append(contentsOf: CovarianceStateFormat.magic)
            put(UInt32(CovarianceStateFormat.version))
            out.append(contentsOf: [precision == .float64 ? 0 : 1, 0, 0, 0])
            put(Int64(n))
            put(Int64(batches))
            put(Int64(d))
            put(UInt32(nameBytes.count))
            out.append(contentsOf: nameBytes)
            for j in 0..<d { put(meanState[j].bitPattern) }
            for i in 0..<d { for j in i..<d { put(moment[i * d + j].bitPattern) } }
            let checksum = out.withUnsafeBytes { CovarianceStateFormat.crc($0) }
            put(checksum)
            return out
        }
    }

    /// Restores an accumulator from ``serialized()`` bytes. `source` names them in errors (a file path).
    ///
    /// Throws on bad magic, an unknown version, truncation, a checksum mismatch, negative or absurd sizes
    /// (checked against the byte count before anything is allocated), and — when `expectedFeatures`
    /// is given — a different feature count.
    public convenience init(serialized bytes: [UInt8], source: String = "<memory>", expectedFeatures: Int? = nil)
        throws(CovarianceError)
    {
        let state = try CovarianceStateFormat.parse(bytes, source: source)
        if let expectedFeatures, expectedFeatures != state.features {
            throw .featureMismatch(layer: state.name, context: "saved state \(source)",
                                   expected: expectedFeatures, found: state.features)
        }
        self.init(features: state.features, name: state.name, precision: state.precision)
        let d = state.features
        n = state.count
        batches = state.batches
        for j in 0..<d { meanState[j] = state.mean[j] }
        var k = 0
        for i in 0..<d {
            for j in i..<d {
                moment[i * d + j] = state.upper[k]
                k += 1
            }
        }
        diagonalBound = .infinity   // the first check reads the diagonal
    }

    /// Saves ``serialized()`` to `path` atomically: it writes a temporary file next to it, then renames it.
    public func write(to path: String) throws(CovarianceError) {
        let bytes = serialized()
        let temporary = "\(path).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: temporary))
        } catch {
            throw .io(path: path, reason: "cannot write temporary file \(temporary): \(error.localizedDescription)")
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw .io(path: path, reason: "cannot rename \(temporary) into place: \(reason)")
        }
    }

    /// Loads an accumulator saved with ``write(to:)``; errors name `path`.
    public static func read(from path: String, expectedFeatures: Int? = nil) throws(CovarianceError)
        -> CovarianceAccumulator
    {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .io(path: path, reason: "cannot read: \(error.localizedDescription)")
        }
        return try CovarianceAccumulator(serialized: [UInt8](data), source: path, expectedFeatures: expectedFeatures)
    }
}
