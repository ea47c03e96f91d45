/// Computes the spectral statistics of one layer's activations saved as a `.npy` file, streaming the
/// file in chunks so that memory stays bounded by the chunk and the D×D covariance.
///
/// The array's rank says what it holds: 2 → dense N×D, 3 → sequence N×T×F (batch first),
/// 4 → convolution N×C×H×W. Each chunk of leading-axis rows is reduced with ``ActivationReducer``
/// and fed to a ``CovarianceAccumulator``; the covariance's ``Spectrum`` then gives the statistics.
public struct ActivationFileAnalyzer: Sendable {
    /// How the activations become rows of features.
    public var layout: LayoutOptions
    /// The statistics to report (``Statistic/cov`` keeps the covariance matrix in the result), δ and
    /// the idim convention.
    public var statisticsOptions: StatisticsOptions
    /// The accumulator's precision.
    public var precision: AccumulationPrecision
    /// The most leading-axis rows read per chunk.
    public var chunkRows: Int
    /// The largest feature count D accepted (the covariance needs 8·D² bytes, more while accumulating).
    public var maximumFeatures: Int
    /// A chunk is also limited to this many bytes of `Float` values (at least one row is read).
    public var maximumChunkBytes: Int
    /// What a chunk that the accumulator rejects (NaN or ±∞ values) does: `.fail` (the default) stops
    /// with an error naming the file and chunk; `.skip` leaves the chunk out, counts it in
    /// ``Result/skippedBatches`` and adds a note.
    public var badBatchPolicy: BadBatchPolicy = .fail

    /// Creates an analyzer; the defaults are those of `delve analyze`.
    public init(layout: LayoutOptions = LayoutOptions(), statistics: [Statistic] = [.lsat, .idim],
                threshold: Double = 0.99, convention: IntrinsicDimensionalityConvention = .paper,
                precision: AccumulationPrecision = .float64, chunkRows: Int = 1024,
                maximumFeatures: Int = 16384, maximumChunkBytes: Int = 64 << 20) {
        self.layout = layout
        self.statisticsOptions = StatisticsOptions(statistics: statistics, threshold: threshold, convention: convention)
        self.precision = precision
        self.chunkRows = chunkRows
        self.maximumFeatures = maximumFeatures
        self.maximumChunkBytes = maximumChunkBytes
    }

    /// The result for one file (or one merged state).
    public struct Result: Sendable {
        /// The layer's name: the file name without its directory and `.npy` extension.
        public var name: String
        /// The array's shape in the file (nil for a merged state, which has no file).
        public var shape: [Int]?
        /// How the array was read (nil for a merged state).
        public var kind: ActivationKind?
        /// The statistics of the layer's accumulated moments.
        public var analysis: LayerAnalysis
        /// The chunks left out under ``BadBatchPolicy/skip`` (0 otherwise).
        public var skippedBatches: Int = 0

        /// A result named `name`; `shape` and `kind` describe the file it was read from, if any.
        public init(name: String, shape: [Int]? = nil, kind: ActivationKind? = nil, analysis: LayerAnalysis,
                    skippedBatches: Int = 0) {
            self.name = name
            self.shape = shape
            self.kind = kind
            self.analysis = analysis
            self.skippedBatches = skippedBatches
        }

        /// The number of observations after the layout reduction (N·H·W for channelwise convolutions).
        public var samples: Int { analysis.samples }
        /// D, the number of features after the reduction.
        public var features: Int { analysis.features }
        /// The scalar statistics and notes.
        public var statistics: LayerStatistics { analysis.statistics }
        /// The D×D covariance (row-major), when ``Statistic/cov`` was requested.
        public var covariance: [Double]? { analysis.covariance }
    }

    /// The layer name for a path: its last component without a `.npy` extension.
    public static func layerName(forPath path: String) -> String {
        var name = path.split(separator: "/", omittingEmptySubsequences: true).last.map(String.init) ?? path
        if name.lowercased().hasSuffix(".npy") && name.count > 4 { name.removeLast(4) }
        return name
    }

    /// Reads, reduces and accumulates the file at `path` and computes the statistics.
    public func analyze(path: String) throws(ActivationFileError) -> Result {
        let (accumulator, shape, kind, skipped) = try accumulate(path: path)
        var result = try result(of: accumulator, source: path, skippedBatches: skipped)
        result.shape = shape
        result.kind = kind
        return result
    }

    /// The statistics of an accumulator (filled from a file, or merged from saved states) through
    /// ``CovarianceAccumulator/analysis(_:keepEigenvalues:)``; `source` names it in errors;
    /// `skippedBatches` chunks were left out (reported in a note). An accumulator without samples or
    /// features has no statistics: ``ActivationFileError/noData(path:reason:)``.
    public func result(of accumulator: CovarianceAccumulator, source: String,
                       skippedBatches: Int = 0) throws(ActivationFileError) -> Result {
        if accumulator.features == 0 {
            throw .noData(path: source, reason: "no features (D = 0)")
        }
        if accumulator.count == 0 {
            throw .noData(path: source, reason: skippedBatches > 0
                ? "every chunk was skipped (\(skippedBatches) with NaN or infinite values), no samples remain"
                : "no samples (N = 0)")
        }
        var analysis: LayerAnalysis
        do {
            analysis = try accumulator.analysis(statisticsOptions)
        } catch {
            throw .spectrum(path: source, error: error)
        }
        if skippedBatches > 0 {
            analysis.statistics.notes.insert("skipped \(skippedBatches) chunk(s) with NaN or infinite values (--skip-bad-batches)", at: 0)
        }
        return Result(name: accumulator.name, analysis: analysis, skippedBatches: skippedBatches)
    }

    /// Reads the file at `path` in chunks through the layout into a new accumulator (named after the
    /// file), without computing statistics — e.g. to save the state for `delve merge`. Also returns
    /// the number of chunks skipped under ``BadBatchPolicy/skip``.
    public func accumulate(path: String) throws(ActivationFileError)
        -> (accumulator: CovarianceAccumulator, shape: [Int], kind: ActivationKind, skippedBatches: Int)
    {
        let name = Self.layerName(forPath: path)
        let reader: NPYReader
        do { reader = try NPYReader(path: path) } catch { throw .npy(error) }
        guard let kind = ActivationKind(rank: reader.shape.count) else {
            throw .unsupportedRank(path: path, shape: reader.shape)
        }
        let reducer = ActivationReducer(options: layout)
        let features: Int
        do {
            features = try reducer.features(shape: reader.shape, kind: kind)
        } catch {
            throw .layout(path: path, error: error)
        }
        guard features <= maximumFeatures else {
            throw .tooManyFeatures(path: path, features: features, limit: maximumFeatures)
        }
        let accumulator = CovarianceAccumulator(features: features, name: name, precision: precision)
        // A row's bytes may overflow when the file has no rows at all (shape (0, 2^40, 2^40)); the
        // buffer never holds more rows than the file, whose size the reader has checked.
        let (rowBytes, rowOverflow) = max(1, reader.rowElements).multipliedReportingOverflow(by: MemoryLayout<Float>.stride)
        let rowsPerChunk = max(1, min(chunkRows, maximumChunkBytes / (rowOverflow ? Int.max : rowBytes)))
        let bufferCount = min(rowsPerChunk, reader.rowCount) * reader.rowElements
        let rowShape = Array(reader.shape.dropFirst())
        var skipped = 0
        // Under the skip policy a chunk the accumulator rejects (it checks every value before it
        // changes its state) is counted and left out.
        func feed(_ body: () throws(CovarianceError) -> Void) throws(CovarianceError) {
            do { try body() } catch {
                guard badBatchPolicy == .skip else { throw error }
                skipped += 1
            }
        }
        do {
            if kind == .dense && reader.dataType == .float64 {
                // Keep float64 data in double precision all the way.
                var buffer = [Double](repeating: 0, count: bufferCount)
                while true {
                    let rows = try buffer.withUnsafeMutableBufferPointer { (p) throws(NPYError) in try reader.readRows(count: rowsPerChunk, into: p) }
                    if rows == 0 { break }
                    try feed { () throws(CovarianceError) in
                        try buffer.withUnsafeBufferPointer { (p) throws(CovarianceError) in
                            try accumulator.update(UnsafeBufferPointer(rebasing: p[0..<(rows * reader.rowElements)]), rows: rows)
                        }
                    }
                }
            } else {
                var buffer = [Float](repeating: 0, count: bufferCount)
                let scratch = ReductionScratch()
                while true {
                    let rows = try buffer.withUnsafeMutableBufferPointer { (p) throws(NPYError) in try reader.readRows(count: rowsPerChunk, into: p) }
                    if rows == 0 { break }
                    do {
                        try buffer.withUnsafeBufferPointer { p in
                            try reducer.accumulate(UnsafeBufferPointer(rebasing: p[0..<(rows * reader.rowElements)]),
                                                   shape: [rows] + rowShape, kind: kind, into: accumulator, scratch: scratch)
                        }
                    } catch let error as CovarianceError {
                        try feed { () throws(CovarianceError) in throw error }
                    }
                }
            }
        } catch let error as NPYError {
            throw .npy(error)
        } catch let error as LayoutError {
            throw .layout(path: path, error: error)
        } catch let error as CovarianceError {
            throw .covariance(path: path, error: error, chunkRows: rowsPerChunk)
        } catch {
            throw .other(path: path, message: "\(error)")
        }
        return (accumulator, reader.shape, kind, skipped)
    }
}

/// Why a `.npy` activation file could not be analyzed; every case names the file.
public enum ActivationFileError: Error, CustomStringConvertible {
    /// The file could not be read as a supported `.npy` array.
    case npy(NPYError)
    /// The array is not 2-, 3- or 4-dimensional.
    case unsupportedRank(path: String, shape: [Int])
    /// The shape does not fit the layout options.
    case layout(path: String, error: LayoutError)
    /// The reduced layer has more features than the analyzer accepts.
    case tooManyFeatures(path: String, features: Int, limit: Int)
    /// The accumulator rejected a chunk (for example a NaN or infinite value); the file was read in
    /// chunks of `chunkRows` leading-axis rows (the accumulator's batches).
    case covariance(path: String, error: CovarianceError, chunkRows: Int)
    /// Any other failure.
    case other(path: String, message: String)
    /// The eigendecomposition failed.
    case spectrum(path: String, error: SpectrumError)
    /// There is nothing to compute statistics from: no samples, or no features.
    case noData(path: String, reason: String)

    /// The file the error is about.
    public var path: String {
        switch self {
        case .npy(let error): return error.path
        case .unsupportedRank(let path, _), .layout(let path, _), .tooManyFeatures(let path, _, _),
             .covariance(let path, _, _), .spectrum(let path, _), .other(let path, _), .noData(let path, _):
            return path
        }
    }

    public var description: String {
        switch self {
        case .npy(let error):
            return error.description
        case .unsupportedRank(let path, let shape):
            return "\(path): expected 2 (dense N×D), 3 (sequence N×T×F) or 4 (convolution N×C×H×W) dimensions, got shape \(shape)"
        case .layout(let path, let error):
            return "\(path): \(error)"
        case .tooManyFeatures(let path, let features, let limit):
            let gib = Double(features) * Double(features) * 8 / Double(1 << 30)
            let size = gib >= 0.1 ? "\((gib * 10).rounded() / 10) GiB" : "\(Int(gib * 1024)) MiB"
            return "\(path): \(features) features after the layout reduction, more than the limit of \(limit) "
                + "(the covariance alone would take \(size)); use --conv-method channelwise or mean, --downsample, "
                + "or raise --max-features"
        case .covariance(let path, let error, let chunkRows):
            return "\(path): \(error) (the file is read in batches of \(chunkRows) rows of its first axis)"
        case .other(let path, let message):
            return "\(path): \(message)"
        case .spectrum(let path, let error):
            return "\(path): \(error)"
        case .noData(let path, let reason):
            return "\(path): no data: \(reason); no statistic can be computed"
        }
    }
}
