import Foundation
import Testing
@testable import Delve

/// Linear CKA between layers: numpy's values (`scripts/spectral_reference.py`), an independent
/// two-pass evaluation, the invariances, merging and streaming, the tracker and the file analyzer.
@Suite("Linear CKA")
struct LinearCKATests {
    static let rows = 300

    /// data(rows, 12) of `scripts/spectral_reference.py`, row-major.
    static func x(_ rows: Int = rows) -> [Double] {
        var out: [Double] = []
        for i in 0..<rows {
            for j in 0..<12 {
                let (di, dj) = (Double(i), Double(j))
                out.append((sin(0.37 * di * (dj + 1) + 0.11 * dj) + 0.3 * cos(1.3 * di + dj * dj)) / (dj + 1))
            }
        }
        return out
    }

    /// data_y(rows): 7 features.
    static func y(_ rows: Int = rows) -> [Double] {
        let x = x(rows)
        var out: [Double] = []
        for i in 0..<rows {
            for j in 0..<7 {
                let dj = Double(j)
                out.append(tanh(x[i * 12 + j] * (dj + 1) - 0.5 * x[i * 12 + 5 + j]) + 0.2 * sin(0.05 * Double(i) * (dj + 3)))
            }
        }
        return out
    }

    /// data_z(rows): 5 features.
    static func z(_ rows: Int = rows) -> [Double] {
        var out: [Double] = []
        for i in 0..<rows {
            for j in 0..<5 {
                let (di, dj) = (Double(i), Double(j))
                out.append(cos(0.731 * di * di * (dj + 1) + dj) + 0.1 * dj)
            }
        }
        return out
    }

    /// CKA evaluated directly: centre both (two passes), then ‖YᵀX‖²_F / (‖XᵀX‖_F ‖YᵀY‖_F).
    static func direct(_ a: [Double], _ da: Int, _ b: [Double], _ db: Int) -> Double {
        let n = a.count / da
        func centred(_ m: [Double], _ d: Int) -> [Double] {
            var mean = [Double](repeating: 0, count: d)
            for i in 0..<n { for j in 0..<d { mean[j] += m[i * d + j] } }
            return (0..<(n * d)).map { m[$0] - mean[$0 % d] / Double(n) }
        }
        let (ca, cb) = (centred(a, da), centred(b, db))
        func frob2(_ p: [Double], _ dp: Int, _ q: [Double], _ dq: Int) -> Double {
            var sum = 0.0
            for r in 0..<dp {
                for c in 0..<dq {
                    var s = 0.0
                    for i in 0..<n { s += p[i * dp + r] * q[i * dq + c] }
                    sum += s * s
                }
            }
            return sum
        }
        return frob2(ca, da, cb, db) / (frob2(ca, da, ca, da).squareRoot() * frob2(cb, db, cb, db).squareRoot())
    }

    static func accumulate(_ blocks: [[Double]], features: [Int], batch: Int) throws -> LayerSimilarityAccumulator {
        let accumulator = LayerSimilarityAccumulator(layers: features.indices.map { "l\($0)" }, features: features)
        let n = blocks[0].count / features[0]
        var start = 0
        while start < n {
            let end = min(n, start + batch)
            let slices = zip(blocks, features).map { Array($0[(start * $1)..<(end * $1)]) }
            try withArrays(slices) { try accumulator.update($0, rows: end - start) }
            start = end
        }
        return accumulator
    }

    static func withArrays(_ arrays: [[Double]], _ body: ([UnsafeBufferPointer<Double>]) throws -> Void) throws {
        var pointers: [UnsafeBufferPointer<Double>] = []
        func descend(_ i: Int) throws {
            if i == arrays.count { try body(pointers); return }
            try arrays[i].withUnsafeBufferPointer { pointers.append($0); try descend(i + 1) }
        }
        try descend(0)
    }

    @Test("equals numpy's float64 linear CKA within 1e-9, and the direct two-pass formula")
    func numpy() throws {
        let matrix = try Self.accumulate([Self.x(), Self.y(), Self.z()], features: [12, 7, 5], batch: 64).matrix(phase: .eval)
        // python3 scripts/spectral_reference.py: cka(x, y), cka(x, z), cka(y, z)
        let expected: [(Int, Int, Double)] = [(0, 1, 0.5222657889957232), (0, 2, 0.008536287008583172), (1, 2, 0.016033283354400695)]
        for (i, j, value) in expected {
            #expect(abs(matrix[i, j] - value) < 1e-9, "CKA(\(i), \(j)) = \(matrix[i, j]), numpy \(value)")
            #expect(matrix[i, j] == matrix[j, i])
        }
        #expect(abs(matrix[0, 1] - Self.direct(Self.x(), 12, Self.y(), 7)) < 1e-12)
        for i in 0..<3 { #expect(abs(matrix[i, i] - 1) < 1e-14) }
        #expect(matrix.samples == 300 && matrix.layers == ["l0", "l1", "l2"] && matrix.features == [12, 7, 5])
        #expect(matrix.notes.isEmpty)
    }

    @Test("1 for a layer with itself and for an orthogonal transform of it; invariant to isotropic scaling")
    func invariances() throws {
        let x = Self.x(), y = Self.y()
        // An orthogonal 12×12 matrix: a product of Givens rotations.
        var q = [Double](repeating: 0, count: 144)
        for i in 0..<12 { q[i * 12 + i] = 1 }
        for (a, b, angle) in [(0, 5, 0.7), (3, 11, -1.1), (2, 7, 2.3), (1, 9, 0.4), (4, 6, 1.9)] {
            for r in 0..<12 {
                let (u, v) = (q[r * 12 + a], q[r * 12 + b])
                q[r * 12 + a] = cos(angle) * u - sin(angle) * v
                q[r * 12 + b] = sin(angle) * u + cos(angle) * v
            }
        }
        var rotated = [Double](repeating: 0, count: x.count)
        for i in 0..<Self.rows { for c in 0..<12 { for k in 0..<12 { rotated[i * 12 + c] += x[i * 12 + k] * q[k * 12 + c] } } }
        let scaled = x.map { $0 * 2.5 + 7 }   // isotropic scaling plus a shift (centring removes it)
        let m = try Self.accumulate([x, x, rotated, scaled, y], features: [12, 12, 12, 12, 7], batch: 100).matrix(phase: .train)
        #expect(abs(m[0, 1] - 1) < 1e-12)
        #expect(abs(m[0, 2] - 1) < 1e-12)
        #expect(abs(m[0, 3] - 1) < 1e-12)
        #expect(abs(m[3, 4] - m[0, 4]) < 1e-12 && abs(m[2, 4] - m[0, 4]) < 1e-12)
        #expect(abs(m[0, 4] - 0.5222657889957232) < 1e-9)
    }

    @Test("merged halves equal the whole; streaming over batches equals one batch")
    func mergeAndStream() throws {
        let blocks = [Self.x(), Self.y()], features = [12, 7]
        let whole = try Self.accumulate(blocks, features: features, batch: 300).matrix(phase: .eval)
        let streamed = try Self.accumulate(blocks, features: features, batch: 7).matrix(phase: .eval)
        let first = try Self.accumulate(blocks.enumerated().map { Array($1[0..<(120 * features[$0])]) }, features: features, batch: 50)
        let second = try Self.accumulate(blocks.enumerated().map { Array($1[(120 * features[$0])...]) }, features: features, batch: 33)
        try first.merge(second)
        let merged = first.matrix(phase: .eval)
        #expect(merged.samples == 300 && streamed.samples == 300)
        for (i, j) in [(0, 1), (1, 0), (0, 0)] {
            #expect(abs(streamed[i, j] - whole[i, j]) < 1e-13)
            #expect(abs(merged[i, j] - whole[i, j]) < 1e-13)
        }
        #expect(throws: SimilarityError.self) { try first.merge(LayerSimilarityAccumulator(layers: ["l0"], features: [12])) }
        // Across processes: the serialized halves, merged, give the whole.
        let a = try Self.accumulate(blocks.enumerated().map { Array($1[0..<(120 * features[$0])]) }, features: features, batch: 50)
        let restored = try LayerSimilarityAccumulator(serialized: a.serialized())
        try restored.merge(LayerSimilarityAccumulator(serialized: second.serialized()))
        #expect(restored.layers == ["l0", "l1"] && restored.features == features && restored.count == 300)
        #expect(abs(restored.matrix(phase: .eval)[0, 1] - whole[0, 1]) < 1e-13)
        #expect(throws: SimilarityError.self) {
            try LayerSimilarityAccumulator(serialized: CovarianceAccumulator(features: 19, name: "fc").serialized())
        }
    }

    @Test("a constant layer has NaN CKA and a note; bad blocks name the layer")
    func edgeCases() throws {
        let constant = [Double](repeating: 3, count: Self.rows * 2)
        let m = try Self.accumulate([Self.x(), constant], features: [12, 2], batch: 100).matrix(phase: .eval)
        #expect(m[0, 1].isNaN && m[1, 1].isNaN && m[0, 0] == 1)
        #expect(m.notes == ["layer 'l1' has no variance over 300 sample(s): its CKA is NaN"])
        let accumulator = LayerSimilarityAccumulator(layers: ["a", "b"], features: [2, 3])
        #expect(throws: SimilarityError.shape("layer 'b': 5 values, expected 2 rows × 3 features")) {
            try Self.withArrays([[1, 2, 3, 4], [1, 2, 3, 4, 5]]) { try accumulator.update($0, rows: 2) }
        }
        #expect(throws: SimilarityError.self) {
            try Self.withArrays([[1, .nan, 3, 4], [1, 2, 3, 4, 5, 6]]) { try accumulator.update($0, rows: 2) }
        }
        #expect(accumulator.count == 0)
    }

    @Test("float32 batches larger than a slice equal the float64 path; a NaN is rejected whole, naming the layer")
    func float32Slices() throws {
        var rng = CovarianceTestRandom(seed: 3)
        let rows = 4000   // joint width 19: a slice is 1724 rows, so this batch takes three
        let a = (0..<(rows * 12)).map { _ in Float(rng.gaussian()) }
        let b = (0..<(rows * 7)).map { i in a[(i / 7) * 12 + i % 7] * 0.5 + Float(rng.gaussian()) }
        let single = LayerSimilarityAccumulator(layers: ["a", "b"], features: [12, 7])
        try a.withUnsafeBufferPointer { pa in try b.withUnsafeBufferPointer { pb in try single.update([pa, pb], rows: rows) } }
        let reference = try Self.accumulate([a.map(Double.init), b.map(Double.init)], features: [12, 7], batch: rows)
        #expect(single.count == rows)
        #expect(abs(single.matrix(phase: .eval)[0, 1] - reference.matrix(phase: .eval)[0, 1]) < 1e-12)
        var bad = b
        bad[rows * 7 - 3] = .infinity   // in the last slice
        #expect(throws: SimilarityError.values("layer 'b': non-finite value inf at row 3999, feature 4; the batch was rejected and the state is unchanged")) {
            try a.withUnsafeBufferPointer { pa in try bad.withUnsafeBufferPointer { pb in try single.update([pa, pb], rows: rows) } }
        }
        #expect(single.count == rows)
    }

    @Test("memory: announced, and refused above the limit with the layers named")
    func memory() throws {
        #expect(LayerSimilarityAccumulator.memoryBytes(features: [64, 32, 10]) == 106 * 106 * 8)
        let line = try CKAOptions(memoryLimit: 1 << 20).plan(layers: [("fc1", 64), ("fc2", 32), ("out", 10)])
        #expect(line == "CKA between 3 layers (eval): the cross-covariances take 87.8 KiB (Σd = 106, limit 1.0 MiB)")
        #expect(throws: SimilarityError.self) { try CKAOptions(memoryLimit: 80_000).plan(layers: [("fc1", 64), ("fc2", 32), ("out", 10)]) }
        do {
            _ = try CKAOptions(memoryLimit: 80_000).plan(layers: [("fc1", 64), ("fc2", 32), ("out", 10)])
        } catch {
            #expect(error.description.contains("87.8 KiB") && error.description.contains("78.1 KiB")
                    && error.description.contains("--cka-memory-limit") && error.description.contains("fc2 (32)"))
        }
    }

    @Test("the tracker pairs each forward pass's layers (dense, convolution by spatial mean) and resets per epoch")
    func tracker() throws {
        var options = TrackerOptions(statistics: [.lsat])
        options.cka = CKAOptions(phase: .eval)
        let tracker = try SaturationTracker(options: options)
        let x = Self.x(), y = Self.y()
        // A "convolution" 4 channels × 2×2 whose spatial mean per channel is x's first 4 features.
        func conv(_ rows: Range<Int>) -> [Float] {
            var out: [Float] = []
            for i in rows { for c in 0..<4 { let v = Float(x[i * 12 + c]); out += [v + 1, v - 1, v + 0.5, v - 0.5] } }
            return out
        }
        var start = 0
        for batch in [64, 64, 64, 64, 44] {
            let r = start..<(start + batch)
            try tracker.record(layer: "fc", phase: .eval, values: x[(r.lowerBound * 12)..<(r.upperBound * 12)].map { Float($0) },
                               shape: [batch, 12], kind: .dense)
            try tracker.record(layer: "conv", phase: .eval, values: conv(r), shape: [batch, 4, 2, 2], kind: .convolution)
            try tracker.record(layer: "head", phase: .eval, values: y[(r.lowerBound * 7)..<(r.upperBound * 7)].map { Float($0) },
                               shape: [batch, 7], kind: .dense)
            // A batch-first sequence N×3×7 whose last step is `head`'s rows: read by its last step.
            var sequence: [Float] = []
            for i in r { sequence += (0..<14).map { Float($0 % 5) * Float(i % 3) } + y[(i * 7)..<(i * 7 + 7)].map { Float($0) } }
            try tracker.record(layer: "seq", phase: .eval, values: sequence, shape: [batch, 3, 7], kind: .sequence(batchFirst: true))
            // The train phase is not compared.
            try tracker.record(layer: "fc", phase: .train, values: [Float](repeating: 1, count: 24), shape: [2, 12], kind: .dense)
            start += batch
        }
        #expect(tracker.ckaAnnouncement == "CKA between 4 layers (eval): the cross-covariances take 7.0 KiB (Σd = 30, limit 1.00 GiB)")
        let record = try tracker.endEpoch()
        #expect(record.similarity.count == 1)
        let m = try #require(record.similarity.first)
        #expect(m.layers == ["fc", "conv", "head", "seq"] && m.features == [12, 4, 7, 7] && m.samples == 300 && m.phase == .eval)
        #expect(abs(m.value("head", "seq")! - 1) < 1e-12 && abs(m.value("fc", "seq")! - m.value("fc", "head")!) < 1e-12)
        let xf = x.map { Double(Float($0)) }, yf = y.map { Double(Float($0)) }
        #expect(abs(m.value("fc", "head")! - Self.direct(xf, 12, yf, 7)) < 1e-10)
        let conv4 = (0..<300).flatMap { i in (0..<4).map { c in Double(Float(x[i * 12 + c])) } }
        #expect(abs(m.value("conv", "head")! - Self.direct(conv4, 4, yf, 7)) < 1e-6)   // float32 spatial mean
        // The next epoch starts afresh: one pass of 10 samples.
        try tracker.record(layer: "fc", phase: .eval, values: xf[0..<120].map { Float($0) }, shape: [10, 12], kind: .dense)
        try tracker.record(layer: "conv", phase: .eval, values: conv(0..<10), shape: [10, 4, 2, 2], kind: .convolution)
        try tracker.record(layer: "head", phase: .eval, values: yf[0..<70].map { Float($0) }, shape: [10, 7], kind: .dense)
        try tracker.record(layer: "seq", phase: .eval, values: [Float](repeating: 0.5, count: 210), shape: [10, 3, 7],
                           kind: .sequence(batchFirst: true))
        let next = try #require(try tracker.endEpoch().similarity.first)
        #expect(next.samples == 10 && next.notes.contains { $0.contains("'seq' has no variance") })
        // Off by default.
        #expect(try SaturationTracker().endEpoch().similarity.isEmpty)
    }

    @Test("the tracker refuses a joint state above the limit before accumulating anything")
    func trackerRefuses() throws {
        var options = TrackerOptions()
        options.cka = CKAOptions(phase: .train, memoryLimit: 1000)
        let tracker = try SaturationTracker(options: options)
        try tracker.record(layer: "a", phase: .train, values: [Float](repeating: 0.5, count: 40), shape: [4, 10], kind: .dense)
        try tracker.record(layer: "b", phase: .train, values: [Float](repeating: 0.5, count: 40), shape: [4, 10], kind: .dense)
        #expect(throws: TrackerError.self) {
            try tracker.record(layer: "a", phase: .train, values: [Float](repeating: 0.5, count: 40), shape: [4, 10], kind: .dense)
        }
        do {
            try tracker.record(layer: "a", phase: .train, values: [Float](repeating: 0.5, count: 40), shape: [4, 10], kind: .dense)
        } catch {
            #expect(error.description.hasPrefix("CKA: the cross-covariances of 2 layers would take 3.1 KiB"))
        }
    }

    @Test("JSON round trip of a record with CKA")
    func json() throws {
        var record = EpochRecord(epoch: 2, layers: [], threshold: 0.99)
        record.similarity = [CKAMatrix(phase: .eval, layers: ["a", "b"], features: [3, 4], samples: 9,
                                       values: [1, 0.25, 0.25, .nan], notes: ["n"])]
        let back = try EpochRecord(json: try JSONValue.parse(record.jsonValue.text))
        #expect(back.similarity.count == 1)
        #expect(back.similarity[0].layers == ["a", "b"] && back.similarity[0].features == [3, 4] && back.similarity[0].samples == 9)
        #expect(back.similarity[0][0, 1] == 0.25 && back.similarity[0][1, 1].isNaN && back.similarity[0].notes == ["n"])
        #expect(EpochRecord(epoch: 0, layers: []).jsonValue["cka"] == nil)
    }

    @Test("files: CKA of .npy files equals the accumulator's; clear errors for one file, row counts, memory")
    func files() throws {
        let dir = try NPYTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try NPYWriter.write(Self.x(), shape: [300, 12], to: dir + "/x.npy")
        try NPYWriter.write(Self.y(), shape: [300, 7], to: dir + "/y.npy")
        try NPYWriter.write(Self.z().map { Float($0) }, shape: [300, 5], to: dir + "/z.npy")
        try NPYWriter.write(Self.y(200), shape: [200, 7], to: dir + "/short.npy")
        var analyzer = ActivationFileAnalyzer()
        analyzer.chunkRows = 37
        let m = try analyzer.cka(paths: [dir + "/x.npy", dir + "/y.npy", dir + "/z.npy"])
        #expect(m.layers == ["x", "y", "z"] && m.samples == 300)
        #expect(abs(m[0, 1] - 0.5222657889957232) < 1e-9)
        let zf = Self.z().map { Double(Float($0)) }
        #expect(abs(m[1, 2] - Self.direct(Self.y(), 7, zf, 5)) < 1e-12)
        #expect(throws: ActivationFileError.self) { try analyzer.cka(paths: [dir + "/x.npy"]) }
        do { _ = try analyzer.cka(paths: [dir + "/x.npy", dir + "/short.npy"]) } catch {
            #expect(error.description == "\(dir)/short.npy: 200 rows, but \(dir)/x.npy has 300 rows; for --cka, row i of every file must come from the same sample")
        }
        do { _ = try analyzer.cka(paths: [dir + "/x.npy"]) } catch {
            #expect(error.description.contains("give at least two .npy files (got 1)"))
        }
        do { _ = try analyzer.cka(paths: [dir + "/x.npy", dir + "/y.npy"], memoryLimit: 1000) } catch {
            #expect(error.description.contains("more than the limit") && error.description.hasPrefix("\(dir)/x.npy: CKA:"))
        }
    }
}
