import DelveLinearAlgebra

/// An element type a batch may be given in (float32 or float64), widened to float64 for the statistics.
protocol CovarianceInput {
    /// The value as float64.
    var asDouble: Double { get }
    /// Whether finite values of this type can square to more than float64 can hold (only float64 can).
    static var canOverflowSquares: Bool { get }
}

extension Float: CovarianceInput {
    @inline(__always) var asDouble: Double { Double(self) }
    static var canOverflowSquares: Bool { false }
}

extension Double: CovarianceInput {
    @inline(__always) var asDouble: Double { self }
    static var canOverflowSquares: Bool { true }
}

/// The element type the centred rows are stored in before their syrk: float64, or float32 in
/// ``AccumulationPrecision/float32`` mode.
protocol CentredValue {
    /// The centred value, rounded to this type.
    init(centred value: Double)
}

extension Double: CentredValue {
    @inline(__always) init(centred value: Double) { self = value }
}

extension Float: CentredValue {
    @inline(__always) init(centred value: Double) { self = Float(value) }
}

// The per-batch work. Every function here runs with `lock` held and changes the state only in
// `commit`, after every check has passed, so a rejected batch leaves the accumulator unchanged.
extension CovarianceAccumulator {
    /// Largest k a BLAS call accepts (32-bit BLAS integers).
    private static var maxBLASRows: Int { Int(Int32.max) - 1 }

    /// Row-major rows×D batch.
    func accumulateRows<T: CovarianceInput>(_ x: UnsafeBufferPointer<T>, rows: Int) throws(CovarianceError) {
        let d = features
        let batchIndex = batches + 1
        guard rows >= 0, rows <= Self.maxBLASRows else {
            throw .invalidSize(layer: name, argument: "rows", value: rows)
        }
        let (expected, overflow) = rows.multipliedReportingOverflow(by: d)
        guard !overflow, x.count == expected else {
            throw .bufferSize(layer: name, batch: batchIndex, shape: "rows × features = \(rows) × \(d)",
                              expected: overflow ? Int.max : expected, count: x.count)
        }
        guard rows > 0 else { return }
        guard d > 0, let src = x.baseAddress else { commitCountOnly(rows); return }

        // Pass 1: the batch mean (float64), which is also the finiteness check. The sums are taken
        // relative to the first row (shifted data), so a large common offset does not cost digits.
        // For float64 input it also bounds the centred values (|x − μ_b| ≤ 2·max|x − first row|),
        // for the overflow check. The shift is kept in the δ buffer, which `prepareDelta` fills only
        // after its last use (the scratch may hold pending rows).
        let first = delta
        for j in 0..<d { first[j] = src[j].asDouble }
        let sums = batchMean   // local copies of the pointers keep the inner loops free of `self`
        sums.update(repeating: 0, count: d)
        var maxShifted = 0.0
        var r = 1
        while r + 4 <= rows {   // four rows per sweep: a quarter of the read-modify-writes of `sums`
            let r0 = src + r * d, r1 = r0 + d, r2 = r1 + d, r3 = r2 + d
            for j in 0..<d {
                let f = first[j]
                sums[j] += ((r0[j].asDouble - f) + (r1[j].asDouble - f)) + ((r2[j].asDouble - f) + (r3[j].asDouble - f))
            }
            r += 4
        }
        while r < rows {
            let row = src + r * d
            for j in 0..<d { sums[j] += row[j].asDouble - first[j] }
            r += 1
        }
        if T.canOverflowSquares {
            for r in 1..<rows {
                let row = src + r * d
                for j in 0..<d { maxShifted = max(maxShifted, abs(row[j].asDouble - first[j])) }
            }
        }
        let inverseRows = 1 / Double(rows)
        for j in 0..<d { batchMean[j] = first[j] + batchMean[j] * inverseRows }
        if !(0..<d).allSatisfy({ batchMean[$0].isFinite }) || !maxShifted.isFinite {
            for r in 0..<rows {
                for j in 0..<d where !src[r * d + j].asDouble.isFinite {
                    throw .nonFinite(layer: name, batch: batchIndex, row: r, feature: j, value: src[r * d + j].asDouble)
                }
            }
            throw .overflow(layer: name, batch: batchIndex)
        }
        let weight = prepareDelta(batchRows: rows)
        let maxCentred = 2 * maxShifted
        let added = try checkMagnitude(maxAbs: maxCentred, rows: rows, weight: weight, batchIndex: batchIndex)

        // Pass 2: the batch, centred on its mean, plus the extra row √(n_a·n_b/n)·δ of Chan's merge,
        // joins the pending rows; their syrk runs when the next batch would not fit or when the
        // co-moment is read (`flushPending`). A batch of more than half the buffer goes through
        // cache-sized blocks of rows at once, one syrk each while the block is in cache (the sum of the
        // blocks' products is the batch's co-moment).
        // In float32 mode a batch whose centred values do not fit float32's squares is done in float64.
        let useFloat32 = precision == .float32
            && maxCentred <= Double(Float.greatestFiniteMagnitude).squareRoot()
        let k = rows + (weight > 0 ? 1 : 0)
        let joins = 2 * k <= maxPendingRows
        if pendingRows > 0 && (pendingRows + k > maxPendingRows || pendingFloat32 != useFloat32 || !joins) {
            flushPending()
        }
        if joins {
            if useFloat32 {
                _ = moment32Buffer()   // allocated with the rows, not at the first flush (no allocation later)
                appendPending(src, rows: rows, weight: weight, to: pendingBuffer(scratchFloat))
            } else {
                appendPending(src, rows: rows, weight: weight, to: pendingBuffer(scratchDouble))
            }
            pendingRows += k
            lastPendingBatchRows = k
            pendingFloat32 = useFloat32
            pendingDiagonal += added
        } else {
            let block = min(Self.rowBlock(features: d, rows: rows), maxRowsPerBlock)
            if useFloat32, let c = centredMomentFloat32(src, rows: rows, block: block, weight: weight) {
                addMoment32(c)
            } else {
                addCentredMomentFloat64(src, rows: rows, block: block, weight: weight)
            }
        }
        commit(batchRows: rows)
    }

    /// The scratch that holds the pending rows, reserved for ``maxPendingRows`` rows on first use (it
    /// is not grown while rows are pending, so nothing pending is lost).
    private func pendingBuffer<U>(_ scratch: (Int) -> UnsafeMutablePointer<U>) -> UnsafeMutablePointer<U> {
        scratch(maxPendingRows * features)
    }

    /// Writes the centred batch and, when `weight` > 0, Chan's row w·δ after the pending rows.
    private func appendPending<T: CovarianceInput, U: CentredValue>(_ src: UnsafePointer<T>, rows: Int, weight: Double,
                                                                   to buffer: UnsafeMutablePointer<U>) {
        let out = buffer + pendingRows * features
        centre(src, rows: 0..<rows, into: out)
        if weight > 0 { writeDeltaRow(weight: weight, into: out + rows * features) }
    }

    /// The syrk work (rows · D², in multiply-adds of the full square) of the pending rows once at least
    /// half of ``maxPendingRows`` wait (otherwise 0), and whether the buffer is full: another batch of
    /// the last one's size would not fit. A tracker flushes such accumulators of several layers side by
    /// side (``flushPendingRows()``) once one of them is full: one single-thread `syrk` per layer on
    /// each core beats the layers' multi-threaded `syrk`s one after the other, and flushing only full
    /// buffers halves the flushes (each reads and writes the D×D triangle, which the training between
    /// flushes pushes out of the caches).
    var pendingReadiness: (work: Double, full: Bool) {
        locked {
            guard pendingRows * 2 >= maxPendingRows else { return (0, false) }
            return (Double(pendingRows) * Double(features) * Double(features),
                    pendingRows + lastPendingBatchRows > maxPendingRows)
        }
    }

    /// Runs the pending rows' syrk now (see ``flushPending()``). Where the rows are split between syrks
    /// changes only the rounding of the float64 sums.
    func flushPendingRows() {
        locked { flushPending() }
    }

    /// Adds the pending rows' products to the co-moment with one syrk and empties them. Every reader
    /// of `moment` calls it first (the mean and count are already up to date). In float32 mode a
    /// result with ∞ on its diagonal (the largest entry of each row and column) is redone in float64.
    func flushPending() {
        guard pendingRows > 0 else { return }
        let d = features, k = pendingRows
        pendingRows = 0
        pendingDiagonal = 0
        lastPendingBatchRows = 0
        guard pendingFloat32 else {
            BLAS.syrk(.upper, .transpose, n: d, k: k, alpha: 1, a: scratch64!, lda: d, beta: 1, c: moment, ldc: d)
            return
        }
        let rows32 = scratch32!, c = moment32Buffer()
        BLAS.syrk(.upper, .transpose, n: d, k: k, alpha: 1, a: rows32, lda: d, beta: 0, c: c, ldc: d)
        if (0..<d).allSatisfy({ c[$0 * d + $0].isFinite }) {
            addMoment32(c)
            return
        }
        let wide = scratchDouble(count: k * d)
        for i in 0..<(k * d) { wide[i] = Double(rows32[i]) }
        BLAS.syrk(.upper, .transpose, n: d, k: k, alpha: 1, a: wide, lda: d, beta: 1, c: moment, ldc: d)
    }

    /// Writes rows `range` of `src`, centred on the batch mean, to `out` (D values per row).
    @inline(__always)
    private func centre<T: CovarianceInput, U: CentredValue>(_ src: UnsafePointer<T>, rows range: Range<Int>,
                                                             into out: UnsafeMutablePointer<U>) {
        let d = features, mu = batchMean
        for r in range {
            let row = src + r * d, o = out + (r - range.lowerBound) * d
            for j in 0..<d { o[j] = U(centred: row[j].asDouble - mu[j]) }
        }
    }

    /// Writes Chan's extra row w·δ (w = √(n_a·n_b/n)) to `out`.
    @inline(__always)
    private func writeDeltaRow<U: CentredValue>(weight: Double, into out: UnsafeMutablePointer<U>) {
        for j in 0..<features { out[j] = U(centred: weight * delta[j]) }
    }

    /// Adds the batch's centred co-moment (and Chan's δ row) to `moment` with float64 syrks, one per
    /// block of rows (for batches too large to be pending).
    private func addCentredMomentFloat64<T: CovarianceInput>(_ src: UnsafePointer<T>, rows: Int, block: Int, weight: Double) {
        let d = features
        let a = scratchDouble(count: (block + 1) * d)
        forEachCentredBlock(src, rows: rows, block: block, weight: weight, in: a) { k, _ in
            BLAS.syrk(.upper, .transpose, n: d, k: k, alpha: 1, a: a, lda: d, beta: 1, c: moment, ldc: d)
        }
    }

    /// The batch's centred co-moment (and Chan's δ row) in float32 with ssyrks, in the float32 buffer;
    /// nil when it does not fit float32 (a diagonal entry, the largest of its row and column, is ∞).
    private func centredMomentFloat32<T: CovarianceInput>(_ src: UnsafePointer<T>, rows: Int, block: Int,
                                                          weight: Double) -> UnsafeMutablePointer<Float>? {
        let d = features
        let a = scratchFloat(count: (block + 1) * d)
        let c = moment32Buffer()
        forEachCentredBlock(src, rows: rows, block: block, weight: weight, in: a) { k, first in
            BLAS.syrk(.upper, .transpose, n: d, k: k, alpha: 1, a: a, lda: d, beta: first ? 0 : 1, c: c, ldc: d)
        }
        return (0..<d).allSatisfy({ c[$0 * d + $0].isFinite }) ? c : nil
    }

    /// Centres the batch into `a` one block of `block` rows at a time, with Chan's row w·δ after the
    /// first block when `weight` > 0, and hands each block's row count to `addBlock` (with whether it
    /// is the first block), which adds its products.
    @inline(__always)
    private func forEachCentredBlock<T: CovarianceInput, U: CentredValue>(
        _ src: UnsafePointer<T>, rows: Int, block: Int, weight: Double, in a: UnsafeMutablePointer<U>,
        _ addBlock: (_ k: Int, _ first: Bool) -> Void
    ) {
        var start = 0
        while start < rows {
            let m = min(block, rows - start)
            centre(src, rows: start..<(start + m), into: a)
            var k = m
            if start == 0 && weight > 0 {
                writeDeltaRow(weight: weight, into: a + m * features)
                k = m + 1
            }
            addBlock(k, start == 0)
            start += m
        }
    }

    /// Rows per block of the row-major update: about 256 Ki float64 values (2 MB, cache-sized), but at
    /// least 256 rows so that each syrk does enough work for its pass over the D×D triangle.
    static func rowBlock(features d: Int, rows: Int) -> Int {
        max(1, min(rows, max(256, (1 << 18) / max(d, 1))))
    }

    /// Σ (pᵢ − shift) over `count` floats, in float64 with eight independent partial sums (a single
    /// running sum would be bound by the latency of one addition per element): lane k of the vector sum
    /// adds the elements i ≡ k (mod 8) in order, then the lanes are added pairwise.
    @inline(__always)
    static func shiftedSum(_ p: UnsafePointer<Float>, count: Int, shift: Double) -> Double {
        let shiftVector = SIMD8<Double>(repeating: shift)
        var lanes = SIMD8<Double>()
        var i = 0
        while i + 8 <= count {
            let x = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
            lanes += SIMD8<Double>(x) - shiftVector
            i += 8
        }
        var sum = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]))
        while i < count {
            sum += Double(p[i]) - shift
            i += 1
        }
        return sum
    }

    /// Samples per block of the channelwise update: about 64 Ki values (512 KB in float64, cache-sized),
    /// but at least max(256, C) observations per syrk so that each call does enough work.
    static func channelwiseChunk(channels c: Int, spatial s: Int, batch: Int) -> Int {
        let bySize = (1 << 16) / max(c * s, 1)
        let byWork = (max(256, c) + s - 1) / max(s, 1)
        return max(1, min(batch, max(bySize, byWork)))
    }

    /// δ = μ_b − μ_a into `delta`; returns √(n_a·n_b/n), the weight of δ in the co-moment (0 for the first batch).
    func prepareDelta(batchRows nb: Int) -> Double {
        for j in 0..<features { delta[j] = batchMean[j] - meanState[j] }
        guard n > 0 else { return 0 }
        return (Double(n) * Double(nb) / Double(n + nb)).squareRoot()
    }

    /// Throws `.overflow` when the updated co-moment could exceed float64's range (checked before any
    /// change); returns the bound on what the batch adds to a diagonal entry. The pending rows count
    /// with their own bound, since their products are not in `moment` yet. The caller applies the
    /// change once this returns, and ``diagonalBound`` grows by the returned bound: the diagonal (D
    /// entries a row apart, a cache line each) is read only when that bound is not conclusive.
    @discardableResult
    func checkMagnitude(maxAbs: Double, rows: Int, weight: Double, batchIndex: Int,
                        extraDiagonal: Double = 0) throws(CovarianceError) -> Double {
        var maxDelta = 0.0
        for j in 0..<features { maxDelta = max(maxDelta, abs(delta[j])) }
        let added = maxAbs * maxAbs * Double(rows) + (weight * maxDelta) * (weight * maxDelta) + extraDiagonal
        let limit = Double.greatestFiniteMagnitude / 4
        if !(added + diagonalBound < limit) {
            var maxDiagonal = 0.0
            for j in 0..<features { maxDiagonal = max(maxDiagonal, moment[j * features + j]) }
            guard added + maxDiagonal + pendingDiagonal < limit else {
                throw .overflow(layer: name, batch: batchIndex)
            }
            diagonalBound = maxDiagonal + pendingDiagonal
        }
        diagonalBound += added
        return added
    }

    /// M ← M + C32 on the upper triangle (float32 mode; C32 already holds Chan's w²·δδᵀ through the
    /// extra row of the syrk).
    private func addMoment32(_ c: UnsafeMutablePointer<Float>) {
        let d = features
        for i in 0..<d {
            let mRow = moment + i * d, cRow = c + i * d
            for j in i..<d { mRow[j] += Double(cRow[j]) }
        }
    }

    /// Updates the mean, count and batch count after the co-moment has been updated.
    func commit(batchRows nb: Int) {
        let shift = Double(nb) / Double(n + nb)
        for j in 0..<features { meanState[j] += delta[j] * shift }
        n += nb
        batches += 1
    }

    /// For D = 0: only the counts change.
    func commitCountOnly(_ nb: Int) {
        n += nb
        batches += 1
    }

    /// The float64 scratch, grown (never shrunk) to hold `count` values.
    private func scratchDouble(count: Int) -> UnsafeMutablePointer<Double> {
        if let p = scratch64, scratch64Capacity >= count { return p }
        scratch64?.deallocate()
        let p = UnsafeMutablePointer<Double>.allocate(capacity: max(count, 1))
        scratch64 = p
        scratch64Capacity = max(count, 1)
        return p
    }

    /// The float32 scratch, grown (never shrunk) to hold `count` values.
    private func scratchFloat(count: Int) -> UnsafeMutablePointer<Float> {
        if let p = scratch32, scratch32Capacity >= count { return p }
        scratch32?.deallocate()
        let p = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
        scratch32 = p
        scratch32Capacity = max(count, 1)
        return p
    }

    /// The D×D float32 batch co-moment buffer (float32 mode), allocated once.
    private func moment32Buffer() -> UnsafeMutablePointer<Float> {
        if let p = moment32 { return p }
        let d = max(features, 1)
        let p = UnsafeMutablePointer<Float>.allocate(capacity: d * d)
        p.initialize(repeating: 0, count: d * d)
        moment32 = p
        return p
    }
}
