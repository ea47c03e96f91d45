import Foundation

/// The second moments behind linear CKA between several layers seen on the same samples: one
/// ``CovarianceAccumulator`` over the concatenated per-sample features [f₁ | f₂ | … | f_L], so every
/// block Σ_xy of the joint covariance is accumulated with the same centred, mergeable update as a
/// layer's covariance (a batch's centred rows plus Chan's correction row in one `syrk`; merge by
/// Chan, Golub & LeVeque 1979). Exact, streaming and independent of how the samples are batched.
///
/// CKA(x, y) = ‖Σ_xy‖²_F / (‖Σ_xx‖_F ‖Σ_yy‖_F) (Kornblith et al. 2019, linear kernel; the 1/N or
/// 1/(N−1) normalisation cancels). Memory: (Σ d)² · 8 bytes, the Σ over ordered pairs (x, y) of
/// d_x·d_y·8 bytes; see ``memoryBytes(features:)``.
public final class LayerSimilarityAccumulator: @unchecked Sendable {
    /// The layer names, in column-block order.
    public let layers: [String]
    /// The feature count of each layer.
    public let features: [Int]
    /// The first column of each layer's block in the joint rows.
    public let offsets: [Int]
    /// The joint moments (n, mean, co-moment) of the concatenated rows.
    public let joint: CovarianceAccumulator
    private var rowScratch: [Double] = []

    /// An empty accumulator for `layers` with the given feature counts.
    public convenience init(layers: [String], features: [Int]) {
        precondition(layers.count == features.count, "one feature count per layer")
        let name = Self.stateNamePrefix
            + JSONValue.array(zip(layers, features).map { .array([.string($0), .number(Double($1))]) }).text
        self.init(layers: layers, features: features,
                  joint: CovarianceAccumulator(features: features.reduce(0, +), name: name, precision: .float64))
    }

    private init(layers: [String], features: [Int], joint: CovarianceAccumulator) {
        self.layers = layers
        self.features = features
        var offsets: [Int] = []
        var total = 0
        for d in features { offsets.append(total); total += d }
        self.offsets = offsets
        self.joint = joint
    }

    /// The joint state's name: this prefix, then the layers and widths as JSON (`[["fc1",64],…]`).
    public static let stateNamePrefix = "cka:"

    /// The complete state as bytes, to combine processes' states with ``merge(_:)``: the joint
    /// accumulator's format (``CovarianceAccumulator/serialized()``, with CRC), its name holding the
    /// layers and their widths.
    public func serialized() -> [UInt8] { joint.serialized() }

    /// Restores ``serialized()``; `source` names the bytes in errors.
    public convenience init(serialized bytes: [UInt8], source: String = "<memory>") throws(SimilarityError) {
        let joint: CovarianceAccumulator
        do { joint = try CovarianceAccumulator(serialized: bytes, source: source) } catch { throw .shape("\(error)") }
        try self.init(joint: joint, source: source)
    }

    /// The accumulator whose joint state `joint` is (its name: ``stateNamePrefix`` and the layers), e.g.
    /// a state file already read as a ``CovarianceAccumulator``; `source` names it in errors.
    public convenience init(joint: CovarianceAccumulator, source: String) throws(SimilarityError) {
        let fail = SimilarityError.shape("\(source): not a CKA state (its name must be \(Self.stateNamePrefix) and the layers as JSON)")
        guard joint.name.hasPrefix(Self.stateNamePrefix),
              let list = try? JSONValue.parse(String(joint.name.dropFirst(Self.stateNamePrefix.count))).arrayValue else { throw fail }
        var layers: [String] = [], features: [Int] = []
        for item in list {
            guard let pair = item.arrayValue, pair.count == 2, let name = pair[0].stringValue,
                  let width = pair[1].doubleValue, width >= 1, width == width.rounded() else { throw fail }
            layers.append(name)
            features.append(Int(width))
        }
        guard features.reduce(0, +) == joint.features else { throw fail }
        self.init(layers: layers, features: features, joint: joint)
    }

    /// Bytes of the joint state: (Σ d)² float64 values, i.e. Σ over ordered layer pairs of d_x·d_y·8.
    public static func memoryBytes(features: [Int]) -> Int {
        let total = features.reduce(0, +)
        return total * total * 8
    }

    /// N, the rows accumulated so far.
    public var count: Int { joint.count }

    /// Adds `rows` samples: `blocks[i]` holds layer i's rows × features[i] values (row-major), row r of
    /// every block from the same sample. Throws (naming the layer) when a block has the wrong size; the
    /// accumulator's own errors (non-finite values) leave the state unchanged.
    ///
    /// The joint float64 rows are formed and accumulated a cache-sized slice of rows at a time (each slice
    /// a batch of the joint accumulator, merged exactly); every value is checked first, so a rejected
    /// batch leaves the state unchanged.
    public func update(_ blocks: [UnsafeBufferPointer<Float>], rows: Int) throws(SimilarityError) {
        try checkBlocks(blocks.map(\.count), rows: rows)
        for (i, block) in blocks.enumerated() {
            var probe: Float = 0
            for value in block { probe += value * 0 }   // NaN when any value is NaN or ±∞
            if !probe.isFinite, let index = block.firstIndex(where: { !$0.isFinite }) {
                throw .values("layer '\(layers[i])': non-finite value \(block[index]) at row \(index / features[i]), "
                              + "feature \(index % features[i]); the batch was rejected and the state is unchanged")
            }
        }
        let total = joint.features
        let slice = max(1, min(rows, Self.sliceBytes / (8 * max(1, total))))
        if rowScratch.count < slice * total { rowScratch = [Double](repeating: 0, count: slice * total) }
        var start = 0
        while start < rows {
            let count = min(slice, rows - start)
            rowScratch.withUnsafeMutableBufferPointer { out in
                for (i, block) in blocks.enumerated() {
                    let d = features[i], offset = offsets[i]
                    for r in 0..<count {
                        let target = out.baseAddress! + r * total + offset
                        let source = block.baseAddress! + (start + r) * d
                        for k in 0..<d { target[k] = Double(source[k]) }
                    }
                }
            }
            try updateJoint(rows: count)
            start += count
        }
    }

    /// The joint rows formed per slice of a float32 batch: about this many bytes (≥ 1 row).
    static let sliceBytes = 1 << 18

    /// ``update(_:rows:)`` for float64 rows.
    public func update(_ blocks: [UnsafeBufferPointer<Double>], rows: Int) throws(SimilarityError) {
        try checkBlocks(blocks.map(\.count), rows: rows)
        let total = joint.features
        if rowScratch.count < rows * total { rowScratch = [Double](repeating: 0, count: rows * total) }
        rowScratch.withUnsafeMutableBufferPointer { out in
            for (i, block) in blocks.enumerated() {
                let d = features[i], offset = offsets[i]
                for r in 0..<rows {
                    (out.baseAddress! + r * total + offset).update(from: block.baseAddress! + r * d, count: d)
                }
            }
        }
        try updateJoint(rows: rows)
    }

    private func checkBlocks(_ counts: [Int], rows: Int) throws(SimilarityError) {
        guard counts.count == layers.count else {
            throw .shape("expected one block per layer (\(layers.count)), got \(counts.count)")
        }
        for (i, count) in counts.enumerated() where count != rows * features[i] {
            throw .shape("layer '\(layers[i])': \(count) values, expected \(rows) rows × \(features[i]) features")
        }
    }

    private func updateJoint(rows: Int) throws(SimilarityError) {
        guard rows > 0 else { return }
        let total = joint.features
        do {
            try rowScratch.withUnsafeBufferPointer { values throws(CovarianceError) in
                try joint.update(UnsafeBufferPointer(rebasing: values[0..<(rows * total)]), rows: rows)
            }
        } catch {
            throw .values(error.detail)
        }
    }

    /// Adds another accumulator's samples (same layers and widths), exactly as if its rows had been
    /// added here (Chan et al.).
    public func merge(_ other: LayerSimilarityAccumulator) throws(SimilarityError) {
        guard other.layers == layers, other.features == features else {
            throw .shape("cannot merge layers \(other.layers) \(other.features) into \(layers) \(features)")
        }
        do { try joint.merge(other.joint) } catch { throw .values(error.detail) }
    }

    /// Forgets every sample.
    public func reset() { joint.reset() }

    /// The linear CKA matrix of the samples so far.
    public func matrix(phase: Phase) -> CKAMatrix {
        let cov = joint.covariance()
        let total = joint.features
        let count = layers.count
        // ‖Σ_xy‖²_F for every block pair, from the full symmetric joint covariance.
        var squares = [Double](repeating: 0, count: count * count)
        for i in 0..<count {
            for j in i..<count {
                var sum = 0.0
                for r in offsets[i]..<(offsets[i] + features[i]) {
                    let row = r * total
                    for c in offsets[j]..<(offsets[j] + features[j]) { sum += cov[row + c] * cov[row + c] }
                }
                squares[i * count + j] = sum
                squares[j * count + i] = sum
            }
        }
        var values = [Double](repeating: .nan, count: count * count)
        var notes: [String] = []
        for i in 0..<count {
            for j in 0..<count {
                let denominator = (squares[i * count + i] * squares[j * count + j]).squareRoot()
                if denominator > 0 { values[i * count + j] = squares[i * count + j] / denominator }
            }
            if !(squares[i * count + i] > 0) {
                notes.append("layer '\(layers[i])' has no variance over \(joint.count) sample(s): its CKA is NaN")
            }
        }
        return CKAMatrix(phase: phase, layers: layers, features: features, samples: joint.count, values: values, notes: notes)
    }
}

/// Why linear CKA could not be accumulated or planned; each message names the layer, file or option.
public enum SimilarityError: Error, Equatable, CustomStringConvertible {
    /// Blocks of the wrong size, or layers that do not match.
    case shape(String)
    /// Values the accumulator rejected (NaN or ±∞).
    case values(String)
    /// The joint state would take more memory than allowed.
    case memory(bytes: Int, limit: Int, layers: [(String, Int)])

    public static func == (a: SimilarityError, b: SimilarityError) -> Bool { a.description == b.description }

    public var description: String {
        switch self {
        case .shape(let reason): return "CKA: \(reason)"
        case .values(let reason): return "CKA: \(reason)"
        case let .memory(bytes, limit, layers):
            let widths = layers.map { "\($0.0) (\($0.1))" }.joined(separator: ", ")
            return "CKA: the cross-covariances of \(layers.count) layers would take \(formatBytes(bytes)) "
                + "(Σ d_x·d_y·8 bytes over the layer pairs, Σd = \(layers.reduce(0) { $0 + $1.1 })), more than the limit "
                + "\(formatBytes(limit)) (--cka-memory-limit); layers: \(widths)"
        }
    }
}

/// Bytes as `1.5 MiB`, `12.0 KiB`, `300 B`.
func formatBytes(_ bytes: Int) -> String {
    let value = Double(bytes)
    if value >= Double(1 << 30) { return String(format: "%.2f GiB", value / Double(1 << 30)) }
    if value >= Double(1 << 20) { return String(format: "%.1f MiB", value / Double(1 << 20)) }
    if value >= Double(1 << 10) { return String(format: "%.1f KiB", value / Double(1 << 10)) }
    return "\(bytes) B"
}
