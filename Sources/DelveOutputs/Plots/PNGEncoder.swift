import Delve
import CDelveZlib
import Foundation

/// Encodes a ``RasterImage`` as a PNG file (8-bit truecolour, no interlace): signature, `IHDR`, one
/// `IDAT` with the zlib-compressed scanlines (each prefixed by filter byte 0), `IEND`; every chunk
/// carries the CRC-32 of its type and data (zlib's `crc32`).
public enum PNGEncoder {
    /// The eight-byte PNG signature.
    public static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Why an image could not be encoded.
    public struct EncodingError: Error, CustomStringConvertible, Equatable {
        /// What went wrong.
        public let message: String
        public var description: String { message }
    }

    /// The PNG bytes of `image`.
    public static func encode(_ image: RasterImage) throws(EncodingError) -> [UInt8] {
        guard image.width > 0, image.height > 0, image.pixels.count == image.width * image.height * 3 else {
            throw EncodingError(message: "PNG: image of \(image.width)×\(image.height) needs width, height > 0 and 3 bytes per pixel")
        }
        let rowBytes = image.width * 3
        var raw = [UInt8](repeating: 0, count: image.height * (rowBytes + 1))
        for y in 0..<image.height {
            let start = y * (rowBytes + 1) + 1
            raw.replaceSubrange(start..<start + rowBytes, with: image.pixels[y * rowBytes..<(y + 1) * rowBytes])
        }
        var capacity = compressBound(uLong(raw.count))
        var compressed = [UInt8](repeating: 0, count: Int(capacity))
        let status = compress2(&compressed, &capacity, raw, uLong(raw.count), 6)  // zlib's default level: 9 costs twice the time for ~2 % smaller plots
        guard status == Z_OK else { throw EncodingError(message: "PNG: zlib compress2 failed with status \(status)") }
        compressed.removeSubrange(Int(capacity)...)

        var header: [UInt8] = []
        header += bigEndian(UInt32(image.width))
        header += bigEndian(UInt32(image.height))
        header += [8, 2, 0, 0, 0]  // bit depth 8, colour type 2 (RGB), deflate, filter method 0, no interlace
        var out = signature
        out += chunk("IHDR", header)
        out += chunk("IDAT", compressed)
        out += chunk("IEND", [])
        return out
    }

    /// A chunk: length, type, data, CRC-32 of type and data.
    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typeBytes = Array(type.utf8)
        return bigEndian(UInt32(data.count)) + typeBytes + data + bigEndian(crc32(typeBytes + data))
    }

    /// zlib's CRC-32 of `bytes`.
    public static func crc32(_ bytes: [UInt8]) -> UInt32 {
        UInt32(CDelveZlib.crc32(0, bytes, uInt(bytes.count)))
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }
}
