import Foundation
import DelveLinearAlgebra

/// Online, numerically stable accumulation of the feature covariance matrix of a stream of batches
/// (the core of Delve's layer statistics).
///
/// State: the observation count n, the float64 mean μ (D) and the float64 co-moment
/// M = Σₖ (xₖ − μ)(xₖ − μ)ᵀ (D×D, upper triangle), so memory is constant in the dataset size.
///
/// Each batch B of n_b rows is centred on its **own** mean μ_b, its co-moment M_b = (B − μ_b)ᵀ(B − μ_b)
/// is formed with one BLAS `syrk`, and it is combined with the state by the exact pairwise formula of
/// Chan, Golub & LeVeque (1979):
///
///     δ = μ_b − μ_a,   n = n_a + n_b,   μ = μ_a + δ·n_b/n,   M = M_a + M_b + δδᵀ·n_a·n_b/n.
///
/// The δδᵀ term is folded into the same `syrk` as one extra row √(n_a·n_b/n)·δ appended to the
/// centred batch. Row-major batches are not multiplied out one by one: their centred rows wait in a
/// scratch buffer of up to 1280 rows (2560 in float32 mode) and one `syrk` adds them all when the next
/// batch would not fit, when a ``SaturationTracker`` flushes several layers side by side, or when the
/// co-moment is read, since the sum of the products is the same up to rounding (a batch
/// of more rows goes through one `syrk` per ≈ 2 MB block). Steady-state updates reuse the scratch
/// and do not allocate.
/// Unlike the one-pass formula E[xxᵀ] − μμᵀ (which Delve 0.1.50 uses), this loses no digits when the
/// mean is large compared with the spread: data with mean 10⁶ and standard deviation 1 keep ≥ 10
/// significant digits (see the tests).
///
/// ``AccumulationPrecision/float32`` centres each batch into float32 and uses `ssyrk`; the state stays
/// float64. Measured on Gaussian data (D = 64, batches of 256, 8 batches), its covariance differs from
/// float64 mode by 1.2e-7 relative (max entry error / max entry; 5.7e-8 with one `ssyrk` per batch
/// instead of pending rows). It is faster because `ssyrk` moves half the bytes and fills twice the
/// vector lanes; `delve-bench covariance` measures the ratio on your machine.
///
/// Thread safety: every method takes an internal lock (`NSLock`), so one accumulator may be fed from
/// several threads (the updates are then serialized). For throughput, use one accumulator per thread
/// and combine them with ``merge(_:)``, which is exact.
///
/// The covariance is the **population** covariance M/n by default (as in Delve), the sample
/// covariance M/(n − 1) with `unbiased: true`.
public final class CovarianceAccumulator: @unchecked Sendable {
    /// The number of features D (the covariance is D×D).
    public let features: Int
    /// The layer name, used in error messages.
    public let name: String
    /// The arithmetic used for each batch's co-moment (the state is float64 either way).
    public let precision: AccumulationPrecision

    let lock = NSLock()
    // State, guarded by `lock`.
    var n = 0
    var batches = 0
    let meanState: UnsafeMutablePointer<Double>      // D
    let moment: UnsafeMutablePointer<Double>         // D×D row-major; upper triangle (row ≤ column) is valid
    // Scratch, guarded by `lock`; reused across updates.
    let batchMean: UnsafeMutablePointer<Double>      // D
    let delta: UnsafeMutablePointer<Double>          // D
    var scratch64: UnsafeMutablePointer<Double>? = nil
    var scratch64Capacity = 0
    var scratch32: UnsafeMutablePointer<Float>? = nil
    var scratch32Capacity = 0
    var moment32: UnsafeMutablePointer<Float>? = nil // D×D, only in float32 mode
    var channelwiseWorkspaces: [ChannelwiseWorkspace] = []  // one per worker, only for updateChannelwise
    /// The job that splits a channelwise batch across workers (created on first use, then reused).
    lazy var channelwiseSplit = ChannelwiseSplit(owner: self)
    /// Upper limit on the threads of one channelwise update (nil: ``BLAS/threadCount``); tests set it.
    var maxChannelwiseThreads: Int? = nil
    /// Multiply-adds a channelwise batch needs before it is split across threads; tests lower it.
    var channelwiseParallelWork = 4_194_304.0
    /// Upper limit on the rows per syrk block of the row-major update (tests lower it to exercise blocking).
    var maxRowsPerBlock = Int.max
    // Pending rows of the row-major update, guarded by `lock`: centred batches (with Chan's δ rows)
    // waiting in the float64 or float32 scratch for one syrk together (see `flushPending`).
    var pendingRows = 0
    var pendingFloat32 = false
    /// Bound on what the pending rows add to a diagonal entry of `moment` (for the overflow check).
    var pendingDiagonal = 0.0
    /// Rows (with Chan's δ row) of the last batch that joined the pending rows: the buffer is full when
    /// another batch of that size would not fit (``pendingReadiness``).
    var lastPendingBatchRows = 0
    /// An upper bound on the largest diagonal entry of `moment` plus ``pendingDiagonal`` (∞ when unknown),
    /// kept by ``checkMagnitude(maxAbs:rows:weight:batchIndex:extraDiagonal:)`` so that the overflow check
    /// reads the diagonal only when the bound comes near float64's range. Float32 batches' own squares
    /// are left out, as in the check itself: they cannot come near it.
    var diagonalBound = 0.0
    /// Most rows (with δ rows) that wait for one syrk: 1280 in float64 mode, 2560 (the same bytes) in
    /// float32 mode; a tracker flushes them side by side with other layers' once one layer's buffer is
    /// full and the others' at least half full (``pendingReadiness``). Each call reads and writes the whole D×D triangle (in float32 mode it is
    /// also added into the float64 state), so its cost per row falls with the rows; the buffer is at
    /// most 1280·D float64 values (10 KiB per feature, less than the D×D state from D = 1280 on).
    /// Tests lower it.
    var maxPendingRows: Int

    /// An empty accumulator for `features` features (D ≥ 0; a negative D is a programming error).
    ///
    /// It allocates the D×D float64 co-moment (8·D² bytes) up front.
    public init(features: Int, name: String = "", precision: AccumulationPrecision = .float64) {
        precondition(features >= 0, "CovarianceAccumulator \(name): features must be ≥ 0, got \(features)")
        self.features = features
        self.name = name
        self.precision = precision
        maxPendingRows = precision == .float32 ? 2560 : 1280
        let d = max(features, 1)
        meanState = .allocate(capacity: d)
        meanState.initialize(repeating: 0, count: d)
        moment = .allocate(capacity: d * d)
        moment.initialize(repeating: 0, count: d * d)
        batchMean = .allocate(capacity: d)
        batchMean.initialize(repeating: 0, count: d)
        delta = .allocate(capacity: d)
        delta.initialize(repeating: 0, count: d)
    }

    deinit {
        meanState.deallocate()
        moment.deallocate()
        batchMean.deallocate()
        delta.deallocate()
        scratch64?.deallocate()
        scratch32?.deallocate()
        moment32?.deallocate()
    }

    /// The number of observations (rows) accumulated so far, n.
    public var count: Int { locked { n } }

    /// The number of non-empty batches accepted so far.
    public var batchCount: Int { locked { batches } }

    /// The mean of all observations so far (zeros before the first one).
    public var mean: [Double] {
        locked { Array(UnsafeBufferPointer(start: meanState, count: features)) }
    }

    /// Accumulates a row-major batch of `rows` observations × ``features`` features (float32 data).
    ///
    /// Throws without changing the state when the buffer size is not `rows·features`, or when a value
    /// is NaN or ±∞ (the error names the layer, the batch index and the row and feature).
    /// An empty batch (`rows == 0`) is a no-op.
    public func update(_ batch: UnsafeBufferPointer<Float>, rows: Int) throws(CovarianceError) {
        try locked { () throws(CovarianceError) in try accumulateRows(batch, rows: rows) }
    }

    /// Accumulates a row-major batch of `rows` observations × ``features`` features (float64 data).
    public func update(_ batch: UnsafeBufferPointer<Double>, rows: Int) throws(CovarianceError) {
        try locked { () throws(CovarianceError) in try accumulateRows(batch, rows: rows) }
    }

    /// Array convenience for ``update(_:rows:)-(UnsafeBufferPointer<Float>,_)``.
    public func update(_ batch: [Float], rows: Int) throws(CovarianceError) {
        try batch.withUnsafeBufferPointer { (p) throws(CovarianceError) in try update(p, rows: rows) }
    }

    /// Array convenience for ``update(_:rows:)-(UnsafeBufferPointer<Double>,_)``.
    public func update(_ batch: [Double], rows: Int) throws(CovarianceError) {
        try batch.withUnsafeBufferPointer { (p) throws(CovarianceError) in try update(p, rows: rows) }
    }

    /// Accumulates convolutional feature maps stored NCHW: `batch × channels × spatial` (spatial = H·W).
    ///
    /// Every spatial position of every sample is one observation of `channels` features (Delve's
    /// treatment of conv layers), i.e. the (batch·spatial)×channels matrix — computed without
    /// materializing that transposed copy: cache-sized blocks of samples are centred into a
    /// channels × (block·spatial) scratch (contiguous runs of `spatial` values) whose co-moment is one
    /// `syrk` of that matrix times its transpose; the blocks are combined exactly (Chan) and merged into
    /// the state only after the whole batch passed its checks. `channels` must equal ``features``.
    /// Errors report the observation index `sample·spatial + position` as the row and the channel as
    /// the feature.
    public func updateChannelwise(_ data: UnsafeBufferPointer<Float>, batch: Int, channels: Int, spatial: Int)
        throws(CovarianceError)
    {
        try locked { () throws(CovarianceError) in
            try accumulateChannelwise(data, batch: batch, channels: channels, spatial: spatial)
        }
    }

    /// Adds the observations of `other` to this accumulator, exactly as if its batches had been given
    /// here (Chan et al.'s pairwise combination; `other` is unchanged). The feature counts must agree.
    public func merge(_ other: CovarianceAccumulator) throws(CovarianceError) {
        guard other.features == features else {
            throw .featureMismatch(layer: name, context: "merge with accumulator \(CovarianceError.show(other.name))",
                                   expected: features, found: other.features)
        }
        // Snapshot the other state first, so that the two locks are never held together.
        let (nb, bb, meanB, momentB) = other.locked {
            other.flushPending()
            return (other.n, other.batches, Array(UnsafeBufferPointer(start: other.meanState, count: features)),
             Array(UnsafeBufferPointer(start: other.moment, count: features * features)))
        }
        guard nb > 0 else { return }
        locked {
            meanB.withUnsafeBufferPointer { mb in
                momentB.withUnsafeBufferPointer { cb in
                    Self.combine(features: features, count: n, mean: meanState, moment: moment,
                                 with: nb, mean: mb.baseAddress!, moment: cb.baseAddress!, delta: delta)
                }
            }
            n += nb
            batches += bb
            diagonalBound = .infinity   // the next check reads the diagonal
        }
    }

    /// Chan et al.'s pairwise combination on raw state: folds (n_b, μ_b, M_b) into (n_a, μ_a, M_a) in place,
    /// with δ = μ_b − μ_a, M_a ← M_a + M_b + δδᵀ·n_a·n_b/n and μ_a ← μ_a + δ·n_b/n (upper triangles of
    /// row-major D×D co-moments). `delta` (D values) is scratch; the caller updates the count to n_a + n_b.
    static func combine(features d: Int, count na: Int, mean meanA: UnsafeMutablePointer<Double>,
                        moment momentA: UnsafeMutablePointer<Double>, with nb: Int, mean meanB: UnsafePointer<Double>,
                        moment momentB: UnsafePointer<Double>, delta: UnsafeMutablePointer<Double>) {
        let total = na + nb
        let weight = Double(na) * Double(nb) / Double(total)
        let shift = Double(nb) / Double(total)
        for j in 0..<d { delta[j] = meanB[j] - meanA[j] }
        for i in 0..<d {
            let di = delta[i] * weight
            for j in i..<d { momentA[i * d + j] += momentB[i * d + j] + di * delta[j] }
        }
        for j in 0..<d { meanA[j] += delta[j] * shift }
    }

    /// The D×D covariance matrix, full and symmetric, row-major: M/n (population, Delve's choice)
    /// by default, M/(n − 1) (sample) when `unbiased`. All zeros while the divisor would be ≤ 0.
    public func covariance(unbiased: Bool = false) -> [Double] {
        var out = covarianceUpperTriangle(unbiased: unbiased)
        let d = features
        out.withUnsafeMutableBufferPointer { out in
            for i in 0..<d {
                for j in (i + 1)..<d { out[j * d + i] = out[i * d + j] }
            }
        }
        return out
    }

    /// ``covariance(unbiased:)`` in the upper triangle only (row-major; zeros below the diagonal): all
    /// that the eigensolver reads (``Spectrum/init(overwriting:features:samples:)``), without the
    /// strided writes of the mirror.
    func covarianceUpperTriangle(unbiased: Bool = false) -> [Double] {
        locked {
            flushPending()
            let d = features
            var out = [Double](repeating: 0, count: d * d)
            let divisor = unbiased ? n - 1 : n
            guard divisor > 0 else { return out }
            let scale = 1 / Double(divisor)
            out.withUnsafeMutableBufferPointer { out in
                for i in 0..<d {
                    for j in i..<d { out[i * d + j] = moment[i * d + j] * scale }
                }
            }
            return out
        }
    }

    /// The trace Σ Cᵢᵢ of ``covariance(unbiased:)`` (the total variance), without forming the matrix.
    public func covarianceTrace(unbiased: Bool = false) -> Double {
        locked {
            flushPending()
            let divisor = unbiased ? n - 1 : n
            guard divisor > 0 else { return 0 }
            var sum = 0.0
            for i in 0..<features { sum += moment[i * features + i] }
            return sum / Double(divisor)
        }
    }

    /// Forgets every observation (keeps the name, feature count, precision and scratch memory).
    public func reset() {
        locked {
            n = 0
            batches = 0
            pendingRows = 0
            pendingDiagonal = 0
            lastPendingBatchRows = 0
            diagonalBound = 0
            let d = max(features, 1)
            meanState.update(repeating: 0, count: d)
            moment.update(repeating: 0, count: d * d)
        }
    }

    /// Runs `body` while holding the accumulator's lock.
    @inline(__always)
    func locked<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }
}
