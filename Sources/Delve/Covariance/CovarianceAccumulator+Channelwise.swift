import Dispatch
import DelveLinearAlgebra

/// The memory one worker of the channelwise update uses: its batch-local co-moment and mean, the
/// current block's mean and Chan δ, the centred block (float64 or float32) and, in float32 mode, the
/// block's float32 co-moment. Allocated on first use, grown never shrunk, reused by every batch.
/// Sendable because exactly one worker uses a workspace at a time (under the accumulator's lock).
final class ChannelwiseWorkspace: @unchecked Sendable {
    let channels: Int
    let localMoment: UnsafeMutablePointer<Double>   // C×C, upper triangle
    let localMean: UnsafeMutablePointer<Double>     // C
    let blockMean: UnsafeMutablePointer<Double>     // C
    let delta: UnsafeMutablePointer<Double>         // C
    var blockMoment32: UnsafeMutablePointer<Float>? = nil
    /// The channel kernel's block co-moment (C×C, upper triangle) and shift (C); see ``reserveKernel()``.
    var blockMoment64: UnsafeMutablePointer<Double>? = nil
    var shift: UnsafeMutablePointer<Double>? = nil
    var scratch64: UnsafeMutablePointer<Double>? = nil
    var scratch32: UnsafeMutablePointer<Float>? = nil
    private var capacity64 = 0, capacity32 = 0
    /// Observations folded into the local state by the last run.
    var count = 0
    /// The error of the last run, if it stopped on one.
    var failure: CovarianceError? = nil

    init(channels: Int) {
        self.channels = channels
        let c = max(channels, 1)
        localMoment = .allocate(capacity: c * c)
        localMean = .allocate(capacity: c)
        blockMean = .allocate(capacity: c)
        delta = .allocate(capacity: c)
    }

    deinit {
        localMoment.deallocate(); localMean.deallocate(); blockMean.deallocate(); delta.deallocate()
        blockMoment32?.deallocate(); scratch64?.deallocate(); scratch32?.deallocate()
        blockMoment64?.deallocate(); shift?.deallocate()
    }

    /// Makes room for the channel kernel's block co-moment and shift (shapes the kernel takes, C ≤ 128).
    func reserveKernel() {
        if blockMoment64 == nil { blockMoment64 = .allocate(capacity: max(channels * channels, 1)) }
        if shift == nil { shift = .allocate(capacity: max(channels, 1)) }
    }

    /// Makes room for `count` float64 scratch values (float64 mode, and a float32-mode block that does
    /// not fit float32).
    func reserveFloat64(_ count: Int) {
        if scratch64 != nil && capacity64 >= count { return }
        scratch64?.deallocate()
        scratch64 = .allocate(capacity: max(count, 1))
        capacity64 = max(count, 1)
    }

    /// Makes room for `count` float32 scratch values and the float32 block moment (float32 mode).
    func reserveFloat32(_ count: Int) {
        if blockMoment32 == nil { blockMoment32 = .allocate(capacity: max(channels * channels, 1)) }
        if scratch32 != nil && capacity32 >= count { return }
        scratch32?.deallocate()
        scratch32 = .allocate(capacity: max(count, 1))
        capacity32 = max(count, 1)
    }
}

extension CovarianceAccumulator {
    /// NCHW batch×C×S feature maps, one observation per (sample, position).
    ///
    /// The samples are split into one contiguous range per worker (two or more threads when the batch
    /// is large enough and ``BLAS/threadCount`` allows it, as the training's own BLAS calls do: the
    /// rest of a training step keeps both cores busy, this work should too). The workers' `syrk`s run
    /// on one BLAS thread each (``BLAS/concurrentPerform(iterations:_:)``): with the default count, two
    /// workers each waking OpenBLAS's thread pool put four busy threads on two cores, and the waiting
    /// threads' yield loops cost more than the co-moments. Each worker goes through
    /// its range in cache-sized blocks: pass 1 (block mean, finiteness) brings the block into cache,
    /// pass 2 centres it from cache into a C × (block·spatial [+1]) scratch (row ch = channel ch of the
    /// block's observations) and one syrk adds its co-moment — or, for the shapes
    /// ``ChannelComoment/accepts(channels:spatial:)`` takes (up to 128 channels, in either precision),
    /// the channel kernel reads the block, centring and widening each value to float64 once and summing
    /// in float64 (float32 mode where `ChannelComoment.prefersFloat32` holds: centring in float32 and
    /// float32 products, partial sums of at most 256 products added in float64); blocks are combined
    /// with Chan's formula into the worker's local state (the extra scratch column, or for the kernel an
    /// explicit w²·δδᵀ, carries w = √(n_t·n_k/(n_t+n_k))). The
    /// workers' states are combined in range order (Chan again), and merged into the accumulator only
    /// after every block of every worker passed its checks, so a rejected batch leaves it unchanged.
    /// The split depends only on the batch size and the thread count, so results are reproducible.
    func accumulateChannelwise(_ x: UnsafeBufferPointer<Float>, batch: Int, channels: Int, spatial: Int)
        throws(CovarianceError)
    {
        let batchIndex = batches + 1
        // Checked one by one: a literal array of pairs here would be a heap allocation per batch.
        if batch < 0 { throw .invalidSize(layer: name, argument: "batch", value: batch) }
        if channels < 0 { throw .invalidSize(layer: name, argument: "channels", value: channels) }
        if spatial < 0 { throw .invalidSize(layer: name, argument: "spatial", value: spatial) }
        guard channels == features else {
            throw .featureMismatch(layer: name, context: "updateChannelwise (channels of NCHW batch \(batchIndex))",
                                   expected: features, found: channels)
        }
        let (obs, o1) = batch.multipliedReportingOverflow(by: spatial)
        let (expected, o2) = obs.multipliedReportingOverflow(by: channels)
        guard !o1, !o2, obs <= Int(Int32.max) - 1 else {
            throw .invalidSize(layer: name, argument: "batch × spatial", value: o1 ? Int.max : obs)
        }
        guard x.count == expected else {
            throw .bufferSize(layer: name, batch: batchIndex,
                              shape: "batch × channels × spatial = \(batch) × \(channels) × \(spatial)",
                              expected: expected, count: x.count)
        }
        guard obs > 0 else { return }
        let c = channels, s = spatial
        guard c > 0, let src = x.baseAddress else { commitCountOnly(obs); return }

        let chunk = Self.channelwiseChunk(channels: c, spatial: s, batch: batch)
        let workers = Self.channelwiseWorkers(channels: c, observations: obs, batch: batch,
                                              threads: maxChannelwiseThreads ?? BLAS.threadCount,
                                              minimumWork: channelwiseParallelWork)
        while channelwiseWorkspaces.count < workers { channelwiseWorkspaces.append(ChannelwiseWorkspace(channels: c)) }
        // Float32 scratch up front; the float64 scratch is reserved per block where it is used (float64
        // mode, and float32-mode blocks redone in float64). Both grow once and are reused.
        if Self.usesChannelKernel(channels: c, spatial: s) {
            for w in 0..<workers { channelwiseWorkspaces[w].reserveKernel() }
        } else if precision == .float32 {
            for w in 0..<workers { channelwiseWorkspaces[w].reserveFloat32(c * chunk * s) }
        }

        if workers == 1 {
            runChannelwise(src, samples: 0..<batch, channels: c, spatial: s, chunk: chunk, batchIndex: batchIndex,
                           into: channelwiseWorkspaces[0])
        } else {
            // The workspaces array is not touched while the workers run; each worker owns one workspace.
            // One BLAS thread per worker (see above); the source is only read. The split is the
            // accumulator's own job object, handed to the helper threads without allocating.
            let split = channelwiseSplit
            split.prepare(src, batch: batch, workers: workers, channels: c, spatial: s, chunk: chunk, batchIndex: batchIndex)
            BLAS.concurrentPerform(iterations: workers, job: split)
            split.finish()
        }
        // The first failing worker in sample order reports (its error names the earliest bad value it saw).
        for w in 0..<workers {
            if let failure = channelwiseWorkspaces[w].failure { throw failure }
        }
        // Combine the workers' states in range order into workspace 0 (Chan).
        let first = channelwiseWorkspaces[0]
        for w in 1..<workers {
            let other = channelwiseWorkspaces[w]
            guard other.count > 0 else { continue }
            Self.combine(features: c, count: first.count, mean: first.localMean, moment: first.localMoment,
                         with: other.count, mean: other.localMean, moment: other.localMoment, delta: first.delta)
            first.count += other.count
        }
        // Every block passed: merge the batch-local state into the accumulator (Chan).
        for ch in 0..<c { batchMean[ch] = first.localMean[ch] }
        let weight = prepareDelta(batchRows: obs)
        var localDiagonal = 0.0
        for ch in 0..<c {
            let v = first.localMoment[ch * c + ch]
            guard v.isFinite else { throw .overflow(layer: name, batch: batchIndex) }
            localDiagonal = max(localDiagonal, v)
        }
        try checkMagnitude(maxAbs: 0, rows: obs, weight: weight, batchIndex: batchIndex, extraDiagonal: localDiagonal)
        let w2 = weight * weight
        for r in 0..<c {
            let dr = delta[r] * w2
            for col in r..<c { moment[r * c + col] += first.localMoment[r * c + col] + dr * delta[col] }
        }
        commit(batchRows: obs)
    }

    /// How many workers share a channelwise batch: one per thread allowed, but only when each gets at
    /// least two samples and enough work (`minimumWork`, by default 2²² multiply-adds) to pay for the
    /// hand-off.
    static func channelwiseWorkers(channels c: Int, observations: Int, batch: Int, threads: Int,
                                   minimumWork: Double) -> Int {
        let work = Double(observations) * Double(c) * Double(c) / 2
        guard threads > 1, work >= minimumWork else { return 1 }
        return max(1, min(threads, batch / 2))
    }

    /// Whether blocks of this shape go through the channel co-moment kernel (``ChannelComoment``) in
    /// both precisions instead of centring into scratch and a BLAS syrk.
    static func usesChannelKernel(channels c: Int, spatial s: Int) -> Bool {
        ChannelComoment.accepts(channels: c, spatial: s)
    }

    /// One worker: samples `range` of the batch, block by block, into `space`'s local state. Reads only
    /// the accumulator's immutable settings, so several run at once on disjoint workspaces.
    fileprivate func runChannelwise(_ src: UnsafePointer<Float>, samples range: Range<Int>, channels c: Int, spatial s: Int,
                                chunk: Int, batchIndex: Int, into space: ChannelwiseWorkspace) {
        space.failure = nil
        space.count = 0
        let localMoment = space.localMoment, localMean = space.localMean
        let blockMean = space.blockMean, delta = space.delta
        localMoment.update(repeating: 0, count: c * c)
        let useKernel = Self.usesChannelKernel(channels: c, spatial: s)
        var localCount = 0
        var start = range.lowerBound
        while start < range.upperBound {
            let m = min(chunk, range.upperBound - start), columns = m * s
            let finite: Bool
            if useKernel {
                // One pass: the kernel's shifted co-moment and sums give the block's mean and co-moment.
                let next = min(chunk, range.upperBound - start - m)
                finite = Self.kernelBlock(src, samples: start..<(start + m), channels: c, spatial: s,
                                          runningMean: localCount > 0 ? UnsafePointer(localMean) : nil,
                                          float32: precision == .float32
                                            && ChannelComoment.prefersFloat32(channels: c, spatial: s),
                                          ahead: UnsafeBufferPointer(start: src + (start + m) * c * s, count: next * c * s),
                                          into: space)
            } else {
                // Pass 1 (block): per-channel sums shifted by the channel's first value in the block, read
                // in memory order (sample by sample: one sequential stream the prefetcher follows).
                for ch in 0..<c {
                    delta[ch] = Double(src[(start * c + ch) * s])   // the shift (δ is set after this pass)
                    blockMean[ch] = 0
                }
                for i in 0..<m {
                    for ch in 0..<c {
                        blockMean[ch] += Self.shiftedSum(src + ((start + i) * c + ch) * s, count: s, shift: delta[ch])
                    }
                }
                for ch in 0..<c { blockMean[ch] = delta[ch] + blockMean[ch] / Double(columns) }
                finite = (0..<c).allSatisfy({ blockMean[$0].isFinite })
            }
            if !finite {
                space.failure = firstNonFinite(src, samples: start..<(start + m), channels: c, spatial: s, batchIndex: batchIndex)
                return
            }
            // Chan weight of this block against the blocks before it.
            let total = localCount + columns
            let weight = localCount == 0 ? 0 : (Double(localCount) * Double(columns) / Double(total)).squareRoot()
            for ch in 0..<c { delta[ch] = localCount == 0 ? 0 : blockMean[ch] - localMean[ch] }
            // Pass 2 (block, from cache): the co-moment centred on the block mean, then Chan's w²·δδᵀ.
            // Shapes the channel kernel takes (either precision): its block co-moment, already centred.
            // Otherwise centre into scratch and one syrk; in float32 mode a block whose products do not
            // fit float32 (a diagonal entry is ∞) is done again in float64.
            if useKernel, let bm = space.blockMoment64 {
                let w2 = weight * weight
                for r in 0..<c {
                    let dr = delta[r] * w2
                    for col in r..<c { localMoment[r * c + col] += bm[r * c + col] + dr * delta[col] }
                }
            } else if precision == .float32,
               let m32 = Self.blockMomentFloat32(src, samples: start..<(start + m), channels: c, spatial: s,
                                                 mean: blockMean, into: space) {
                let w2 = weight * weight
                for r in 0..<c {
                    let dr = delta[r] * w2
                    for col in r..<c { localMoment[r * c + col] += Double(m32[r * c + col]) + dr * delta[col] }
                }
            } else {
                Self.addBlockMomentFloat64(src, samples: start..<(start + m), channels: c, spatial: s,
                                           mean: blockMean, chanRow: weight > 0 ? weight : nil, into: space)
            }
            if localCount == 0 {
                for ch in 0..<c { localMean[ch] = blockMean[ch] }
            } else {
                let shift = Double(columns) / Double(total)
                for ch in 0..<c { localMean[ch] += (blockMean[ch] - localMean[ch]) * shift }
            }
            localCount = total
            start += m
        }
        space.count = localCount
    }

    /// The block's mean (`blockMean`) and centred co-moment (`blockMoment64`, upper triangle) through the
    /// channel kernel in one read of the block: centred on a shift s known beforehand — the worker's
    /// running mean, or for its first block the mean of the block's first sample — the kernel returns
    /// S = Σ (x − s)(x − s)ᵀ and t = Σ (x − s); the block's mean is s + t/n and its centred co-moment
    /// S − t tᵀ/n (shifted data, Chan, Golub & LeVeque 1983, "Algorithms for computing the sample
    /// variance"): against two-pass, the rounding error grows by κ = 1 + (x̄ − s)²/σ² per channel. The
    /// shift keeps that relative to what is accumulated: the first sample's mean is ≤ √(m − 1)·σ from x̄
    /// (m samples in the block, σ² = diagonal / n), and the running mean's distance enters the worker's
    /// co-moment through Chan's merge term n_a·n/(n_a + n)·(x̄ − s)² ≥ n(x̄ − s)²/2 (n_a ≥ n), so the error
    /// stays within a small multiple of the two-pass one relative to the accumulated diagonal. False
    /// when a sum is not finite (a NaN, ±∞ or overflow). `delta` holds t on return (the caller
    /// overwrites it with δ). `float32` (float32 mode where `ChannelComoment.prefersFloat32` holds;
    /// elsewhere float32 mode runs the float64 kernel): the first block's shift is the mean of all its
    /// samples (κ ≈ 1; float32's rounding would make the first sample's κ ≤ m visible), the shift is
    /// rounded to float32 and the products are float32 (`ChannelComoment.addInFloat32`); a block whose
    /// float32 partials are not finite is redone in float64. `ahead`: the worker's next block
    /// (prefetched by the float64 kernel while its last tiles run).
    private static func kernelBlock(_ src: UnsafePointer<Float>, samples: Range<Int>, channels c: Int, spatial s: Int,
                                    runningMean: UnsafePointer<Double>?, float32: Bool, ahead: UnsafeBufferPointer<Float>,
                                    into space: ChannelwiseWorkspace) -> Bool {
        guard let shift = space.shift, let bm = space.blockMoment64 else { return false }
        let first = src + samples.lowerBound * c * s, t = space.delta, mean = space.blockMean
        if let runningMean {
            shift.update(from: runningMean, count: c)
        } else {
            // Float32 mode's first block: the mean of all its samples (one more read of the block).
            let head = float32 ? samples.count : 1
            for ch in 0..<c {
                let x0 = Double(first[ch * s])
                var sum = 0.0
                for i in 0..<head { sum += shiftedSum(first + (i * c + ch) * s, count: s, shift: x0) }
                shift[ch] = x0 + sum / Double(head * s)
                guard shift[ch].isFinite else { return false }
            }
        }
        bm.update(repeating: 0, count: c * c)
        t.update(repeating: 0, count: c)
        var done = false
        if float32 {
            // A shift that rounds to ±∞ in float32 stays as it is (the kernel then declines: float64).
            for ch in 0..<c where Float(shift[ch]).isFinite { shift[ch] = Double(Float(shift[ch])) }
            done = ChannelComoment.addInFloat32(first, samples: samples.count, channels: c, spatial: s, shift: shift,
                                                moment: bm, ldm: c, sums: t)
            if !done {
                bm.update(repeating: 0, count: c * c)
                t.update(repeating: 0, count: c)
            }
        }
        if !done {
            ChannelComoment.add(first, samples: samples.count, channels: c, spatial: s, mean: shift, moment: bm, ldm: c,
                                sums: t, ahead: ahead)
        }
        let n = Double(samples.count * s)
        for ch in 0..<c {
            mean[ch] = shift[ch] + t[ch] / n
            guard mean[ch].isFinite else { return false }
        }
        for r in 0..<c {
            let dr = t[r] / n
            for col in r..<c { bm[r * c + col] -= dr * t[col] }
        }
        return true
    }

    /// Adds the centred co-moment of `samples` (NCHW, centred on `mean`) to the worker's local moment with
    /// one float64 syrk; `chanRow`, when given, scales δ into the extra column (Chan's merge term).
    private static func addBlockMomentFloat64(_ src: UnsafePointer<Float>, samples: Range<Int>, channels c: Int,
                                              spatial s: Int, mean: UnsafePointer<Double>, chanRow: Double?,
                                              into space: ChannelwiseWorkspace) {
        let columns = samples.count * s, ld = columns + 1
        space.reserveFloat64(c * ld)
        let a = space.scratch64!
        centreBlock(src, samples: samples, channels: c, spatial: s, mean: mean, into: a, rowStride: ld)
        for ch in 0..<c { a[ch * ld + columns] = (chanRow ?? 0) * space.delta[ch] }
        let k = chanRow == nil ? columns : columns + 1
        BLAS.syrk(.upper, .none, n: c, k: k, alpha: 1, a: a, lda: ld, beta: 1, c: space.localMoment, ldc: c)
    }

    /// The centred co-moment of `samples` in float32 (one ssyrk into the workspace's float32 block), or
    /// nil when it does not fit float32 (a diagonal entry, the largest of its row and column, is ∞).
    private static func blockMomentFloat32(_ src: UnsafePointer<Float>, samples: Range<Int>, channels c: Int,
                                           spatial s: Int, mean: UnsafePointer<Double>,
                                           into space: ChannelwiseWorkspace) -> UnsafePointer<Float>? {
        let columns = samples.count * s
        guard let a = space.scratch32, let m32 = space.blockMoment32 else { return nil }
        centreBlock(src, samples: samples, channels: c, spatial: s, mean: mean, into: a, rowStride: columns)
        BLAS.syrk(.upper, .none, n: c, k: columns, alpha: 1, a: a, lda: columns, beta: 0, c: m32, ldc: c)
        return (0..<c).allSatisfy({ m32[$0 * c + $0].isFinite }) ? UnsafePointer(m32) : nil
    }

    /// Writes the NCHW `samples` centred on the per-channel `mean` into `a`, channel by channel: row ch
    /// (`rowStride` values apart) holds channel ch's observations, sample after sample.
    @inline(__always)
    private static func centreBlock<U: CentredValue>(_ src: UnsafePointer<Float>, samples: Range<Int>, channels c: Int,
                                                     spatial s: Int, mean: UnsafePointer<Double>,
                                                     into a: UnsafeMutablePointer<U>, rowStride: Int) {
        for ch in 0..<c {
            let mu = mean[ch], out = a + ch * rowStride
            for (i, sample) in samples.enumerated() {
                let run = src + (sample * c + ch) * s, dst = out + i * s
                for p in 0..<s { dst[p] = U(centred: Double(run[p]) - mu) }
            }
        }
    }

    /// The error for the first non-finite value (in observation order) of the given samples, or
    /// `.overflow` when all are finite but their sum is not.
    private func firstNonFinite(_ src: UnsafePointer<Float>, samples: Range<Int>, channels c: Int, spatial s: Int,
                                batchIndex: Int) -> CovarianceError {
        for b in samples {
            for p in 0..<s {
                for ch in 0..<c where !src[(b * c + ch) * s + p].isFinite {
                    return .nonFinite(layer: name, batch: batchIndex, row: b * s + p, feature: ch,
                                      value: Double(src[(b * c + ch) * s + p]))
                }
            }
        }
        return .overflow(layer: name, batch: batchIndex)
    }
}

/// One channelwise batch split by sample ranges across workers, as a ``ParallelJob`` that the
/// accumulator keeps (``CovarianceAccumulator/channelwiseSplit``): `prepare` sets the batch, worker `w`
/// runs its range into workspace `w`, and `finish` drops the batch's pointer.
final class ChannelwiseSplit: ParallelJob, @unchecked Sendable {   // set and cleared under the accumulator's lock
    unowned let owner: CovarianceAccumulator
    private var source: UnsafePointer<Float>?
    private var batch = 0, workers = 1, channels = 0, spatial = 0, chunk = 0, batchIndex = 0

    init(owner: CovarianceAccumulator) { self.owner = owner }

    func prepare(_ source: UnsafePointer<Float>, batch: Int, workers: Int, channels: Int, spatial: Int,
                 chunk: Int, batchIndex: Int) {
        self.source = source
        (self.batch, self.workers, self.channels, self.spatial, self.chunk, self.batchIndex) =
            (batch, workers, channels, spatial, chunk, batchIndex)
    }

    func finish() { source = nil }

    func run(_ w: Int) {
        guard let source else { return }
        let range = (batch * w / workers)..<(batch * (w + 1) / workers)
        owner.runChannelwise(source, samples: range, channels: channels, spatial: spatial, chunk: chunk,
                             batchIndex: batchIndex, into: owner.channelwiseWorkspaces[w])
    }
}
