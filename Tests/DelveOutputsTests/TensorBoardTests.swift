import Foundation
import Testing
@testable import Delve
@testable import DelveOutputs

/// Golden bytes were produced by TensorBoard 2.21's own protobuf classes and `masked_crc32c`
/// (`event_pb2.Event(...).SerializeToString()`), see scripts/tensorboard_check.py for the live check.
@Suite("TensorBoard event files")
struct TensorBoardTests {
    static func hex(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            bytes.append(UInt8(text[index..<next], radix: 16)!)
            index = next
        }
        return bytes
    }

    @Test("CRC-32C known vectors and the TFRecord mask")
    func crc32c() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)  // RFC 3720 B.4
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum([UInt8]()) == 0)
        // A checksum continued over a second part equals the checksum of the whole.
        let whole = Array("123456789".utf8)
        for cut in [0, 1, 4, 9] {
            let first = whole[..<cut].withUnsafeBytes { CRC32C.checksum($0) }
            #expect(whole[cut...].withUnsafeBytes { CRC32C.checksum($0, continuing: first) } == 0xE306_9283)
        }
        // The raw-buffer overload gives the same values.
        #expect(Array("123456789".utf8).withUnsafeBytes { CRC32C.checksum($0) } == 0xE306_9283)
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 37) }
        #expect(bytes.withUnsafeBytes { CRC32C.checksum($0) } == CRC32C.checksum(bytes))
        let crc: UInt32 = 0x1234_5678
        #expect(CRC32C.masked(crc) == ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8)
    }

    @Test("varints")
    func varints() {
        var e = ProtobufEncoder()
        e.varint(1); e.varint(300); e.varint(UInt64.max)
        #expect(e.bytes == [0x01, 0xAC, 0x02] + [UInt8](repeating: 0xFF, count: 9) + [0x01])
    }

    @Test("the file_version event and its TFRecord framing match TensorBoard's bytes")
    func fileVersion() {
        let event = TensorBoardEvent.fileVersionEvent(wallTime: 1.5)
        #expect(event == Self.hex("09000000000000f83f1a0d627261696e2e4576656e743a32"))
        #expect(TensorBoardEvent.record(event) == Self.hex(
            "1800000000000000a37f4b2209000000000000f83f1a0d627261696e2e4576656e743a322a28646c"))
    }

    @Test("scalar and histogram summaries match TensorBoard's bytes")
    func summaries() {
        #expect(TensorBoardEvent.summaryEvent(wallTime: 2, step: 3, values: [.scalar(tag: "a", value: 0.5)])
            == Self.hex("09000000000000004010032a0a0a080a0161150000003f"))
        let histogram = TensorBoardEvent.Value.histogram(tag: "h", min: 0, max: 2, count: 3, sum: 3, sumSquares: 5,
                                                         bucketLimits: [1, 2], buckets: [1, 2])
        #expect(TensorBoardEvent.summaryEvent(wallTime: 2, step: 1, values: [histogram]) == Self.hex(
            "09000000000000004010012a4f0a4d0a01682a481100000000000000401900000000000008402100000000000008402900000000000014403210000000000000f03f00000000000000403a10000000000000f03f0000000000000040"))
    }

    @Test("histogram buckets count values in (previous limit, limit]")
    func histogramBuckets() throws {
        let value = try #require(TensorBoardEvent.histogram(tag: "x", values: [0, 1, 1, 2, 4, .nan], bucketCount: 4))
        guard case .histogram(_, let lo, let hi, let count, let sum, let squares, let limits, let buckets) = value else {
            Issue.record("not a histogram"); return
        }
        #expect((lo, hi, count, sum, squares) == (0, 4, 5, 8, 22))
        #expect(limits == [1, 2, 3, 4])
        #expect(buckets == [3, 1, 0, 1])
        #expect(TensorBoardEvent.histogram(tag: "x", values: []) == nil)
    }

    @Test("the writer's file is a sequence of valid records: version first, then summaries with step = epoch")
    func writerFile() throws {
        let dir = try WriterFixture.temporaryDirectory()
        let writer = try TensorBoardWriter(directory: dir, clock: { 1_700_000_000.25 }, hostname: "host", images: false)
        try writer.write(WriterFixture.record(epoch: 0))
        try writer.write(WriterFixture.record(epoch: 1))
        try writer.close()
        #expect(writer.url.lastPathComponent == "events.out.tfevents.1700000000.host")
        let bytes = try [UInt8](Data(contentsOf: writer.url))
        var offset = 0
        var events: [[UInt8]] = []
        while offset < bytes.count {
            let length = Int(bytes[offset..<offset + 8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
            let lengthCRC = bytes[offset + 8..<offset + 12].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            #expect(lengthCRC == CRC32C.masked(CRC32C.checksum(bytes[offset..<offset + 8])))
            let data = Array(bytes[offset + 12..<offset + 12 + length])
            let dataCRC = bytes[offset + 12 + length..<offset + 16 + length].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            #expect(dataCRC == CRC32C.masked(CRC32C.checksum(data)))
            events.append(data)
            offset += 16 + length
        }
        #expect(offset == bytes.count)
        // version, then per epoch: scalars and (fc1 train has eigenvalues) one histogram event.
        #expect(events.count == 1 + 2 * 2)
        #expect(events[0] == TensorBoardEvent.fileVersionEvent(wallTime: 1_700_000_000.25))
        let scalars = WriterFixture.record(epoch: 1).keyedValues.map { TensorBoardEvent.Value.scalar(tag: $0.key, value: Float($0.value)) }
        #expect(events[3] == TensorBoardEvent.summaryEvent(wallTime: 1_700_000_000.25, step: 1, values: scalars))
    }
}

@Suite("TensorBoard writer with images")
struct TensorBoardImageTests {
    @Test("plots are embedded as PNG image summaries")
    func images() throws {
        let dir = try WriterFixture.temporaryDirectory()
        let writer = try TensorBoardWriter(directory: dir, clock: { 5 }, hostname: "h", images: true)
        try writer.write(SampleRun.record(epoch: 0, epochs: 1))
        try writer.close()
        let bytes = try [UInt8](Data(contentsOf: writer.url))
        // version + scalars + histograms + 5 images
        var offset = 0, count = 0, pngs = 0
        while offset < bytes.count {
            let length = Int(bytes[offset..<offset + 8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
            let data = bytes[offset + 12..<offset + 12 + length]
            if let tagRange = data.firstRange(of: Array("plots/".utf8)), data.firstRange(of: PNGEncoder.signature) != nil {
                #expect(tagRange.lowerBound > data.startIndex)
                pngs += 1
            }
            count += 1
            offset += 16 + length
        }
        #expect(count == 1 + 1 + 1 + 5)
        #expect(pngs == 5)
    }
}
