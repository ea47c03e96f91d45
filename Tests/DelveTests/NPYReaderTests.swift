import Foundation
import Testing
@testable import Delve

/// `.npy` files written by numpy 2.4 (`np.save` and `np.lib.format.write_array`), as bytes.
enum NumpyFiles {
    /// `np.array([[1.5, -2, 3], [4, 5e-3, -6e7]], dtype='<f4')`
    static let float32Matrix = hexBytes("934e554d5059010076007b276465736372273a20273c6634272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028322c2033292c207d202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a0000c03f000000c000004040000080400ad7a33bc0e164cc")
    /// `np.array([0.1, -2.5, 1e300], dtype='<f8')`
    static let float64Vector = hexBytes("934e554d5059010076007b276465736372273a20273c6638272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028332c292c207d2020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a9a9999999999b93f00000000000004c09c7500883ce4377e")
    /// `np.array(7.25, dtype='<f4')` (0-dimensional)
    static let float32Scalar = hexBytes("934e554d5059010076007b276465736372273a20273c6634272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028292c207d20202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a0000e840")
    /// `[[1, 2], [3, 4]]` as `<f4`, format version 2.0
    static let float32Version2 = hexBytes("934e554d50590200740000007b276465736372273a20273c6634272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028322c2032292c207d20202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a0000803f000000400000404000008040")
    /// `[[[1, 2]], [[3, 4]]]` as `<f8`, format version 3.0
    static let float64Version3 = hexBytes("934e554d50590300740000007b276465736372273a20273c6638272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028322c20312c2032292c207d20202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a000000000000f03f000000000000004000000000000008400000000000001040")
    /// `np.asfortranarray([[1, 2], [3, 4]])` as `<f4`
    static let fortranOrder = hexBytes("934e554d5059010076007b276465736372273a20273c6634272c2027666f727472616e5f6f72646572273a20547275652c20277368617065273a2028322c2032292c207d20202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a0000803f000040400000004000008040")
    /// `[1, 2]` as `>f4`
    static let bigEndian = hexBytes("934e554d5059010076007b276465736372273a20273e6634272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028322c292c207d2020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a3f80000040000000")
    /// `[1, 2]` as `<i4`
    static let int32 = hexBytes("934e554d5059010076007b276465736372273a20273c6934272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028322c292c207d2020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a0100000002000000")
}

@Suite("NPY reader")
final class NPYReaderTests {
    let directory: String
    init() throws { directory = try NPYTestSupport.temporaryDirectory() }
    deinit { try? FileManager.default.removeItem(atPath: directory) }

    private func file(_ bytes: [UInt8], name: String = "a.npy") throws -> String {
        let path = directory + "/" + name
        try NPYTestSupport.writeBytes(bytes, to: path)
        return path
    }

    private func error(opening bytes: [UInt8]) throws -> NPYError? {
        let path = try file(bytes)
        do {
            _ = try NPYReader(path: path)
            return nil
        } catch {
            #expect(error.path == path)
            return error
        }
    }

    @Test func readsNumpyFloat32Matrix() throws {
        let reader = try NPYReader(path: try file(NumpyFiles.float32Matrix))
        #expect(reader.shape == [2, 3])
        #expect(reader.dataType == .float32)
        #expect(reader.header.version == (1, 0))
        #expect(reader.header.dataOffset == 128)
        #expect(reader.rowCount == 2 && reader.rowElements == 3)
        #expect(try reader.readAllFloats() == [1.5, -2, 3, 4, 5e-3, -6e7])
    }

    @Test func readsNumpyFloat64AsDoubleAndFloat() throws {
        let path = try file(NumpyFiles.float64Vector)
        let reader = try NPYReader(path: path)
        #expect(reader.shape == [3] && reader.dataType == .float64 && reader.rowElements == 1)
        #expect(try reader.readAllDoubles() == [0.1, -2.5, 1e300])
        let asFloat = try NPYReader(path: path).readAllFloats()
        #expect(asFloat[0] == Float(0.1) && asFloat[1] == -2.5 && asFloat[2] == .infinity)
    }

    @Test func readsScalarAndVersions2And3() throws {
        let scalar = try NPYReader(path: try file(NumpyFiles.float32Scalar, name: "s.npy"))
        #expect(scalar.shape == [] && scalar.rowCount == 1 && scalar.rowElements == 1)
        #expect(try scalar.readAllDoubles() == [7.25])

        let v2 = try NPYReader(path: try file(NumpyFiles.float32Version2, name: "v2.npy"))
        #expect(v2.header.version == (2, 0) && v2.shape == [2, 2])
        #expect(try v2.readAllFloats() == [1, 2, 3, 4])

        let v3 = try NPYReader(path: try file(NumpyFiles.float64Version3, name: "v3.npy"))
        #expect(v3.header.version == (3, 0) && v3.shape == [2, 1, 2] && v3.rowElements == 2)
        #expect(try v3.readAllFloats() == [1, 2, 3, 4])
    }

    @Test func readsInChunksOfRows() throws {
        let rows = 10, columns = 3
        let values = (0..<rows * columns).map { Float($0) * 0.5 - 3 }
        let path = directory + "/chunks.npy"
        try NPYWriter.write(values, shape: [rows, columns], to: path)
        let reader = try NPYReader(path: path)
        var buffer = [Float](repeating: .nan, count: 4 * columns)
        var collected: [Float] = []
        var chunkSizes: [Int] = []
        while true {
            let n = try buffer.withUnsafeMutableBufferPointer { try reader.readRows(count: 4, into: $0) }
            if n == 0 { break }
            chunkSizes.append(n)
            collected += buffer[0..<n * columns]
        }
        #expect(chunkSizes == [4, 4, 2])
        #expect(collected == values)
        #expect(reader.rowsRead == rows)
        reader.rewind()
        var doubles = [Double](repeating: 0, count: 2 * columns)
        let n = try doubles.withUnsafeMutableBufferPointer { try reader.readRows(count: 2, into: $0) }
        #expect(n == 2 && doubles == values[0..<6].map(Double.init))
    }

    @Test func rejectsBufferThatIsTooSmall() throws {
        let reader = try NPYReader(path: try file(NumpyFiles.float32Matrix))
        var buffer = [Float](repeating: 0, count: 5)
        #expect(throws: NPYError(path: reader.path, kind: .bufferTooSmall(needed: 6, capacity: 5))) {
            _ = try buffer.withUnsafeMutableBufferPointer { try reader.readRows(count: 2, into: $0) }
        }
    }

    @Test func rejectsBadMagicAndEmptyFile() throws {
        var bytes = NumpyFiles.float32Matrix
        bytes[1] = UInt8(ascii: "X")
        #expect(try error(opening: bytes)?.kind == .badMagic)
        #expect(try error(opening: [])?.kind == .badMagic)
        let message = try #require(try error(opening: Array("hello world, not numpy".utf8))).description
        #expect(message.contains("a.npy") && message.contains("not a .npy file"))
    }

    @Test func rejectsUnsupportedVersion() throws {
        var bytes = NumpyFiles.float32Matrix
        bytes[6] = 4
        #expect(try error(opening: bytes)?.kind == .unsupportedVersion(major: 4, minor: 0))
        bytes[6] = 1; bytes[7] = 1
        #expect(try error(opening: bytes)?.kind == .unsupportedVersion(major: 1, minor: 1))
    }

    @Test func rejectsMalformedHeaders() throws {
        let cases = [
            "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), ",  // unterminated
            "{'descr': '<f4', 'fortran_order': False}",                   // no shape
            "{'descr': '<f4', 'fortran_order': 0, 'shape': (2,)}",         // not a bool
            "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 'x')}",  // non-integer
            "{'descr': '<f4', 'fortran_order': False, 'shape': 7}",         // not a tuple
            "['descr', '<f4']",                                              // not a dictionary
            "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}",  // too large
            "{'descr': '<f4', 'fortran_order': Flase, 'shape': (2,)}",       // unknown word
        ]
        for dictionary in cases {
            let kind = try error(opening: NPYTestSupport.header(dictionary: dictionary) + [UInt8](repeating: 0, count: 8))?.kind
            guard case .malformedHeader = kind else {
                Issue.record("expected a malformed header error for \(dictionary), got \(String(describing: kind))")
                continue
            }
        }
    }

    @Test func acceptsHeaderVariants() throws {
        // Double quotes, no trailing comma, extra spaces, a Python 2 long, list instead of tuple.
        let bytes = NPYTestSupport.header(dictionary: #"{ "shape" : [2L, 1], "fortran_order":False,"descr":"<f8" }"#)
            + hexBytes("000000000000f03f0000000000000040")
        let reader = try NPYReader(path: try file(bytes))
        #expect(reader.shape == [2, 1])
        #expect(try reader.readAllDoubles() == [1, 2])
    }

    @Test func rejectsUnsupportedDataTypes() throws {
        let intError = try #require(try error(opening: NumpyFiles.int32))
        #expect(intError.kind == .unsupportedDType("<i4"))
        #expect(intError.description.contains("'<f4'") && intError.description.contains("'<f8'"))
        #expect(try error(opening: NumpyFiles.bigEndian)?.kind == .bigEndian(">f4"))
        #expect(try error(opening: NumpyFiles.fortranOrder)?.kind == .fortranOrder)
        let structured = NPYTestSupport.header(dictionary: "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }")
        guard case .unsupportedDType = try error(opening: structured + [0, 0, 0, 0])?.kind else {
            Issue.record("a structured dtype must be rejected"); return
        }
    }

    @Test func rejectsTruncatedData() throws {
        let bytes = Array(NumpyFiles.float32Matrix.dropLast(5))
        #expect(try error(opening: bytes)?.kind == .truncated(expectedBytes: 24, actualBytes: 19))
        let headerOnly = Array(NumpyFiles.float32Matrix.prefix(128))
        #expect(try error(opening: headerOnly)?.kind == .truncated(expectedBytes: 24, actualBytes: 0))
    }

    @Test func rejectsAbsurdSizes() throws {
        let huge = NPYTestSupport.header(dictionary: "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }")
        #expect(try error(opening: huge)?.kind == .sizeOverflow(shape: [4294967296, 4294967296]))
        let negative = NPYTestSupport.header(dictionary: "{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 3), }")
        #expect(try error(opening: negative)?.kind == .sizeOverflow(shape: [-1, 3]))
        // A shape that does not overflow but is far larger than the file: truncated, no allocation.
        let large = NPYTestSupport.header(dictionary: "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000, 1000), }")
        #expect(try error(opening: large)?.kind == .truncated(expectedBytes: 4_000_000_000_000, actualBytes: 0))
        // A header length field pointing past the end of the file.
        let beyond = NPYTestSupport.header(dictionary: "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", claimedLength: 60000)
        #expect(try error(opening: beyond)?.kind == .headerBeyondFile(headerEnd: 60010, fileSize: 128))
        let beyond2 = NPYTestSupport.header(dictionary: "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", major: 2, claimedLength: 0xFFFF_FFFF)
        guard case .headerBeyondFile = try error(opening: beyond2)?.kind else {
            Issue.record("a 4 GiB header length must be rejected"); return
        }
    }

    @Test func reportsMissingFileAndDirectory() throws {
        let missing = directory + "/missing.npy"
        do {
            _ = try NPYReader(path: missing)
            Issue.record("opening a missing file must fail")
        } catch {
            #expect(error.path == missing)
            #expect(error.description.contains("missing.npy") && error.description.contains("No such file"))
        }
        do {
            _ = try NPYReader(path: directory)
            Issue.record("opening a directory must fail")
        } catch {
            #expect(error.description.contains("directory"))
        }
    }
}
