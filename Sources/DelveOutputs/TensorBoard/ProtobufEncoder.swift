import Delve

/// A minimal protocol-buffers wire-format encoder (proto3 conventions: zero scalars are omitted), enough
/// for TensorBoard's `Event` and `Summary` messages.
public struct ProtobufEncoder: Sendable {
    /// The bytes encoded so far.
    public private(set) var bytes: [UInt8] = []

    /// An empty message.
    public init() {}

    /// Appends `value` as a base-128 varint.
    public mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func key(_ field: Int, _ wireType: UInt64) {
        varint(UInt64(field) << 3 | wireType)
    }

    /// A `double` field (wire type 1); omitted when 0.
    public mutating func double(_ field: Int, _ value: Double) {
        guard value != 0 || value.sign == .minus else { return }
        key(field, 1)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 }
    }

    /// A `float` field (wire type 5); omitted when 0.
    public mutating func float(_ field: Int, _ value: Float) {
        guard value != 0 || value.sign == .minus else { return }
        key(field, 5)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 }
    }

    /// An `int64`/`int32` field (wire type 0, two's complement); omitted when 0.
    public mutating func int(_ field: Int, _ value: Int64) {
        guard value != 0 else { return }
        key(field, 0)
        varint(UInt64(bitPattern: value))
    }

    /// A `bytes` or embedded-message field (wire type 2).
    public mutating func lengthDelimited(_ field: Int, _ data: [UInt8]) {
        key(field, 2)
        varint(UInt64(data.count))
        bytes += data
    }

    /// A `string` field; omitted when empty.
    public mutating func string(_ field: Int, _ text: String) {
        guard !text.isEmpty else { return }
        lengthDelimited(field, Array(text.utf8))
    }

    /// A packed `repeated double` field; omitted when empty.
    public mutating func packedDoubles(_ field: Int, _ values: [Double]) {
        guard !values.isEmpty else { return }
        var data: [UInt8] = []
        data.reserveCapacity(values.count * 8)
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { data += $0 } }
        lengthDelimited(field, data)
    }
}
