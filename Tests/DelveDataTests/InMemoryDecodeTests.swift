import Foundation
import Testing
@testable import DelveData

/// The in-memory decoders the fuzz targets call (`MNIST.decodeImages/decodeLabels`,
/// `CIFAR10.decode`, `CSVDataset.decode`) give what the file readers give, and fail the same way.
@Suite("Dataset readers from bytes in memory")
struct InMemoryDecodeTests {
    @Test func idxFromMemoryEqualsFromFile() throws {
        let dir = TemporaryDirectory()
        let imageBytes = idxImages(count: 3, rows: 2, columns: 4)
        let labelBytes = idxLabels([7, 0, 9])
        let fromFile = try MNIST.readImages(dir.write("img", imageBytes))
        let fromMemory = try MNIST.decodeImages(imageBytes)
        #expect(fromMemory.count == 3 && fromMemory.rows == 2 && fromMemory.columns == 4)
        #expect(fromMemory.pixels == fromFile.pixels)
        #expect(try MNIST.decodeLabels(labelBytes) == [7, 0, 9])
        // Truncated and trailing data name the buffer and the offset, as for a file.
        #expect(throws: DatasetError.truncated(file: "m", offset: 39, needed: 1, what: "3 images of 2×4 pixels")) {
            _ = try MNIST.decodeImages(Array(imageBytes.dropLast()), name: "m")
        }
        #expect(throws: DatasetError.trailingData(file: "<memory>", offset: 11)) { _ = try MNIST.decodeLabels(labelBytes + [1]) }
        // A header claiming 100 million images of 4096×4096 is rejected from the buffer size.
        let huge = bigEndian(0x803) + bigEndian(100_000_000) + bigEndian(4096) + bigEndian(4096)
        #expect(throws: DatasetError.self) { _ = try MNIST.decodeImages(huge) }
    }

    @Test func cifarFromMemory() throws {
        var bytes: [UInt8] = [4]
        bytes += (0 ..< 3072).map { UInt8($0 % 256) }
        let dataset = try CIFAR10.decode(bytes)
        #expect(dataset.labels == [4] && dataset.sampleShape == [3, 32, 32])
        #expect(dataset.pixels[1025] == 1)
        #expect(throws: DatasetError.self) { _ = try CIFAR10.decode([]) }
        #expect(throws: DatasetError.invalidLabel(file: "<memory>", offset: 0, label: 10, classCount: 10)) {
            _ = try CIFAR10.decode([10] + bytes.dropFirst())
        }
    }

    @Test func csvFromMemory() throws {
        let text = "a;b;label\n1;2;cat\n3.5;-4;dog\r\n"
        let options = CSVDataset.Options(delimiter: ";")
        let fromMemory = try CSVDataset.decode(Array(text.utf8), options: options)
        let dir = TemporaryDirectory()
        let fromFile = try CSVDataset.load(dir.write("t.csv", text: text), options: options)
        #expect(fromMemory == fromFile)
        #expect(fromMemory.pixels == [1, 2, 3.5, -4] && fromMemory.classNames == ["cat", "dog"])
        #expect(throws: DatasetError.csvBadCell(file: "x.csv", line: 2, column: 1, text: "nan")) {
            _ = try CSVDataset.decode(Array("a,label\nnan,1\n".utf8), name: "x.csv")
        }
    }
}
