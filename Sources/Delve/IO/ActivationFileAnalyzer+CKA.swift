extension ActivationFileAnalyzer {
    /// Linear CKA between the layers saved in `paths` (`delve analyze A.npy B.npy … --cka`): row i of
    /// every file must come from the same sample. Each file is reduced to one row per sample (dense as it
    /// is, convolutions by the spatial mean per channel, sequences by the last step, whatever ``layout``
    /// says), and the files are streamed side by side, chunk by chunk, into a
    /// ``LayerSimilarityAccumulator``; float64 dense files stay in float64.
    ///
    /// Throws, naming the file: fewer than two files, different row counts, an unsupported shape, a
    /// joint state above `memoryLimit` bytes, non-finite values.
    public func cka(paths: [String], memoryLimit: Int = CKAOptions.defaultMemoryLimit) throws(ActivationFileError) -> CKAMatrix {
        try ckaAccumulator(paths: paths, memoryLimit: memoryLimit).matrix(phase: .eval)
    }

    /// The joint state behind ``cka(paths:memoryLimit:)`` (for `delve analyze --cka --save-state`, whose
    /// states of parts of a dataset `delve merge` combines exactly).
    public func ckaAccumulator(paths: [String], memoryLimit: Int = CKAOptions.defaultMemoryLimit) throws(ActivationFileError)
        -> LayerSimilarityAccumulator {
        guard paths.count >= 2 else {
            throw .other(path: paths.first ?? "", message: "--cka compares layers: give at least two .npy files (got \(paths.count))")
        }
        let reducer = ActivationReducer(options: LayoutOptions(convMethod: .mean, timeseriesMethod: .last))
        var readers: [NPYReader] = []
        var kinds: [ActivationKind] = []
        var widths: [Int] = []
        for path in paths {
            let reader: NPYReader
            do { reader = try NPYReader(path: path) } catch { throw .npy(error) }
            guard let kind = ActivationKind(rank: reader.shape.count) else {
                throw .unsupportedRank(path: path, shape: reader.shape)
            }
            do { widths.append(try reducer.features(shape: reader.shape, kind: kind)) } catch {
                throw .layout(path: path, error: error)
            }
            if let first = readers.first, first.rowCount != reader.rowCount {
                throw .other(path: path, message: "\(reader.rowCount) rows, but \(paths[0]) has \(first.rowCount) rows; for --cka, "
                             + "row i of every file must come from the same sample")
            }
            readers.append(reader)
            kinds.append(kind)
        }
        let names = paths.map(Self.layerName(forPath:))
        do {
            _ = try CKAOptions(memoryLimit: memoryLimit).plan(layers: zip(names, widths).map { ($0, $1) })
        } catch {
            throw .other(path: paths[0], message: error.description)
        }
        let accumulator = LayerSimilarityAccumulator(layers: names, features: widths)
        let widest = readers.map { max(1, $0.rowElements) }.max() ?? 1
        let rowsPerChunk = max(1, min(chunkRows, maximumChunkBytes / (widest * MemoryLayout<Double>.stride)))
        var index = 0
        do {
            while true {
                var doubles: [[Double]] = []
                var rows = -1
                for (i, reader) in readers.enumerated() {
                    index = i
                    let count = min(rowsPerChunk, reader.rowCount) * reader.rowElements
                    if kinds[i] == .dense && reader.dataType == .float64 {
                        var buffer = [Double](repeating: 0, count: count)
                        let read = try buffer.withUnsafeMutableBufferPointer { (p) throws(NPYError) in try reader.readRows(count: rowsPerChunk, into: p) }
                        buffer.removeLast(buffer.count - read * reader.rowElements)
                        doubles.append(buffer)
                        rows = read
                    } else {
                        var buffer = [Float](repeating: 0, count: count)
                        let read = try buffer.withUnsafeMutableBufferPointer { (p) throws(NPYError) in try reader.readRows(count: rowsPerChunk, into: p) }
                        let reduced = try buffer.withUnsafeBufferPointer { p throws(LayoutError) in
                            try reducer.reduce(UnsafeBufferPointer(rebasing: p[0..<(read * reader.rowElements)]),
                                               shape: [read] + reader.shape.dropFirst(), kind: kinds[i])
                        }
                        doubles.append(reduced.values.map(Double.init))
                        rows = read
                    }
                }
                if rows <= 0 { break }
                try withDoublePointers(doubles) { (p) throws(SimilarityError) in try accumulator.update(p, rows: rows) }
            }
        } catch let error as NPYError {
            throw .npy(error)
        } catch let error as LayoutError {
            throw .layout(path: paths[index], error: error)
        } catch {
            throw .other(path: paths[index], message: "\(error)")
        }
        return accumulator
    }
}

/// Calls `body` with pointers to every array's storage.
private func withDoublePointers<E: Error>(_ arrays: [[Double]], _ body: ([UnsafeBufferPointer<Double>]) throws(E) -> Void) throws(E) {
    var pointers: [UnsafeBufferPointer<Double>] = []
    func descend(_ index: Int) throws(E) {
        if index == arrays.count { try body(pointers); return }
        try arrays[index].withUnsafeBufferPointer { (pointer: UnsafeBufferPointer<Double>) throws(E) in
            pointers.append(pointer)
            try descend(index + 1)
        }
    }
    try descend(0)
}
