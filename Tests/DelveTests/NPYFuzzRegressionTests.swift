import Foundation
import Testing
@testable import Delve

/// Inputs found by `make fuzz` (and by reading the parsers for it) that once crashed or allocated
/// absurdly, kept as regression tests; and the in-memory decoding API the fuzz targets use.
@Suite("NPY parser regressions (fuzzing)")
final class NPYFuzzRegressionTests {
    let directory: String
    init() throws { directory = try NPYTestSupport.temporaryDirectory() }
    deinit { try? FileManager.default.removeItem(atPath: directory) }

    private func file(_ dictionary: String, data: [UInt8] = [], name: String) throws -> (path: String, bytes: [UInt8]) {
        let bytes = NPYTestSupport.header(dictionary: dictionary) + data
        let path = directory + "/" + name
        try NPYTestSupport.writeBytes(bytes, to: path)
        return (path, bytes)
    }

    @Test("shape (0, 2^40, 2^40): no data, but its row size overflows — an error, not a trap")
    func emptyLeadingAxisWithOverflowingRows() throws {
        let (path, bytes) = try file("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 1099511627776, 1099511627776), }", name: "rows.npy")
        #expect(throws: NPYError(path: path, kind: .sizeOverflow(shape: [0, 1 << 40, 1 << 40]))) { _ = try NPYReader(path: path) }
        #expect(throws: NPYError(path: "m", kind: .sizeOverflow(shape: [0, 1 << 40, 1 << 40]))) { _ = try NPYReader.decode(bytes, path: "m") }
        #expect(throws: ActivationFileError.self) { _ = try ActivationFileAnalyzer().analyze(path: path) }
    }

    @Test("shape (0, 2, 2^20, 2^20): channelwise D = 2 but a row holds 2^41 values — no row-sized buffer is allocated")
    func emptyConvolutionWithHugeMaps() throws {
        let (path, _) = try file("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 2, 1048576, 1048576), }", name: "conv.npy")
        let (accumulator, shape, kind, skipped) = try ActivationFileAnalyzer().accumulate(path: path)
        #expect(accumulator.count == 0 && accumulator.features == 2)
        #expect(shape == [0, 2, 1 << 20, 1 << 20] && kind == .convolution && skipped == 0)
    }

    @Test("a header claiming 10^12 elements is rejected from the file size before anything is allocated")
    func hugeClaimedShape() throws {
        let (path, bytes) = try file("{'descr': '<f8', 'fortran_order': False, 'shape': (1000000, 1000000), }", data: [UInt8](repeating: 0, count: 64), name: "huge.npy")
        let truncated = NPYError.Kind.truncated(expectedBytes: 8_000_000_000_000, actualBytes: 64)
        #expect(throws: NPYError(path: path, kind: truncated)) { _ = try NPYReader(path: path) }
        #expect(throws: NPYError(path: "<memory>", kind: truncated)) { _ = try NPYReader.decode(bytes) }
    }

    @Test("NPYReader.decode agrees with the streaming reader on header and values (float32, float64, v2, scalar)")
    func decodeMatchesReader() throws {
        let cases: [(name: String, write: (String) throws -> Void)] = [
            ("f4.npy", { try NPYWriter.write([1.5, -2, 3.25, 0, 7, 8] as [Float], shape: [3, 2], to: $0) }),
            ("f8.npy", { try NPYWriter.write([0.1, 0.2, 0.3] as [Double], shape: [3], to: $0) }),
            ("scalar.npy", { try NPYWriter.write([4.5] as [Double], shape: [], to: $0) }),
        ]
        for (name, write) in cases {
            let path = directory + "/" + name
            try write(path)
            let reader = try NPYReader(path: path)
            let decoded = try NPYReader.decode(try NPYTestSupport.readBytes(path), path: path)
            #expect(decoded.header == reader.header)
            let values = try reader.readAllDoubles()
            #expect(decoded.values == values)
        }
        // Version 2.0 header written by hand.
        let v2 = NPYTestSupport.header(dictionary: "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", major: 2)
            + [0, 0, 0x80, 0x3F, 0, 0, 0, 0x40]
        let decoded = try NPYReader.decode(v2)
        #expect(decoded.header.version == (2, 0) && decoded.values == [1, 2])
        #expect(throws: NPYError.self) { _ = try NPYReader.decode(Array(v2.dropLast())) }
        #expect(throws: NPYError(path: "<memory>", kind: .badMagic)) { _ = try NPYReader.decode([0x93, 0x4E]) }
    }
}
