import Delve

/// TensorBoard's `Event` and `Summary` protocol-buffer messages, encoded by hand (field numbers of
/// tensorflow/core/util/event.proto and summary.proto), and the TFRecord framing of an event file.
public enum TensorBoardEvent {
    /// The `file_version` every event file starts with.
    public static let fileVersion = "brain.Event:2"

    /// One value of a `Summary`.
    public enum Value: Sendable, Equatable {
        /// `simple_value` (float), a scalar.
        case scalar(tag: String, value: Float)
        /// `image`: an encoded PNG of the given size (colorspace 3 = RGB).
        case image(tag: String, width: Int, height: Int, png: [UInt8])
        /// `histo`: a `HistogramProto` (bucket i counts values in (limit[i−1], limit[i]]).
        case histogram(tag: String, min: Double, max: Double, count: Double, sum: Double, sumSquares: Double, bucketLimits: [Double], buckets: [Double])
    }

    /// `Event { wall_time = 1; file_version = 3 }`.
    public static func fileVersionEvent(wallTime: Double) -> [UInt8] {
        var e = ProtobufEncoder()
        e.double(1, wallTime)
        e.string(3, fileVersion)
        return e.bytes
    }

    /// `Event { wall_time = 1; step = 2; summary = 5 { value = 1 ... } }`.
    public static func summaryEvent(wallTime: Double, step: Int64, values: [Value]) -> [UInt8] {
        var summary = ProtobufEncoder()
        for value in values { summary.lengthDelimited(1, encode(value)) }
        var e = ProtobufEncoder()
        e.double(1, wallTime)
        e.int(2, step)
        e.lengthDelimited(5, summary.bytes)
        return e.bytes
    }

    static func encode(_ value: Value) -> [UInt8] {
        var v = ProtobufEncoder()
        switch value {
        case .scalar(let tag, let number):
            v.string(1, tag)
            v.float(2, number)
        case .image(let tag, let width, let height, let png):
            var image = ProtobufEncoder()
            image.int(1, Int64(height))
            image.int(2, Int64(width))
            image.int(3, 3)
            image.lengthDelimited(4, png)
            v.string(1, tag)
            v.lengthDelimited(4, image.bytes)
        case .histogram(let tag, let min, let max, let count, let sum, let sumSquares, let limits, let buckets):
            var h = ProtobufEncoder()
            h.double(1, min)
            h.double(2, max)
            h.double(3, count)
            h.double(4, sum)
            h.double(5, sumSquares)
            h.packedDoubles(6, limits)
            h.packedDoubles(7, buckets)
            v.string(1, tag)
            v.lengthDelimited(5, h.bytes)
        }
        return v.bytes
    }

    /// A TFRecord: length (uint64 LE), masked CRC-32C of the length, data, masked CRC-32C of the data
    /// (both uint32 LE).
    public static func record(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(data.count + 16)
        withUnsafeBytes(of: UInt64(data.count).littleEndian) { out += $0 }
        let lengthCRC = CRC32C.masked(CRC32C.checksum(out))
        withUnsafeBytes(of: lengthCRC.littleEndian) { out += $0 }
        out += data
        withUnsafeBytes(of: CRC32C.masked(CRC32C.checksum(data)).littleEndian) { out += $0 }
        return out
    }

    /// A histogram of `values` with `bucketCount` equal-width buckets between their minimum and maximum
    /// (non-finite values are left out; an empty input gives nil).
    public static func histogram(tag: String, values: [Double], bucketCount: Int = 30) -> Value? {
        let finite = values.filter(\.isFinite)
        guard let lo = finite.min(), let hi = finite.max() else { return nil }
        let n = hi > lo ? max(1, bucketCount) : 1
        let width = (hi - lo) / Double(n)
        let limits = (0..<n).map { $0 == n - 1 ? hi : lo + Double($0 + 1) * width }
        var counts = [Double](repeating: 0, count: n)
        for v in finite {
            let i = width > 0 ? min(n - 1, max(0, Int(((v - lo) / width).rounded(.up)) - 1)) : 0
            counts[i] += 1
        }
        return .histogram(tag: tag, min: lo, max: hi, count: Double(finite.count), sum: finite.reduce(0, +),
                          sumSquares: finite.reduce(0) { $0 + $1 * $1 }, bucketLimits: limits, buckets: counts)
    }
}
