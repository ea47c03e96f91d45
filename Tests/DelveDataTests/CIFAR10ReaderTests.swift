import Foundation
import Testing
@testable import DelveData

@Suite("CIFAR-10 reader")
struct CIFAR10ReaderTests {
    /// `count` records; record r has label `labels[r]` and pixel k = (r + 3k) % 256.
    func records(_ labels: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = []
        for (r, label) in labels.enumerated() {
            bytes.append(label)
            for k in 0 ..< 3072 { bytes.append(UInt8((r + 3 * k) % 256)) }
        }
        return bytes
    }

    @Test func readsRecordsChannelMajor() throws {
        let dir = TemporaryDirectory()
        dir.write("data_batch_1.bin", records([3, 9]))
        try Zlib.writeGzip(records([0]), to: dir.file("data_batch_2.bin.gz"))
        dir.write("test_batch.bin", records([5]))
        let train = try CIFAR10.load(directory: dir.path, split: .train)
        #expect(train.sampleShape == [3, 32, 32])
        #expect(train.labels == [3, 9, 0])
        #expect(train.classNames?[3] == "cat")
        // Record 1, green plane (channel 1), row 0, column 2: k = 1024 + 2.
        #expect(train.sample(1)[train.sample(1).startIndex + 1026] == Float((1 + 3 * 1026) % 256))
        #expect(train.sample(2).first == 0)
        let test = try CIFAR10.load(directory: dir.path, split: .test)
        #expect(test.labels == [5])
    }

    @Test func sizeNotAMultipleOfARecordIsAnError() throws {
        let dir = TemporaryDirectory()
        let path = dir.write("data_batch_1.bin", Array(records([1, 2]).dropLast(10)))
        #expect(throws: DatasetError.truncated(file: path, offset: 6136, needed: 10, what: "record 1 (a CIFAR-10 batch is a multiple of 3073 bytes)")) {
            _ = try CIFAR10.load(files: [path])
        }
        let bad = dir.write("bad.bin", records([1, 10]))
        #expect(throws: DatasetError.invalidLabel(file: bad, offset: 3073, label: 10, classCount: 10)) {
            _ = try CIFAR10.load(files: [bad])
        }
        #expect(throws: DatasetError.self) { _ = try CIFAR10.load(directory: dir.path, split: .test) }
    }
}
