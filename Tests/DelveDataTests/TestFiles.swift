import Foundation
@testable import DelveData

/// A fresh temporary directory for one test, removed when the value is released.
final class TemporaryDirectory {
    let path: String
    init() {
        path = (NSTemporaryDirectory() as NSString).appendingPathComponent("delvedata-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `bytes` to `name` and returns the full path.
    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) -> String {
        let file = (path as NSString).appendingPathComponent(name)
        // A test fixture that cannot be written is a broken test environment, not a test result.
        guard FileManager.default.createFile(atPath: file, contents: Data(bytes)) else {
            fatalError("could not write the test file \(file)")
        }
        return file
    }

    /// Writes `text` to `name` and returns the full path.
    @discardableResult
    func write(_ name: String, text: String) -> String { write(name, Array(text.utf8)) }

    func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }
}

/// Big-endian bytes of a 32-bit integer.
func bigEndian(_ value: UInt32) -> [UInt8] {
    [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
}

/// An IDX images file with `count` images of rows×columns whose pixel k of image i is (i * 7 + k) % 256.
func idxImages(count: Int, rows: Int, columns: Int, magic: UInt32 = 0x803) -> [UInt8] {
    var bytes = bigEndian(magic) + bigEndian(UInt32(count)) + bigEndian(UInt32(rows)) + bigEndian(UInt32(columns))
    for i in 0 ..< count {
        for k in 0 ..< rows * columns { bytes.append(UInt8((i * 7 + k) % 256)) }
    }
    return bytes
}

/// An IDX labels file.
func idxLabels(_ labels: [UInt8], magic: UInt32 = 0x801) -> [UInt8] {
    bigEndian(magic) + bigEndian(UInt32(labels.count)) + labels
}
