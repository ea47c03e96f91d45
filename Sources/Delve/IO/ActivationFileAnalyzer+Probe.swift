extension ActivationFileAnalyzer {
    /// A linear probe fitted on the first rows of a file and evaluated on the rest (`delve analyze --labels`).
    public struct ProbeResult: Sendable {
        /// The layer name (the file name without `.npy`).
        public var name: String
        /// The rows the probe was fitted on and evaluated on.
        public var fitSamples: Int, evalSamples: Int
        /// The solved probe (its ``LinearProbe/r2`` is the fit's R²).
        public var probe: LinearProbe
        /// The share of the evaluation rows classified correctly; nil when no row is left to evaluate.
        public var accuracy: Double?
    }

    /// Fits the linear probe of the layer in `path` on its first ⌊split·N⌋ rows with `labels` (one per
    /// row of the file's first axis) and evaluates it on the rest. Rows are per sample: dense as they
    /// are, convolutions by the spatial mean per channel, sequences by the last step (whatever ``layout``
    /// says). Throws, naming the file: a label count that is not the row count, a fit part with one class
    /// only, no fit row, non-finite values.
    public func probe(path: String, labels: [Int], split: Double, options: ProbeOptions = ProbeOptions())
        throws(ActivationFileError) -> ProbeResult
    {
        let reader: NPYReader
        do { reader = try NPYReader(path: path) } catch { throw .npy(error) }
        guard let kind = ActivationKind(rank: reader.shape.count) else { throw .unsupportedRank(path: path, shape: reader.shape) }
        guard labels.count == reader.rowCount else {
            throw .other(path: path, message: "\(reader.rowCount) rows, but the labels file has \(labels.count) labels; "
                         + "expected one label per row of the first axis")
        }
        let fitRows = Int((split * Double(reader.rowCount)).rounded(.down))
        guard fitRows >= 1 else {
            throw .other(path: path, message: "no row to fit the probe on (\(reader.rowCount) rows, split \(split))")
        }
        let rows = ProbeRows()
        let tail = Array(reader.shape.dropFirst())
        let features: Int
        do { features = try rows.features(shape: [1] + tail, kind: kind) } catch { throw .layout(path: path, error: error) }
        guard features <= maximumFeatures else { throw .tooManyFeatures(path: path, features: features, limit: maximumFeatures) }
        let accumulator = ProbeAccumulator(features: features, name: Self.layerName(forPath: path), options: options)
        let rowsPerChunk = max(1, min(chunkRows, maximumChunkBytes / max(1, reader.rowElements * MemoryLayout<Float>.stride)))
        var buffer = [Float](repeating: 0, count: rowsPerChunk * max(1, reader.rowElements))
        var scratch: [Double] = []
        var correct = 0, start = 0
        var solved: LinearProbe?
        do {
            while start < reader.rowCount {
                // Chunks never straddle the split, so the fit part is complete before the first evaluation.
                let limit = start < fitRows ? fitRows : reader.rowCount
                let read = try buffer.withUnsafeMutableBufferPointer { p throws(NPYError) in
                    try reader.readRows(count: min(rowsPerChunk, limit - start), into: p)
                }
                guard read > 0 else { break }
                let chunkLabels = labels[start..<(start + read)]
                try buffer.withUnsafeBufferPointer { p in
                    try rows.withRows(UnsafeBufferPointer(rebasing: p[0..<(read * reader.rowElements)]),
                                      shape: [read] + tail, kind: kind) { values, count, _ in
                        if start < fitRows {
                            try accumulator.update(values, rows: count, labels: chunkLabels)
                        } else {
                            if solved == nil { solved = try accumulator.solve() }
                            correct += solved!.correctCount(values, rows: count, labels: chunkLabels, scratch: &scratch)
                        }
                    }
                }
                start += read
            }
            if solved == nil { solved = try accumulator.solve() }
        } catch let error as NPYError {
            throw .npy(error)
        } catch let error as LayoutError {
            throw .layout(path: path, error: error)
        } catch {
            throw .other(path: path, message: "probe: \(error)")
        }
        let evalRows = reader.rowCount - fitRows
        return ProbeResult(name: accumulator.covariance.name, fitSamples: fitRows, evalSamples: evalRows, probe: solved!,
                           accuracy: evalRows > 0 ? Double(correct) / Double(evalRows) : nil)
    }
}
