import Foundation

/// Helpers shared by the `.npy` and layout tests.
enum NPYTestSupport {
    /// A fresh empty directory under the system's temporary directory.
    static func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "delve-npy-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Writes raw bytes to a file.
    static func writeBytes(_ bytes: [UInt8], to path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// Reads a file's raw bytes.
    static func readBytes(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// A header built by hand: magic, version, little-endian length, then `dictionary` padded to 64.
    static func header(dictionary: String, major: UInt8 = 1, minor: UInt8 = 0, claimedLength: Int? = nil) -> [UInt8] {
        var text = Array(dictionary.utf8)
        let prefix = major == 1 ? 10 : 12
        while (prefix + text.count + 1) % 64 != 0 { text.append(0x20) }
        text.append(0x0A)
        let length = claimedLength ?? text.count
        var bytes: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, major, minor]
        let lengthBytes = major == 1 ? 2 : 4
        for i in 0..<lengthBytes { bytes.append(UInt8((length >> (8 * i)) & 0xFF)) }
        return bytes + text
    }
}

/// Decodes a hexadecimal string (two digits per byte) into bytes.
func hexBytes(_ hex: String) -> [UInt8] {
    var bytes: [UInt8] = []
    var high: UInt8?
    for scalar in hex.unicodeScalars {
        guard let nibble = UInt8(String(scalar), radix: 16) else { continue }
        if let h = high { bytes.append(h << 4 | nibble); high = nil } else { high = nibble }
    }
    return bytes
}
