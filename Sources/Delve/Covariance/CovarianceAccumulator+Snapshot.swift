import Foundation

extension CovarianceAccumulator {
    /// An empty accumulator like this one: same features, name, precision and tuning (pending rows,
    /// blocking, channelwise threads), so that it accumulates the next batches exactly as this one would
    /// after ``reset()``. For the background epoch end, which hands the full accumulator to its solve.
    func emptyCopy() -> CovarianceAccumulator {
        let copy = CovarianceAccumulator(features: features, name: name, precision: precision)
        locked {
            copy.maxPendingRows = maxPendingRows
            copy.maxRowsPerBlock = maxRowsPerBlock
            copy.maxChannelwiseThreads = maxChannelwiseThreads
            copy.channelwiseParallelWork = channelwiseParallelWork
        }
        return copy
    }

    /// A copy of the accumulated state (n, μ, M; pending rows are first added to M, as reading the
    /// covariance would) with this accumulator's tuning; this one keeps its state. For the background
    /// epoch end when the covariance is not reset: the solve reads the copy while batches go on here.
    func stateCopy() -> CovarianceAccumulator {
        let copy = emptyCopy()
        locked {
            flushPending()
            let d = max(features, 1)
            copy.meanState.update(from: meanState, count: d)
            copy.moment.update(from: moment, count: d * d)
            copy.n = n
            copy.batches = batches
            copy.diagonalBound = diagonalBound
        }
        return copy
    }
}
