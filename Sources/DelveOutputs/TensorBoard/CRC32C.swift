import Delve

/// CRC-32C (Castagnoli polynomial 0x1EDC6F41, reflected 0x82F63B78), the checksum of TFRecord files.
public enum CRC32C {
    private static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 == 1 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
        return c
    }

    /// The CRC-32C of `bytes` (`checksum(Array("123456789".utf8)) == 0xE3069283`).
    public static func checksum<Bytes: Sequence>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return ~crc
    }

    /// The CRC-32C of raw bytes: the same value as the generic version, without per-element generic
    /// dispatch (for large buffers such as checkpoint files).
    public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        checksum(bytes, continuing: 0)
    }

    /// The CRC-32C of a longer stream whose first part had the CRC-32C `previous` and whose remaining
    /// bytes are `bytes`: `checksum(b, continuing: checksum(a)) == checksum(a + b)` (0 for an empty start).
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing previous: UInt32) -> UInt32 {
        var crc: UInt32 = ~previous
        table.withUnsafeBufferPointer { table in
            for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        }
        return ~crc
    }

    /// TFRecord's masked form: `((crc >> 15) | (crc << 17)) + 0xa282ead8` (mod 2³²).
    public static func masked(_ crc: UInt32) -> UInt32 {
        ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
    }
}
