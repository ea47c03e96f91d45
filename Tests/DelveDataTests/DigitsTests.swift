import Foundation
import Testing
@testable import DelveData

@Suite("Embedded digits")
struct DigitsTests {
    @Test func loadsAllImages() throws {
        let digits = try Digits.load()
        #expect(digits.count == 1797)
        #expect(digits.sampleShape == [1, 8, 8])
        #expect(digits.valueRange == 0 ... 16)
        // Known class sizes of the UCI optical-digits test part.
        #expect(digits.classCounts() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180])
        // First row of the CSV: 0,0,5,13,9,1,0,0,0,0,13,15,10,15,5,0,... label 0.
        #expect(Array(digits.sample(0).prefix(16)) == [0, 0, 5, 13, 9, 1, 0, 0, 0, 0, 13, 15, 10, 15, 5, 0])
        #expect(digits.labels.prefix(3) == [0, 1, 2])
        // Value 16 (not representable in a nibble) survives: the second image's row 1 has a 16.
        #expect(digits.sample(1).contains(16))
        #expect(digits.pixels.max() == 16 && digits.pixels.min() == 0)
    }

    @Test func resourceIsSmall() throws {
        let url = try #require(Digits.resourceURL())
        let size = try #require(try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int)
        #expect(size < 70_000)
    }

    @Test func corruptResourceIsRejected() throws {
        let url = try #require(Digits.resourceURL())
        let bytes = [UInt8](try #require(FileManager.default.contents(atPath: url.path)))
        var magic = bytes
        magic[0] = UInt8(ascii: "X")
        #expect(throws: DatasetError.self) { _ = try Digits.decode(magic, name: "m") }
        #expect(throws: DatasetError.truncated(file: "t", offset: 20, needed: 12, what: "the header")) {
            _ = try Digits.decode(Array(bytes.prefix(20)), name: "t")
        }
        let compressed = bytes.count - 32
        #expect(throws: DatasetError.truncated(file: "c", offset: bytes.count - 100, needed: 100, what: "the compressed payload")) {
            _ = try Digits.decode(Array(bytes.dropLast(100)), name: "c")
        }
        var flipped = bytes
        flipped[32 + compressed / 2] ^= 0xFF
        #expect(throws: DatasetError.self) { _ = try Digits.decode(flipped, name: "f") }
        var crc = bytes
        crc[20] ^= 1
        #expect(throws: DatasetError.self) { _ = try Digits.decode(crc, name: "crc") }
        #expect(throws: DatasetError.trailingData(file: "x", offset: bytes.count)) { _ = try Digits.decode(bytes + [0], name: "x") }
    }

    @Test func fixedSplitIsStratifiedDeterministicAndDisjoint() throws {
        let digits = try Digits.load()
        let (train, test) = try Digits.split()
        #expect(train.count == 1442 && test.count == 355)
        let counts = digits.classCounts()
        #expect(test.classCounts() == counts.map { $0 / 5 })
        #expect(train.classCounts() == counts.map { $0 - $0 / 5 })
        // Same split twice.
        let (train2, test2) = try Digits.split()
        #expect(train2 == train && test2 == test)
        // Disjoint and complete: rebuild the index sets from the split rule and compare with the data.
        var seen = [Int](repeating: 0, count: 10)
        var testIndices: [Int] = [], trainIndices: [Int] = []
        for (i, label) in digits.labels.enumerated() {
            if seen[label] % 5 == 4 { testIndices.append(i) } else { trainIndices.append(i) }
            seen[label] += 1
        }
        #expect(Set(testIndices).isDisjoint(with: trainIndices))
        #expect(testIndices.count + trainIndices.count == digits.count)
        #expect(digits.subset(testIndices) == test)
        #expect(digits.subset(trainIndices) == train)
    }
}
