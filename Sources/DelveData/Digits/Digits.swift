import Foundation

/// The embedded UCI optical-digits data set: 1797 handwritten digits as 8×8 images with values 0...16
/// and labels 0...9 (UCI ML "Optical Recognition of Handwritten Digits", test part, by E. Alpaydin and
/// C. Kaynak, CC BY 4.0, https://doi.org/10.24432/C50P49).
///
/// The data ship as the resource `Resources/digits.bin` (47 KB), produced once by
/// `scripts/make-digits.py`: a 32-byte little-endian header (magic `DLVDIGT1`, count, height, width,
/// maximum value, class count, CRC-32 and lengths of the payload) followed by a zlib stream of
/// 4-bit packed pixels, a bit mask of the pixels equal to 16, and one label byte per image.
public enum Digits {
    /// The number of images.
    public static let count = 1797
    /// The side of the square images.
    public static let side = 8
    /// The number of classes (the digits 0...9).
    public static let classCount = 10
    /// The resource file name.
    public static let resourceName = "digits.bin"
    /// The magic bytes at the start of the resource.
    static let magic = Array("DLVDIGT1".utf8)

    /// Loads all 1797 images (shape `[1, 8, 8]`, raw values 0...16, `valueRange` 0...16).
    public static func load() throws(DatasetError) -> LabeledImages {
        guard let url = resourceURL(), let data = FileManager.default.contents(atPath: url.path) else {
            throw .resourceMissing(name: resourceName)
        }
        return try decode([UInt8](data), name: resourceName)
    }

    /// Where `digits.bin` is: in the resource bundle next to the executable (through `Bundle.module`,
    /// only once that bundle is known to exist, because its accessor stops the process when it finds
    /// none), else in this source tree (a build run in place), else nowhere.
    static func resourceURL() -> URL? {
        let bundleName = "delve-swift_DelveData.resources"
        let besideExecutable = Bundle.main.bundleURL.appendingPathComponent(bundleName)
        if FileManager.default.fileExists(atPath: besideExecutable.path),
           let url = Bundle.module.url(forResource: "digits", withExtension: "bin", subdirectory: "Resources"),
           FileManager.default.fileExists(atPath: url.path) {
            return url
        }
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Resources").appendingPathComponent(resourceName)
        return FileManager.default.fileExists(atPath: source.path) ? source : nil
    }

    /// The fixed stratified split used throughout Delve: 80 % train / 20 % test per class (see
    /// `LabeledImages.stratifiedSplit`: the 5th, 10th, … image of every class is a test image), giving
    /// 1442 training and 355 test images.
    public static func split() throws(DatasetError) -> (train: LabeledImages, test: LabeledImages) {
        try load().stratifiedSplit(testFraction: 0.2)
    }

    /// Decodes the binary format written by `scripts/make-digits.py`; `name` is used in errors.
    public static func decode(_ bytes: [UInt8], name: String) throws(DatasetError) -> LabeledImages {
        let headerSize = 32
        guard bytes.count >= headerSize else {
            throw .truncated(file: name, offset: bytes.count, needed: headerSize - bytes.count, what: "the header")
        }
        guard Array(bytes[0 ..< 8]) == magic else {
            throw .badMagic(file: name, offset: 0, expected: 0x444C_5644, found: bigEndian32(bytes, 0))
        }
        let n = Int(little32(bytes, 8))
        let height = Int(little16(bytes, 12)), width = Int(little16(bytes, 14))
        let maxValue = Int(bytes[16]), classes = Int(bytes[17])
        let crc = little32(bytes, 20)
        let payloadLength = Int(little32(bytes, 24)), compressedLength = Int(little32(bytes, 28))
        guard height == side, width == side, maxValue == 16, classes == classCount, n > 0, n <= 1 << 20 else {
            throw .invalidHeader(file: name, offset: 8, message: "expected 8×8 images with values 0...16 and 10 classes, got \(n) images of \(height)×\(width), max \(maxValue), \(classes) classes")
        }
        let pixelCount = side * side
        guard payloadLength == n * (pixelCount / 2 + pixelCount / 8 + 1) else {
            throw .invalidHeader(file: name, offset: 24, message: "payload length \(payloadLength) does not match \(n) images")
        }
        guard bytes.count - headerSize >= compressedLength else {
            throw .truncated(file: name, offset: bytes.count, needed: compressedLength - (bytes.count - headerSize), what: "the compressed payload")
        }
        guard bytes.count - headerSize == compressedLength else {
            throw .trailingData(file: name, offset: headerSize + compressedLength)
        }
        let payload = try Zlib.inflate(Array(bytes[headerSize...]), expectedCount: payloadLength, name: name)
        let found = Zlib.crc32(payload)
        guard found == crc else { throw .checksumMismatch(file: name, expected: crc, found: found) }

        let nibbleBytes = n * pixelCount / 2, maskBytes = n * pixelCount / 8
        var pixels = [Float](repeating: 0, count: n * pixelCount)
        for p in 0 ..< n * pixelCount {
            let byte = payload[p / 2]
            var value = p % 2 == 0 ? byte >> 4 : byte & 0x0F
            if payload[nibbleBytes + p / 8] & (0x80 >> UInt8(p % 8)) != 0 { value = 16 }
            pixels[p] = Float(value)
        }
        var labels = [Int]()
        labels.reserveCapacity(n)
        for i in 0 ..< n {
            let label = Int(payload[nibbleBytes + maskBytes + i])
            guard label < classCount else {
                throw .invalidLabel(file: name, offset: nibbleBytes + maskBytes + i, label: label, classCount: classCount)
            }
            labels.append(label)
        }
        return try LabeledImages(
            sampleShape: [1, side, side], pixels: pixels, labels: labels, classCount: classCount,
            classNames: (0 ..< 10).map(String.init), valueRange: 0 ... 16)
    }

    private static func little32(_ b: [UInt8], _ i: Int) -> UInt32 {
        UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24
    }
    private static func little16(_ b: [UInt8], _ i: Int) -> UInt16 { UInt16(b[i]) | UInt16(b[i + 1]) << 8 }
    private static func bigEndian32(_ b: [UInt8], _ i: Int) -> UInt32 {
        UInt32(b[i]) << 24 | UInt32(b[i + 1]) << 16 | UInt32(b[i + 2]) << 8 | UInt32(b[i + 3])
    }
}
