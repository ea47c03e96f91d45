import Foundation
import Testing
@testable import Delve

@Suite("NPY writer")
final class NPYWriterTests {
    let directory: String
    init() throws { directory = try NPYTestSupport.temporaryDirectory() }
    deinit { try? FileManager.default.removeItem(atPath: directory) }

    private func contents() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
    }

    @Test func writesTheSameBytesAsNumpy() throws {
        let path = directory + "/m.npy"
        try NPYWriter.write([1.5, -2, 3, 4, 5e-3, -6e7] as [Float], shape: [2, 3], to: path)
        #expect(try NPYTestSupport.readBytes(path) == NumpyFiles.float32Matrix)
        let vector = directory + "/v.npy"
        try NPYWriter.write([0.1, -2.5, 1e300] as [Double], shape: [3], to: vector)
        #expect(try NPYTestSupport.readBytes(vector) == NumpyFiles.float64Vector)
        let scalar = directory + "/s.npy"
        try NPYWriter.write([7.25] as [Float], shape: [], to: scalar)
        #expect(try NPYTestSupport.readBytes(scalar) == NumpyFiles.float32Scalar)
    }

    @Test func headerIsPaddedTo64BytesWithNewline() {
        for shape in [[1], [12, 34, 56], [Int](repeating: 123456789, count: 9)] {
            let header = NPYHeader.encode(dataType: .float64, shape: shape)
            #expect(header.count % 64 == 0)
            #expect(header.last == 0x0A)
            #expect(Int(header[8]) | Int(header[9]) << 8 == header.count - 10)
        }
    }

    @Test func roundTripsBothTypesAndConversions() throws {
        let floats: [Float] = (0..<24).map { Float($0) * 0.37 - 4 }
        let doubles: [Double] = (0..<24).map { Double($0) / 7 - 1 }
        for (name, shape) in [("a", [24]), ("b", [4, 6]), ("c", [2, 3, 4]), ("d", [1, 2, 3, 4])] {
            let f = directory + "/\(name)f.npy", d = directory + "/\(name)d.npy"
            try NPYWriter.write(floats, shape: shape, to: f)
            try NPYWriter.write(doubles, shape: shape, to: d)
            let rf = try NPYReader(path: f), rd = try NPYReader(path: d)
            #expect(rf.shape == shape && rf.dataType == .float32)
            #expect(rd.shape == shape && rd.dataType == .float64)
            #expect(try rf.readAllFloats() == floats)
            #expect(try rd.readAllDoubles() == doubles)
        }
        // Doubles written as float32 round to Float; floats written as float64 are exact.
        let narrowed = directory + "/narrowed.npy"
        try NPYWriter.write(doubles, shape: [24], to: narrowed, as: .float32)
        #expect(try NPYReader(path: narrowed).readAllFloats() == doubles.map { Float($0) })
        let widened = directory + "/widened.npy"
        try NPYWriter.write(floats, shape: [24], to: widened, as: .float64)
        #expect(try NPYReader(path: widened).readAllDoubles() == floats.map(Double.init))
        #expect(try contents().allSatisfy { !$0.hasPrefix(".") })
    }

    @Test func emptyArraysRoundTrip() throws {
        let path = directory + "/empty.npy"
        try NPYWriter.write([Float](), shape: [0, 5], to: path)
        let reader = try NPYReader(path: path)
        #expect(reader.shape == [0, 5] && reader.rowCount == 0)
        #expect(try reader.readAllFloats().isEmpty)
    }

    @Test func streamingWriterAppendsChunks() throws {
        let path = directory + "/stream.npy"
        let rows = 1000, columns = 7
        let writer = try NPYStreamWriter(path: path, dataType: .float32, shape: [rows, columns])
        var expected: [Float] = []
        for chunk in 0..<10 {
            let values = (0..<100 * columns).map { Float(chunk * 100 * columns + $0) }
            expected += values
            try values.withUnsafeBufferPointer { try writer.append($0) }
        }
        // Not visible until finished.
        #expect(!FileManager.default.fileExists(atPath: path))
        try writer.finish()
        #expect(try NPYReader(path: path).readAllFloats() == expected)
        #expect(try contents() == ["stream.npy"])
    }

    @Test func convertingWriterCrossesItsChunkBoundary() throws {
        // More than the writer's 65536-value conversion chunk, converted from Double to float32.
        let count = 70_001
        let values = (0..<count).map { Double($0) * 0.001 - 7 }
        let path = directory + "/converted.npy"
        let writer = try NPYStreamWriter(path: path, dataType: .float32, shape: [count])
        try values[0..<40_000].withUnsafeBufferPointer { try writer.append($0) }
        try values[40_000...].withUnsafeBufferPointer { try writer.append($0) }
        try writer.finish()
        let reader = try NPYReader(path: path)
        #expect(reader.dataType == .float32)
        #expect(try reader.readAllDoubles() == values.map { Double(Float($0)) })
    }

    @Test func shapeMismatchFailsAndLeavesNoFile() throws {
        let path = directory + "/bad.npy"
        #expect(throws: NPYError(path: path, kind: .shapeMismatch(shape: [2, 3], expectedElements: 6, actualElements: 5))) {
            try NPYWriter.write([Float](repeating: 1, count: 5), shape: [2, 3], to: path)
        }
        #expect(throws: NPYError(path: path, kind: .shapeMismatch(shape: [2, 3], expectedElements: 6, actualElements: 7))) {
            try NPYWriter.write([Float](repeating: 1, count: 7), shape: [2, 3], to: path)
        }
        #expect(try contents().isEmpty)
    }

    @Test func failedWriteKeepsThePreviousFile() throws {
        let path = directory + "/keep.npy"
        try NPYWriter.write([1, 2] as [Float], shape: [2], to: path)
        #expect(throws: NPYError.self) {
            try NPYWriter.write([1, 2, 3] as [Float], shape: [2], to: path)
        }
        #expect(try NPYReader(path: path).readAllFloats() == [1, 2])
        try NPYWriter.write([5, 6, 7] as [Float], shape: [3], to: path)
        #expect(try NPYReader(path: path).readAllFloats() == [5, 6, 7])
        #expect(try contents() == ["keep.npy"])
    }

    @Test func unwritableDirectoryIsAnError() {
        let path = directory + "/no/such/dir/x.npy"
        do {
            try NPYWriter.write([1] as [Float], shape: [1], to: path)
            Issue.record("writing into a missing directory must fail")
        } catch {
            #expect(error.path == path)
            guard case .io = error.kind else { Issue.record("expected an I/O error, got \(error)"); return }
        }
    }
}
