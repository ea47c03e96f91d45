import Foundation

/// Reader of the CIFAR-10 binary version: each batch file (`data_batch_1.bin` … `data_batch_5.bin`,
/// `test_batch.bin`) is a sequence of 3073-byte records, one label byte 0...9 followed by the 32×32
/// red, then green, then blue plane (already channel-major, C×H×W). Plain or `.gz` files are accepted.
public enum CIFAR10 {
    /// The bytes of one record.
    public static let recordSize = 1 + 3 * 32 * 32
    /// CIFAR-10's class names, in label order.
    public static let classNames = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]

    /// Reads and concatenates the given batch files into a dataset of shape `[3, 32, 32]` with raw
    /// values 0...255.
    public static func load(files: [String]) throws(DatasetError) -> LabeledImages {
        guard !files.isEmpty else { throw .invalidArgument("CIFAR10.load: no batch files given") }
        var pixels = [Float]()
        var labels = [Int]()
        for file in files {
            try appendRecords(of: DatasetFileReader(path: file).readToEnd(), file: file, pixels: &pixels, labels: &labels)
        }
        return try LabeledImages(
            sampleShape: [3, 32, 32], pixels: pixels, labels: labels, classCount: 10,
            classNames: classNames, valueRange: 0 ... 255)
    }

    /// Parses the bytes of one uncompressed batch file held in memory into a dataset of shape
    /// `[3, 32, 32]`; `name` stands for the file in errors.
    public static func decode(_ bytes: [UInt8], name: String = "<memory>") throws(DatasetError) -> LabeledImages {
        var pixels = [Float]()
        var labels = [Int]()
        try appendRecords(of: bytes, file: name, pixels: &pixels, labels: &labels)
        return try LabeledImages(
            sampleShape: [3, 32, 32], pixels: pixels, labels: labels, classCount: 10,
            classNames: classNames, valueRange: 0 ... 255)
    }

    /// Checks that `bytes` is a whole number of records with labels 0...9 and appends their pixels
    /// and labels.
    static func appendRecords(of bytes: [UInt8], file: String, pixels: inout [Float], labels: inout [Int]) throws(DatasetError) {
        guard !bytes.isEmpty, bytes.count % recordSize == 0 else {
            let complete = bytes.count / recordSize
            throw .truncated(
                file: file, offset: bytes.count,
                needed: bytes.isEmpty ? recordSize : recordSize - bytes.count % recordSize,
                what: "record \(complete) (a CIFAR-10 batch is a multiple of \(recordSize) bytes)")
        }
        let records = bytes.count / recordSize
        pixels.reserveCapacity(pixels.count + records * (recordSize - 1))
        labels.reserveCapacity(labels.count + records)
        for record in 0 ..< records {
            let base = record * recordSize
            let label = Int(bytes[base])
            guard label < 10 else { throw .invalidLabel(file: file, offset: base, label: label, classCount: 10) }
            labels.append(label)
            for i in base + 1 ..< base + recordSize { pixels.append(Float(bytes[i])) }
        }
    }

    /// Reads the standard batch files of `split` from `directory` (or its `cifar-10-batches-bin`
    /// subdirectory): `data_batch_1.bin` … `data_batch_5.bin` for training (those present, at least
    /// one), `test_batch.bin` for test; each also accepted with `.gz`.
    public static func load(directory: String, split: DatasetSplit) throws(DatasetError) -> LabeledImages {
        let nested = (directory as NSString).appendingPathComponent("cifar-10-batches-bin")
        var isDirectory: ObjCBool = false
        let root = FileManager.default.fileExists(atPath: nested, isDirectory: &isDirectory) && isDirectory.boolValue ? nested : directory
        let names = split == .train ? (1 ... 5).map { "data_batch_\($0).bin" } : ["test_batch.bin"]
        let files = names.compactMap { name -> String? in
            for candidate in [name, name + ".gz"] {
                let path = (root as NSString).appendingPathComponent(candidate)
                if FileManager.default.fileExists(atPath: path) { return path }
            }
            return nil
        }
        guard !files.isEmpty else {
            throw .cannotOpen(file: (root as NSString).appendingPathComponent(names[0]), reason: "no such file (no CIFAR-10 \(split.rawValue) batch found)")
        }
        return try load(files: files)
    }
}
