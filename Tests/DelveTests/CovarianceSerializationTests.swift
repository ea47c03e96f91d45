import Foundation
import Testing
@testable import Delve

@Suite("CovarianceAccumulator serialization")
struct CovarianceSerializationTests {
    private func filled(name: String = "layer3.conv", precision: AccumulationPrecision = .float64) throws -> CovarianceAccumulator {
        var rng = CovarianceTestRandom(seed: 11)
        let acc = CovarianceAccumulator(features: 5, name: name, precision: precision)
        for rows in [4, 9, 1] { try acc.update(rng.batch(rows: rows, features: 5, offset: 1), rows: rows) }
        return acc
    }

    /// Little-endian bytes of an integer, to forge headers.
    private func le<I: FixedWidthInteger>(_ v: I) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }

    @Test("round trip is bit for bit (bytes, mean, covariance, counts, name, precision)", arguments: AccumulationPrecision.allCases)
    func roundTrip(precision: AccumulationPrecision) throws {
        let acc = try filled(precision: precision)
        let bytes = acc.serialized()
        let copy = try CovarianceAccumulator(serialized: bytes)
        #expect(copy.serialized() == bytes)
        #expect(copy.mean == acc.mean)
        #expect(copy.covariance() == acc.covariance())
        #expect(copy.count == 14 && copy.batchCount == 3)
        #expect(copy.name == "layer3.conv" && copy.features == 5 && copy.precision == precision)
        // The restored accumulator keeps accumulating identically.
        let more: [Double] = [1, 2, 3, 4, 5, 5, 4, 3, 2, 1]
        try acc.update(more, rows: 2)
        try copy.update(more, rows: 2)
        #expect(copy.serialized() == acc.serialized())
    }

    @Test("empty, D = 0 and non-ASCII names round-trip")
    func edgeRoundTrips() throws {
        for acc in [CovarianceAccumulator(features: 3), CovarianceAccumulator(features: 0, name: "nothing"),
                    CovarianceAccumulator(features: 1, name: "schicht_ä→β")] {
            let bytes = acc.serialized()
            let copy = try CovarianceAccumulator(serialized: bytes)
            #expect(copy.serialized() == bytes)
            #expect(copy.name == acc.name && copy.features == acc.features && copy.count == 0)
        }
    }

    @Test("write is atomic (no temporary file left) and read restores the state")
    func fileRoundTrip() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("delve-cov-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("fc1.cov").path
        let acc = try filled()
        try acc.write(to: path)
        try acc.write(to: path)   // overwriting works
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["fc1.cov"])
        let back = try CovarianceAccumulator.read(from: path)
        #expect(back.serialized() == acc.serialized())
        #expect(throws: CovarianceError.featureMismatch(layer: "layer3.conv", context: "saved state \(path)", expected: 6, found: 5)) {
            _ = try CovarianceAccumulator.read(from: path, expectedFeatures: 6)
        }
        do {
            _ = try CovarianceAccumulator.read(from: dir.appendingPathComponent("missing").path)
            Issue.record("reading a missing file succeeded")
        } catch {
            guard case let .io(p, _) = error else { Issue.record("wrong error \(error)"); return }
            #expect(p.hasSuffix("missing"))
        }
        #expect(throws: CovarianceError.self) { try acc.write(to: dir.appendingPathComponent("no/such/dir/x.cov").path) }
    }

    @Test("bad magic, wrong version, truncation, damage and absurd sizes are clear errors")
    func corruptInputs() throws {
        let good = try filled().serialized()
        func expectCorrupt(_ bytes: [UInt8], _ fragment: String) {
            do {
                _ = try CovarianceAccumulator(serialized: bytes, source: "x.cov")
                Issue.record("accepted corrupt input (\(fragment))")
            } catch {
                guard case let .corrupt(source, reason) = error else { Issue.record("wrong error \(error)"); return }
                #expect(source == "x.cov")
                #expect(reason.contains(fragment), "\(reason)")
            }
        }
        var badMagic = good; badMagic[0] = UInt8(ascii: "X")
        expectCorrupt(badMagic, "magic")
        expectCorrupt([], "truncated")
        expectCorrupt(Array(good[0..<20]), "truncated")
        expectCorrupt(Array(good.dropLast()), "truncated")
        expectCorrupt(good + [0], "damaged")
        var flipped = good; flipped[good.count - 20] ^= 1
        expectCorrupt(flipped, "checksum")

        var version = good; version.replaceSubrange(8..<12, with: le(UInt32(7)))
        #expect(throws: CovarianceError.unsupportedVersion(source: "v.cov", found: 7, supported: 1)) {
            _ = try CovarianceAccumulator(serialized: version, source: "v.cov")
        }
        var hugeD = good; hugeD.replaceSubrange(32..<40, with: le(Int64(1) << 40))
        expectCorrupt(hugeD, "D = 1099511627776")
        var hugerD = good; hugerD.replaceSubrange(32..<40, with: le(Int64.max))
        expectCorrupt(hugerD, "more bytes than exist")
        var negativeN = good; negativeN.replaceSubrange(16..<24, with: le(Int64(-3)))
        expectCorrupt(negativeN, "negative observation count")
        var negativeD = good; negativeD.replaceSubrange(32..<40, with: le(Int64(-5)))
        expectCorrupt(negativeD, "negative feature count")
        var longName = good; longName.replaceSubrange(40..<44, with: le(UInt32.max))
        expectCorrupt(longName, "needs")
        #expect(throws: CovarianceError.featureMismatch(layer: "layer3.conv", context: "saved state x", expected: 4, found: 5)) {
            _ = try CovarianceAccumulator(serialized: good, source: "x", expectedFeatures: 4)
        }
    }
}
