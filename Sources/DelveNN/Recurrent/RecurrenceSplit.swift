import DelveLinearAlgebra

/// Runs a recurrence over the timesteps split by samples: every sample's recurrence is independent of
/// the others', so the batch is cut into contiguous row ranges and each thread runs ALL the timesteps
/// of its range, with its own per-step gemms on one BLAS thread.
///
/// One timestep of a batch-128, hidden-128 LSTM is a 128×128·128×512 gemm and a gate loop: too little
/// work to split across BLAS threads and worker threads at every step (the threads synchronise twice per
/// step and mostly wait). Splitting by samples synchronises once per sequence instead. The per-element
/// arithmetic is the same either way (a gemm row does not depend on the other rows), so the results
/// are identical to the unsplit recurrence.
enum RecurrenceSplit {
    /// Fewest samples per range (smaller ranges make the per-step gemms inefficient).
    static let minimumRows = 16

    /// The number of sample ranges for a batch of `batch` samples: one per worker (`workers`, from
    /// ``RecurrentShape/workers``), fewer when ranges would be smaller than ``minimumRows``.
    static func parts(batch: Int, workers: Int) -> Int {
        max(1, min(workers, batch / minimumRows))
    }

    /// Calls `body(rows)` once per sample range of `0..<batch`. With one range it runs inline (BLAS keeps
    /// its thread count); with several, the ranges run side by side with BLAS on one thread each.
    static func run(batch: Int, workers: Int, _ body: (Range<Int>) -> Void) {
        let parts = parts(batch: batch, workers: workers)
        guard parts > 1 else {
            body(0..<batch)
            return
        }
        BLAS.concurrentPerform(iterations: parts) { p in
            body((batch * p / parts)..<(batch * (p + 1) / parts))
        }
    }
}
