extension CovarianceAccumulator {
    /// Adds a batch given by its moments — `count` observations, their float64 `mean` (D values) and
    /// their centred co-moment Σ (x − mean)(x − mean)ᵀ (D×D row-major; only the upper triangle is read) —
    /// exactly as if its rows had been given to ``update(_:rows:)-(UnsafeBufferPointer<Double>,_)``
    /// (Chan et al.'s combination). For moments computed elsewhere, e.g. on an accelerator.
    ///
    /// Throws without changing the state when a buffer has the wrong size, `count` is negative, a value
    /// is NaN or ±∞, or the combined co-moment could overflow. `count == 0` is a no-op.
    public func merge(count: Int, mean: UnsafeBufferPointer<Double>, comoment: UnsafeBufferPointer<Double>)
        throws(CovarianceError)
    {
        try locked { () throws(CovarianceError) in
            let d = features
            let batchIndex = batches + 1
            guard count >= 0 else { throw .invalidSize(layer: name, argument: "count", value: count) }
            guard mean.count == d else {
                throw .bufferSize(layer: name, batch: batchIndex, shape: "mean = features", expected: d, count: mean.count)
            }
            guard comoment.count == d * d else {
                throw .bufferSize(layer: name, batch: batchIndex, shape: "co-moment = features × features",
                                  expected: d * d, count: comoment.count)
            }
            guard count > 0 else { return }
            guard d > 0, let meanB = mean.baseAddress, let momentB = comoment.baseAddress else {
                commitCountOnly(count)
                return
            }
            var maxDiagonal = 0.0
            for i in 0..<d {
                guard meanB[i].isFinite else {
                    throw .nonFinite(layer: name, batch: batchIndex, row: -1, feature: i, value: meanB[i])
                }
                for j in i..<d where !momentB[i * d + j].isFinite {
                    throw .nonFinite(layer: name, batch: batchIndex, row: i, feature: j, value: momentB[i * d + j])
                }
                maxDiagonal = max(maxDiagonal, abs(momentB[i * d + i]))
            }
            for j in 0..<d { delta[j] = meanB[j] - meanState[j] }
            let weight = n > 0 ? (Double(n) * Double(count) / Double(n + count)).squareRoot() : 0
            try checkMagnitude(maxAbs: 0, rows: 0, weight: weight, batchIndex: batchIndex, extraDiagonal: maxDiagonal)
            Self.combine(features: d, count: n, mean: meanState, moment: moment, with: count, mean: meanB,
                         moment: momentB, delta: delta)
            n += count
            batches += 1
        }
    }
}
