import Foundation

/// Which part of a dataset distributed as separate training and test files to read.
public enum DatasetSplit: String, Sendable, CaseIterable {
    /// The training files (`train-*` for MNIST, `data_batch_*.bin` for CIFAR-10).
    case train
    /// The test files (`t10k-*` for MNIST, `test_batch.bin` for CIFAR-10).
    case test
}

/// Reader of MNIST and Fashion-MNIST, distributed as IDX files (plain or gzip-compressed):
/// `train-images-idx3-ubyte` (magic 0x00000803, then the big-endian 32-bit count, rows and columns,
/// then one unsigned byte per pixel) and `train-labels-idx1-ubyte` (magic 0x00000801, count, one byte
/// per label), and the same with `t10k-` for the test set.
public enum MNIST {
    /// Magic number of an IDX file of unsigned bytes with three dimensions (images).
    public static let imagesMagic: UInt32 = 0x0000_0803
    /// Magic number of an IDX file of unsigned bytes with one dimension (labels).
    public static let labelsMagic: UInt32 = 0x0000_0801
    /// The largest image side accepted (guards against absurd headers).
    public static let maximumSide = 4096
    /// The largest sample count accepted (guards against absurd headers).
    public static let maximumCount = 100_000_000
    /// Fashion-MNIST's class names, in label order.
    public static let fashionClassNames = [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ]

    /// Reads an images file and a labels file (each plain or `.gz`) into a dataset of shape
    /// `[1, rows, columns]` with raw values 0...255 and 10 classes.
    public static func load(images: String, labels: String, classNames: [String]? = nil) throws(DatasetError) -> LabeledImages {
        let (count, rows, columns, pixelBytes) = try readImages(images)
        let labelBytes = try readLabels(labels)
        guard labelBytes.count == count else {
            throw .countMismatch(imagesFile: images, images: count, labelsFile: labels, labels: labelBytes.count)
        }
        var labelValues = [Int]()
        labelValues.reserveCapacity(count)
        for (i, byte) in labelBytes.enumerated() {
            guard byte < 10 else { throw .invalidLabel(file: labels, offset: 8 + i, label: Int(byte), classCount: 10) }
            labelValues.append(Int(byte))
        }
        return try LabeledImages(
            sampleShape: [1, rows, columns], pixels: pixelBytes.map(Float.init), labels: labelValues,
            classCount: 10, classNames: classNames, valueRange: 0 ... 255)
    }

    /// Reads the standard file names from `directory`: `train-images-idx3-ubyte` and
    /// `train-labels-idx1-ubyte` (or `t10k-…` for `.test`), each also accepted with a `.gz` suffix or
    /// with `.idx3-ubyte` instead of `-idx3-ubyte`.
    public static func load(directory: String, split: DatasetSplit, classNames: [String]? = nil) throws(DatasetError) -> LabeledImages {
        let prefix = split == .train ? "train" : "t10k"
        let images = try findFile(in: directory, names: ["\(prefix)-images-idx3-ubyte", "\(prefix)-images.idx3-ubyte"])
        let labels = try findFile(in: directory, names: ["\(prefix)-labels-idx1-ubyte", "\(prefix)-labels.idx1-ubyte"])
        return try load(images: images, labels: labels, classNames: classNames)
    }

    /// Reads an IDX images file: returns the count, rows, columns and the pixel bytes.
    public static func readImages(_ path: String) throws(DatasetError) -> (count: Int, rows: Int, columns: Int, pixels: [UInt8]) {
        try readImages(from: DatasetFileReader(path: path))
    }

    /// Parses the bytes of an uncompressed IDX images file held in memory; `name` stands for the
    /// file in errors. Returns the count, rows, columns and the pixel bytes.
    public static func decodeImages(_ bytes: [UInt8], name: String = "<memory>") throws(DatasetError) -> (count: Int, rows: Int, columns: Int, pixels: [UInt8]) {
        try readImages(from: DatasetFileReader(bytes: bytes, name: name))
    }

    static func readImages(from reader: DatasetFileReader) throws(DatasetError) -> (count: Int, rows: Int, columns: Int, pixels: [UInt8]) {
        let path = reader.path
        let magic = try reader.readBigEndianUInt32(what: "the magic number")
        guard magic == imagesMagic else { throw .badMagic(file: path, offset: 0, expected: imagesMagic, found: magic) }
        let count = Int(try reader.readBigEndianUInt32(what: "the image count"))
        let rows = Int(try reader.readBigEndianUInt32(what: "the row count"))
        let columns = Int(try reader.readBigEndianUInt32(what: "the column count"))
        guard count <= maximumCount else {
            throw .invalidHeader(file: path, offset: 4, message: "image count \(count) exceeds \(maximumCount)")
        }
        guard (1 ... maximumSide).contains(rows), (1 ... maximumSide).contains(columns) else {
            throw .invalidHeader(file: path, offset: 8, message: "image size \(rows)×\(columns) is not within 1...\(maximumSide)")
        }
        let (total, overflow) = count.multipliedReportingOverflow(by: rows * columns)
        guard !overflow else { throw .invalidHeader(file: path, offset: 4, message: "\(count) images of \(rows)×\(columns) overflow") }
        let pixels = try reader.read(total, what: "\(count) images of \(rows)×\(columns) pixels")
        try reader.expectEnd()
        return (count, rows, columns, pixels)
    }

    /// Reads an IDX labels file: returns one byte per label.
    public static func readLabels(_ path: String) throws(DatasetError) -> [UInt8] {
        try readLabels(from: DatasetFileReader(path: path))
    }

    /// Parses the bytes of an uncompressed IDX labels file held in memory; `name` stands for the
    /// file in errors. Returns one byte per label.
    public static func decodeLabels(_ bytes: [UInt8], name: String = "<memory>") throws(DatasetError) -> [UInt8] {
        try readLabels(from: DatasetFileReader(bytes: bytes, name: name))
    }

    static func readLabels(from reader: DatasetFileReader) throws(DatasetError) -> [UInt8] {
        let path = reader.path
        let magic = try reader.readBigEndianUInt32(what: "the magic number")
        guard magic == labelsMagic else { throw .badMagic(file: path, offset: 0, expected: labelsMagic, found: magic) }
        let count = Int(try reader.readBigEndianUInt32(what: "the label count"))
        guard count <= maximumCount else {
            throw .invalidHeader(file: path, offset: 4, message: "label count \(count) exceeds \(maximumCount)")
        }
        let labels = try reader.read(count, what: "\(count) labels")
        try reader.expectEnd()
        return labels
    }

    /// The first of `names` (each tried as is and with `.gz`) that exists in `directory`.
    static func findFile(in directory: String, names: [String]) throws(DatasetError) -> String {
        for name in names {
            for candidate in [name, name + ".gz"] {
                let path = (directory as NSString).appendingPathComponent(candidate)
                if FileManager.default.fileExists(atPath: path) { return path }
            }
        }
        throw .cannotOpen(file: (directory as NSString).appendingPathComponent(names[0]), reason: "no such file (also tried \(names.dropFirst().joined(separator: ", ")) and .gz)")
    }
}
