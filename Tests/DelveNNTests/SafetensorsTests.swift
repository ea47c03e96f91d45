import Foundation
import Testing
@testable import DelveNN

/// Builds a safetensors byte buffer by hand: header length, header text, buffer bytes.
private func handMade(_ header: String, buffer: [UInt8], length: UInt64? = nil) -> [UInt8] {
    let text = Array(header.utf8)
    let n = length ?? UInt64(text.count)
    return (0..<8).map { UInt8(truncatingIfNeeded: n >> (8 * UInt64($0))) } + text + buffer
}

/// Little-endian bytes of `Float` values.
private func floatBytes(_ values: [Float]) -> [UInt8] {
    values.flatMap { v in (0..<4).map { UInt8(truncatingIfNeeded: v.bitPattern >> (8 * UInt32($0))) } }
}

@Suite("Safetensors reader and writer")
struct SafetensorsTests {
    /// Bytes written by Python `safetensors.torch.save` 0.8.0 (torch 2.x) for
    /// {"a.weight": f32 [[1.5, -2.25, 3], [0.1, 1e-3, -7]], "b": f64 [0.5, -1/3], "h": f16 [1, -0.333, 65504, 6e-8],
    ///  "bf": bf16 [3.140625, -2], "scalar": f32 4.0}, metadata {"format": "pt"}.
    static let pythonBytes: [UInt8] = [
        72,1,0,0,0,0,0,0,123,34,95,95,109,101,116,97,100,97,116,97,95,95,34,58,123,34,102,111,114,109,97,116,34,58,34,112,116,34,125,44,34,98,34,58,123,34,100,116,121,112,101,34,58,34,70,54,52,34,44,34,115,104,97,112,101,34,58,91,50,93,44,34,100,97,116,97,95,111,102,102,115,101,116,115,34,58,91,48,44,49,54,93,125,44,34,97,46,119,101,105,103,104,116,34,58,123,34,100,116,121,112,101,34,58,34,70,51,50,34,44,34,115,104,97,112,101,34,58,91,50,44,51,93,44,34,100,97,116,97,95,111,102,102,115,101,116,115,34,58,91,49,54,44,52,48,93,125,44,34,115,99,97,108,97,114,34,58,123,34,100,116,121,112,101,34,58,34,70,51,50,34,44,34,115,104,97,112,101,34,58,91,93,44,34,100,97,116,97,95,111,102,102,115,101,116,115,34,58,91,52,48,44,52,52,93,125,44,34,98,102,34,58,123,34,100,116,121,112,101,34,58,34,66,70,49,54,34,44,34,115,104,97,112,101,34,58,91,50,93,44,34,100,97,116,97,95,111,102,102,115,101,116,115,34,58,91,52,52,44,52,56,93,125,44,34,104,34,58,123,34,100,116,121,112,101,34,58,34,70,49,54,34,44,34,115,104,97,112,101,34,58,91,52,93,44,34,100,97,116,97,95,111,102,102,115,101,116,115,34,58,91,52,56,44,53,54,93,125,125,32,32,32,32,32,32,32,0,0,0,0,0,0,224,63,85,85,85,85,85,85,213,191,0,0,192,63,0,0,16,192,0,0,64,64,205,204,204,61,111,18,131,58,0,0,224,192,0,0,128,64,73,64,0,192,0,60,84,181,255,123,1,0,
    ]

    @Test("reads a file written by Python safetensors (F32, F64, F16, BF16, scalar, metadata)")
    func readsPythonFile() throws {
        let (tensors, metadata) = try Safetensors.decode(Self.pythonBytes)
        #expect(metadata == ["format": "pt"])
        #expect(Set(tensors.keys) == ["a.weight", "b", "h", "bf", "scalar"])
        let a = try #require(tensors["a.weight"])
        #expect(a.shape == [2, 3])
        #expect(a.values == [1.5, -2.25, 3, 0.1, 0.001, -7])
        #expect(tensors["b"]?.shape == [2])
        #expect(tensors["b"]?.values == [0.5, Float(-1.0 / 3.0)])
        #expect(tensors["h"]?.values == [1, -0.3330078125, 65504, 5.960464477539063e-08])
        #expect(tensors["bf"]?.values == [3.140625, -2])
        #expect(tensors["scalar"]?.shape == [])
        #expect(tensors["scalar"]?.values == [4])
    }

    @Test("reads integer and boolean tensors written by Python safetensors as Float")
    func readsIntegers() throws {
        // safetensors.torch.save({"i64": [-3, 7], "i32": [[5], [-6]], "i16": [-300], "i8": [-128, 127], "u8": [255], "bool": [True, False]})
        let bytes: [UInt8] = [88,1,0,0,0,0,0,0,123,34,105,54,52,34,58,123,34,100,116,121,112,101,34,58,34,73,54,52,34,44,34,115,104,97,112,101,34,58,91,50,93,44,34,100,97,116,97,95,111,102,102,115,101,116,115,34,58,91,48,44,49,54,93,125,44,34,105,51,50,34,58,123,34,100,116,121,112,101,34,58,34,73,51,50,34,44,34,115,104,97,112,101,34,58,91,50,44,49,93,44,34,100,97,116,97,95,111,102,102,115,101,116,115,34,58,91,49,54,44,50,52,93,125,44,34,105,49,54,34,58,123,34,100,116,121,112,101,34,58,34,73,49,54,34,44,34,115,104,97,112,101,34,58,91,49,93,44,34,100,97,116,97,95,111,102,102,115,101,116,115,34,58,91,50,52,44,50,54,93,125,44,34,105,56,34,58,123,34,100,116,121,112,101,34,58,34,73,56,34,44,34,115,104,97,112,101,34,58,91,50,93,44,34,100,97,116,97,95,111,102,102,115,101,116,115,34,58,91,50,54,44,50,56,93,125,44,34,117,56,34,58,123,34,100,116,121,112,101,34,58,34,85,56,34,44,34,115,104,97,112,101,34,58,91,49,93,44,34,100,97,116,97,95,111,102,102,115,101,116,115,34,58,91,50,56,44,50,57,93,125,44,34,98,111,111,108,34,58,123,34,100,116,121,112,101,34,58,34,66,79,79,76,34,44,34,115,104,97,112,101,34,58,91,50,93,44,34,100,97,116,97,95,111,102,102,115,101,116,115,34,58,91,50,57,44,51,49,93,125,125,32,32,253,255,255,255,255,255,255,255,7,0,0,0,0,0,0,0,5,0,0,0,250,255,255,255,212,254,128,127,255,1,0]
        let (tensors, _) = try Safetensors.decode(bytes)
        #expect(tensors["i64"]?.values == [-3, 7])
        #expect(tensors["i32"]?.shape == [2, 1])
        #expect(tensors["i32"]?.values == [5, -6])
        #expect(tensors["i16"]?.values == [-300])
        #expect(tensors["i8"]?.values == [-128, 127])
        #expect(tensors["u8"]?.values == [255])
        #expect(tensors["bool"]?.values == [1, 0])
    }

    @Test("half-precision conversion: zero, subnormal, normal, infinity, NaN")
    func halfConversion() {
        #expect(Safetensors.floatFromHalf(0x0000) == 0)
        #expect(Safetensors.floatFromHalf(0x0001) == 0x1p-24)
        #expect(Safetensors.floatFromHalf(0x3C00) == 1)
        #expect(Safetensors.floatFromHalf(0xC000) == -2)
        #expect(Safetensors.floatFromHalf(0x7C00) == .infinity)
        #expect(Safetensors.floatFromHalf(0xFC00) == -.infinity)
        #expect(Safetensors.floatFromHalf(0x7E00).isNaN)
    }

    @Test("encode then decode is the identity, header is 8-byte aligned and sorted")
    func roundTrip() throws {
        let input: Safetensors.NamedArrays = [
            "z.bias": (shape: [3], values: [1, -2, .infinity]),
            "a \"quoted\"\\name": (shape: [2, 2], values: [0.25, -0.5, 1e-30, 3e30]),
            "empty": (shape: [0, 4], values: []),
            "s": (shape: [], values: [42]),
        ]
        let bytes = try Safetensors.encode(input, metadata: ["format": "pt", "note": "line\nbreak"])
        let headerLength = bytes[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        #expect(headerLength % 8 == 0)
        let (output, metadata) = try Safetensors.decode(bytes)
        #expect(metadata == ["format": "pt", "note": "line\nbreak"])
        #expect(Set(output.keys) == Set(input.keys))
        for (name, value) in input {
            #expect(output[name]?.shape == value.shape)
            #expect(output[name]?.values == value.values)
        }
        // Tensors are laid out in sorted name order, F32.
        let header = String(decoding: bytes[8..<(8 + headerLength)], as: UTF8.self)
        let a = try #require(header.range(of: "\"a \\\"quoted"))
        let z = try #require(header.range(of: "\"z.bias\""))
        #expect(a.lowerBound < z.lowerBound)
        #expect(!header.contains("F64"))
    }

    @Test("atomic file write, then read; no temporary file is left")
    func fileRoundTrip() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("st-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("model.safetensors")
        try Safetensors.write(["w": (shape: [2], values: [1, 2])], to: url)
        try Safetensors.write(["w": (shape: [3], values: [3, 4, 5])], metadata: ["k": "v"], to: url)  // replaces
        let (tensors, metadata) = try Safetensors.read(contentsOf: url)
        #expect(tensors["w"]?.values == [3, 4, 5])
        #expect(metadata == ["k": "v"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["model.safetensors"])
    }

    @Test("missing file and missing directory are I/O errors naming the file")
    func ioErrors() {
        let url = URL(fileURLWithPath: "/nonexistent-dir-\(UUID().uuidString)/m.safetensors")
        #expect(throws: SafetensorsError.self) { try Safetensors.read(contentsOf: url) }
        do {
            try Safetensors.write(["w": (shape: [1], values: [1])], to: url)
            Issue.record("write into a missing directory succeeded")
        } catch {
            guard case .io(let file, _) = error else { Issue.record("unexpected \(error)"); return }
            #expect(file == url.path)
            #expect(error.description.contains(url.path))
        }
    }

    // MARK: Every malformed input

    /// Decodes and returns the error, or records an issue when decoding succeeds.
    private func failure(_ bytes: [UInt8]) -> SafetensorsError? {
        do {
            _ = try Safetensors.decode(bytes, file: "bad.safetensors")
            Issue.record("decoding succeeded")
            return nil
        } catch {
            #expect(error.description.contains("bad.safetensors"))
            return error
        }
    }

    @Test("fewer than 8 bytes")
    func tooShort() {
        guard case .truncated = failure([1, 0, 0]) else { Issue.record("wrong case"); return }
    }

    @Test("header length beyond the file, absurd, or too small")
    func headerLength() {
        guard case .invalidHeaderLength(_, 1000, _) = failure(handMade("{}", buffer: [], length: 1000)) else { Issue.record("beyond"); return }
        guard case .invalidHeaderLength = failure(handMade("{}", buffer: [], length: UInt64.max)) else { Issue.record("absurd"); return }
        guard case .invalidHeaderLength = failure(handMade("{}", buffer: [], length: 0)) else { Issue.record("zero"); return }
    }

    @Test("malformed JSON, non-object header, bad fields")
    func malformed() {
        let cases = [
            "{\"w\": {\"dtype\": \"F32\", ",                                       // cut JSON
            "[1, 2]",                                                             // not an object
            "{\"w\": 3}",                                                         // entry not an object
            "{\"w\": {\"shape\": [1], \"data_offsets\": [0, 4]}}",                // no dtype
            "{\"w\": {\"dtype\": \"F32\", \"shape\": [1.5], \"data_offsets\": [0, 4]}}",  // fractional dim
            "{\"w\": {\"dtype\": \"F32\", \"shape\": [-1], \"data_offsets\": [0, 4]}}",   // negative dim
            "{\"w\": {\"dtype\": \"F32\", \"shape\": [true], \"data_offsets\": [0, 4]}}", // boolean dim
            "{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0]}}",       // one offset
            "{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4], \"x\": 1}}", // unknown field
            "{\"__metadata__\": {\"k\": 1}}",                                     // non-string metadata
        ]
        for header in cases {
            guard case .malformedHeader = failure(handMade(header, buffer: floatBytes([1]))) else {
                Issue.record("not reported as malformed: \(header)"); continue
            }
        }
    }

    @Test("unknown dtype names the supported ones")
    func unknownDType() {
        let error = failure(handMade("{\"w\": {\"dtype\": \"C64\", \"shape\": [1], \"data_offsets\": [0, 8]}}", buffer: [UInt8](repeating: 0, count: 8)))
        guard case .unsupportedDType(_, "w", "C64") = error else { Issue.record("wrong case \(String(describing: error))"); return }
        #expect(error!.description.contains("F32, F64, F16, BF16, I64, I32, I16, I8, U8, BOOL"))
    }

    @Test("offsets reversed, beyond the buffer, or not matching shape × dtype size")
    func offsets() {
        let buffer = floatBytes([1, 2])
        guard case .invalidOffsets = failure(handMade("{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [8, 4]}}", buffer: buffer)) else { Issue.record("reversed"); return }
        guard case .truncated = failure(handMade("{\"w\": {\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [0, 12]}}", buffer: buffer)) else { Issue.record("beyond"); return }
        guard case .invalidOffsets = failure(handMade("{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 8]}}", buffer: buffer)) else { Issue.record("size"); return }
        guard case .invalidOffsets = failure(handMade("{\"w\": {\"dtype\": \"F64\", \"shape\": [2], \"data_offsets\": [0, 8]}}", buffer: buffer)) else { Issue.record("dtype size"); return }
    }

    @Test("overlapping tensors, holes and unindexed trailing bytes")
    func coverage() {
        let buffer = floatBytes([1, 2, 3])
        let overlap = "{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}, \"b\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [4, 12]}}"
        guard case .overlappingOrIncompleteBuffer(_, let detail) = failure(handMade(overlap, buffer: buffer)) else { Issue.record("overlap"); return }
        #expect(detail.contains("overlap"))
        let hole = "{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}, \"b\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [8, 12]}}"
        guard case .overlappingOrIncompleteBuffer = failure(handMade(hole, buffer: buffer)) else { Issue.record("hole"); return }
        let trailing = "{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}}"
        guard case .overlappingOrIncompleteBuffer = failure(handMade(trailing, buffer: buffer)) else { Issue.record("trailing"); return }
    }

    @Test("truncated file: the Python file cut short")
    func truncatedFile() {
        guard case .truncated = failure(Array(Self.pythonBytes.dropLast(3))) else { Issue.record("cut buffer"); return }
        guard case .invalidHeaderLength = failure(Array(Self.pythonBytes.prefix(100))) else { Issue.record("cut header"); return }
    }

    @Test("writer rejects a shape that does not match the values, and the reserved name")
    func writerValidation() {
        #expect(throws: SafetensorsError.invalidTensor(tensor: "w", detail: "shape [2, 2] holds 4 values but 3 were given")) {
            _ = try Safetensors.encode(["w": (shape: [2, 2], values: [1, 2, 3])])
        }
        #expect(throws: SafetensorsError.self) {
            _ = try Safetensors.encode(["__metadata__": (shape: [1], values: [1])])
        }
    }
}
