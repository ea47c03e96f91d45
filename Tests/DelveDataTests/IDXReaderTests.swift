import Foundation
import Testing
@testable import DelveData

@Suite("MNIST IDX reader")
struct IDXReaderTests {
    @Test func readsPlainAndGzipFilesIdentically() throws {
        let dir = TemporaryDirectory()
        let imageBytes = idxImages(count: 3, rows: 2, columns: 4)
        let labelBytes = idxLabels([7, 0, 9])
        let images = dir.write("train-images-idx3-ubyte", imageBytes)
        let labels = dir.write("train-labels-idx1-ubyte", labelBytes)
        let plain = try MNIST.load(images: images, labels: labels)
        #expect(plain.sampleShape == [1, 2, 4])
        #expect(plain.count == 3)
        #expect(plain.labels == [7, 0, 9])
        #expect(plain.classCount == 10)
        #expect(plain.valueRange == 0 ... 255)
        // Pixel k of image i is (i*7 + k) % 256.
        #expect(Array(plain.sample(2)) == (0 ..< 8).map { Float(14 + $0) })

        let gzDir = TemporaryDirectory()
        try Zlib.writeGzip(imageBytes, to: gzDir.file("t10k-images-idx3-ubyte.gz"))
        try Zlib.writeGzip(labelBytes, to: gzDir.file("t10k-labels-idx1-ubyte.gz"))
        let compressedSize = try FileManager.default.attributesOfItem(atPath: gzDir.file("t10k-images-idx3-ubyte.gz"))[.size] as? Int
        #expect(compressedSize != imageBytes.count)  // really compressed
        let compressed = try MNIST.load(directory: gzDir.path, split: .test)
        #expect(compressed == plain)
        let byDirectory = try MNIST.load(directory: dir.path, split: .train, classNames: MNIST.fashionClassNames)
        #expect(byDirectory.classNames?[9] == "Ankle boot")
        #expect(byDirectory.pixels == plain.pixels)
    }

    @Test func badMagicNamesFileAndOffset() throws {
        let dir = TemporaryDirectory()
        let images = dir.write("img", idxImages(count: 1, rows: 2, columns: 2, magic: 0x801))
        #expect(throws: DatasetError.badMagic(file: images, offset: 0, expected: 0x803, found: 0x801)) {
            _ = try MNIST.readImages(images)
        }
        let labels = dir.write("lab", idxLabels([1], magic: 0x803))
        #expect(throws: DatasetError.badMagic(file: labels, offset: 0, expected: 0x801, found: 0x803)) {
            _ = try MNIST.readLabels(labels)
        }
    }

    @Test func truncatedPayloadReportsOffset() throws {
        let dir = TemporaryDirectory()
        let full = idxImages(count: 2, rows: 3, columns: 3)  // 16 + 18 bytes
        let path = dir.write("img", Array(full.dropLast(5)))
        #expect(throws: DatasetError.truncated(file: path, offset: 29, needed: 5, what: "2 images of 3×3 pixels")) {
            _ = try MNIST.readImages(path)
        }
        // The same truncation inside a gzip stream is found while inflating.
        let gz = dir.file("img.gz")
        try Zlib.writeGzip(Array(full.dropLast(5)), to: gz)
        #expect(throws: DatasetError.truncated(file: gz, offset: 29, needed: 5, what: "2 images of 3×3 pixels")) {
            _ = try MNIST.readImages(gz)
        }
        // A header cut short.
        let short = dir.write("short", Array(full.prefix(6)))
        #expect(throws: DatasetError.truncated(file: short, offset: 6, needed: 2, what: "the image count")) {
            _ = try MNIST.readImages(short)
        }
    }

    @Test func damagedGzipStreamIsReported() throws {
        let dir = TemporaryDirectory()
        let gz = dir.file("img.gz")
        try Zlib.writeGzip(idxImages(count: 50, rows: 8, columns: 8), to: gz)
        var bytes = [UInt8](FileManager.default.contents(atPath: gz)!)
        // Cut the compressed stream in the middle: the reader must stop with an error, not return garbage.
        bytes = Array(bytes.prefix(bytes.count / 2))
        let cut = dir.write("cut.gz", bytes)
        let cutError = #expect(throws: DatasetError.self) { _ = try MNIST.readImages(cut) }
        if case let .truncated(file, offset, needed, _) = cutError {
            #expect(file == cut && offset < 16 + 50 * 64 && offset + needed == 16 + 50 * 64)
        } else {
            Issue.record("expected .truncated, got \(String(describing: cutError))")
        }
        // Flip bytes in the deflate data.
        var damaged = [UInt8](FileManager.default.contents(atPath: gz)!)
        for i in 20 ..< 40 { damaged[i] ^= 0x5A }
        let bad = dir.write("bad.gz", damaged)
        let badError = #expect(throws: DatasetError.self) { _ = try MNIST.readImages(bad) }
        guard case .corruptCompressedData(let file, _, let reason) = badError, file == bad, !reason.contains(bad) else {
            Issue.record("expected .corruptCompressedData, got \(String(describing: badError))")
            return
        }
    }

    @Test func absurdHeaderFailsWithoutHugeAllocation() throws {
        let dir = TemporaryDirectory()
        // 100 million images of 4096×4096 would overflow or need petabytes; the file holds 16 bytes.
        let huge = dir.write("huge", bigEndian(0x803) + bigEndian(100_000_000) + bigEndian(4096) + bigEndian(4096))
        #expect(throws: DatasetError.truncated(file: huge, offset: 16, needed: 100_000_000 * 4096 * 4096, what: "100000000 images of 4096×4096 pixels")) {
            _ = try MNIST.readImages(huge)
        }
        // The same through gzip, where the size on disk tells nothing: reading stops at the real end.
        let gz = dir.file("huge.gz")
        try Zlib.writeGzip(bigEndian(0x803) + bigEndian(50_000_000) + bigEndian(1000) + bigEndian(1000) + [1, 2, 3], to: gz)
        #expect(throws: DatasetError.truncated(file: gz, offset: 19, needed: 50_000_000 * 1_000_000 - 3, what: "50000000 images of 1000×1000 pixels")) {
            _ = try MNIST.readImages(gz)
        }
        let tooMany = dir.write("many", bigEndian(0x803) + bigEndian(0xFFFF_FFFF) + bigEndian(28) + bigEndian(28))
        #expect(throws: DatasetError.invalidHeader(file: tooMany, offset: 4, message: "image count 4294967295 exceeds 100000000")) {
            _ = try MNIST.readImages(tooMany)
        }
        let zeroRows = dir.write("zero", bigEndian(0x803) + bigEndian(1) + bigEndian(0) + bigEndian(28))
        #expect(throws: DatasetError.self) { _ = try MNIST.readImages(zeroRows) }
    }

    @Test func countMismatchAndBadLabel() throws {
        let dir = TemporaryDirectory()
        let images = dir.write("img", idxImages(count: 3, rows: 2, columns: 2))
        let labels = dir.write("lab", idxLabels([1, 2]))
        #expect(throws: DatasetError.countMismatch(imagesFile: images, images: 3, labelsFile: labels, labels: 2)) {
            _ = try MNIST.load(images: images, labels: labels)
        }
        let badLabels = dir.write("bad", idxLabels([1, 12, 3]))
        #expect(throws: DatasetError.invalidLabel(file: badLabels, offset: 9, label: 12, classCount: 10)) {
            _ = try MNIST.load(images: images, labels: badLabels)
        }
        let trailing = dir.write("trail", idxLabels([1, 2, 3]) + [0])
        #expect(throws: DatasetError.trailingData(file: trailing, offset: 11)) { _ = try MNIST.readLabels(trailing) }
        #expect(throws: DatasetError.self) { _ = try MNIST.load(directory: dir.path, split: .train) }
        let missing = dir.file("nothing")
        #expect(throws: DatasetError.cannotOpen(file: missing, reason: "no such file")) { _ = try MNIST.readLabels(missing) }
    }
}
