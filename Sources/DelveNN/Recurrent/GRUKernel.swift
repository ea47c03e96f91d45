import DelveLinearAlgebra

/// The numeric kernel of one GRU layer over a whole sequence (forward and backpropagation through time).
///
/// Gate order and formulas are PyTorch's, with blocks of `H` columns `[r, z, n]`:
/// `r = σ(W_ir x + b_ir + W_hr h + b_hr)`, `z = σ(W_iz x + b_iz + W_hz h + b_hz)`,
/// `n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))`, `h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}`.
///
/// Each timestep computes its input and hidden projections with one gemm each (`N×I · I×3H`,
/// `N×H · H×3H`) and a fused loop for the gates; the recurrence runs split by samples across the
/// workers with one BLAS thread each (``RecurrenceSplit``).
enum GRUKernel {
    /// Runs the layer forward. `output` receives `h_t` (T·N·H); `cache` receives, per row, the activated
    /// `[r, z, n]` and the hidden projection of the candidate `W_hn h + b_hn` (T·N·4H), kept for ``backward``.
    /// A nil bias counts as zero; a nil initial state counts as zeros.
    static func forward<S: RecurrentScalar>(
        _ shape: RecurrentShape,
        x: UnsafePointer<S>, weightIH: UnsafePointer<S>, weightHH: UnsafePointer<S>,
        biasIH: UnsafePointer<S>?, biasHH: UnsafePointer<S>?, h0: UnsafePointer<S>?,
        output: UnsafeMutablePointer<S>, cache: UnsafeMutablePointer<S>
    ) {
        let (T, N, I, H) = (shape.steps, shape.batch, shape.input, shape.hidden)
        let G = 3 * H
        let inputProjection = UnsafeMutablePointer<S>.allocate(capacity: T * N * G)
        let hiddenProjection = UnsafeMutablePointer<S>.allocate(capacity: N * G)
        defer { inputProjection.deallocate(); hiddenProjection.deallocate() }
        // Each sample range runs every timestep (see ``RecurrenceSplit``): its rows of the input and hidden
        // projections (bias first, then one gemm each), then the fused gate loop over the same rows.
        RecurrenceSplit.run(batch: N, workers: shape.workers) { rows in
            let count = rows.count, first = rows.lowerBound
            for t in 0..<T {
                let xp = inputProjection + (t * N + first) * G
                for r in 0..<count {
                    for j in 0..<G { xp[r * G + j] = biasIH?[j] ?? 0 }
                }
                S.gemm(.none, .transpose, m: count, n: G, k: I, alpha: 1, a: x + (t * N + first) * I, lda: I,
                       b: weightIH, ldb: I, beta: 1, c: xp, ldc: G)
                let previousH: UnsafePointer<S>? = t == 0 ? h0 : UnsafePointer(output + (t - 1) * N * H)
                for r in rows {
                    for j in 0..<G { hiddenProjection[r * G + j] = biasHH?[j] ?? 0 }
                }
                if let previousH {
                    S.gemm(.none, .transpose, m: count, n: G, k: H, alpha: 1, a: previousH + first * H, lda: H,
                           b: weightHH, ldb: H, beta: 1, c: hiddenProjection + first * G, ldc: G)
                }
                let ht = output + t * N * H
                for n in rows {
                    let xi = inputProjection + (t * N + n) * G
                    let hi = hiddenProjection + n * G
                    let saved = cache + (t * N + n) * 4 * H
                    // r, z: σ over the contiguous block of 2H pre-activations; n: tanh over H (``VectorMath`` for Float).
                    for j in 0..<(2 * H) { saved[j] = xi[j] + hi[j] }
                    S.sigmoid(saved, saved, count: 2 * H)
                    for j in 0..<H {
                        let hn = hi[2 * H + j]
                        saved[3 * H + j] = hn
                        saved[2 * H + j] = xi[2 * H + j] + saved[j] * hn
                    }
                    S.tanh(saved + 2 * H, saved + 2 * H, count: H)
                    let h = ht + n * H
                    if let previousH {
                        let hPrev = previousH + n * H
                        for j in 0..<H {
                            let z = saved[H + j], candidate = saved[2 * H + j]
                            h[j] = (1 - z) * candidate + z * hPrev[j]
                        }
                    } else {
                        for j in 0..<H { h[j] = (1 - saved[H + j]) * saved[2 * H + j] }
                    }
                }
            }
        }
    }

    /// Backpropagation through time.
    ///
    /// Inputs: the forward inputs and results, `gradOutput` = ∂L/∂h_t for every step (T·N·H, nil = zero),
    /// `gradFinalHidden` = ∂L/∂h_T (N·H, nil = zero).
    /// Results: `gradX` (T·N·I, overwritten); `gradWeightIH` (3H·I), `gradWeightHH` (3H·H),
    /// `gradBiasIH`, `gradBiasHH` (3H) ACCUMULATED into; `gradH0` (N·H, overwritten).
    static func backward<S: RecurrentScalar>(
        _ shape: RecurrentShape,
        x: UnsafePointer<S>, weightIH: UnsafePointer<S>, weightHH: UnsafePointer<S>, h0: UnsafePointer<S>?,
        output: UnsafePointer<S>, cache: UnsafePointer<S>,
        gradOutput: UnsafePointer<S>?, gradFinalHidden: UnsafePointer<S>?,
        gradX: UnsafeMutablePointer<S>?, gradWeightIH: UnsafeMutablePointer<S>?, gradWeightHH: UnsafeMutablePointer<S>?,
        gradBiasIH: UnsafeMutablePointer<S>?, gradBiasHH: UnsafeMutablePointer<S>?, gradH0: UnsafeMutablePointer<S>?
    ) {
        let (T, N, H) = (shape.steps, shape.batch, shape.hidden)
        let G = 3 * H
        let dInput = UnsafeMutablePointer<S>.allocate(capacity: T * N * G)    // ∂L/∂(x projection + b_ih)
        let dHidden = UnsafeMutablePointer<S>.allocate(capacity: T * N * G)   // ∂L/∂(h projection + b_hh)
        let dh = UnsafeMutablePointer<S>.allocate(capacity: N * H)
        defer { dInput.deallocate(); dHidden.deallocate(); dh.deallocate() }
        for k in 0..<(N * H) { dh[k] = gradFinalHidden?[k] ?? 0 }
        // Each sample range runs every timestep in reverse (see ``RecurrenceSplit``).
        RecurrenceSplit.run(batch: N, workers: shape.workers) { rows in
            let count = rows.count, first = rows.lowerBound
            for t in stride(from: T - 1, through: 0, by: -1) {
                let previousH: UnsafePointer<S>? = t == 0 ? h0 : output + (t - 1) * N * H
                let dOut = gradOutput.map { $0 + t * N * H }
                for n in rows {
                    let saved = cache + (t * N + n) * 4 * H
                    let di = dInput + (t * N + n) * G
                    let dhid = dHidden + (t * N + n) * G
                    for j in 0..<H {
                        let k = n * H + j
                        let r = saved[j], z = saved[H + j], candidate = saved[2 * H + j], hn = saved[3 * H + j]
                        let hPrev = previousH?[k] ?? 0
                        let dhk = dh[k] + (dOut?[k] ?? 0)
                        let dCandidate = dhk * (1 - z) * (1 - candidate * candidate)
                        let dz = dhk * (hPrev - candidate) * z * (1 - z)
                        let dr = dCandidate * hn * r * (1 - r)
                        di[j] = dr; di[H + j] = dz; di[2 * H + j] = dCandidate
                        dhid[j] = dr; dhid[H + j] = dz; dhid[2 * H + j] = dCandidate * r
                        dh[k] = dhk * z
                    }
                }
                // ∂L/∂h_{t−1} = z ⊙ ∂h_t (already in dh) + ∂(h projection)_t · W_hh.
                S.gemm(.none, .none, m: count, n: H, k: G, alpha: 1, a: dHidden + (t * N + first) * G, lda: G,
                       b: weightHH, ldb: H, beta: 1, c: dh + first * H, ldc: H)
            }
        }
        if let gradH0 { gradH0.update(from: dh, count: N * H) }
        finishGradients(shape: shape, gateWidth: G, x: x, weightIH: weightIH, h0: h0, output: output,
                        dInput: dInput, dHidden: dHidden, gradX: gradX, gradWeightIH: gradWeightIH,
                        gradWeightHH: gradWeightHH)
        if let gradBiasIH { accumulateColumnSums(dInput, rows: T * N, columns: G, into: gradBiasIH) }
        if let gradBiasHH { accumulateColumnSums(dHidden, rows: T * N, columns: G, into: gradBiasHH) }
    }
}
