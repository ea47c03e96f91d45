import DelveLinearAlgebra

/// The numeric kernel of one LSTM layer over a whole sequence (forward and backpropagation through time).
///
/// Gate order and formulas are PyTorch's. With `G = x_t·W_ihᵀ + b_ih + h_{t−1}·W_hhᵀ + b_hh` split into
/// four blocks of `H` columns `[i, f, g, o]`:
/// `i = σ(G_i)`, `f = σ(G_f)`, `g = tanh(G_g)`, `o = σ(G_o)`, `c_t = f ⊙ c_{t−1} + i ⊙ g`, `h_t = o ⊙ tanh(c_t)`.
///
/// Each timestep computes its pre-activations with two gemms (`N×I · I×4H` and `N×H · H×4H`) and applies
/// the gate nonlinearities in a fused loop. Backward runs the recurrence in
/// reverse with one gemm per step for `∂h_{t−1}`, then computes `∂W_ih`, `∂W_hh` and `∂x` with one or two
/// gemms over all timesteps. All of it runs split by samples (or by gate rows) across the workers, with one
/// BLAS thread each (``RecurrenceSplit``).
enum LSTMKernel {
    /// Runs the layer forward. `output` receives `h_t` (T·N·H), `cells` receives `c_t` (T·N·H),
    /// `gates` receives the activated gates `[i, f, g, o]` (T·N·4H) kept for ``backward``; `tanhCells`, when
    /// given, receives `tanh(c_t)` (T·N·H) so that ``backward`` need not recompute it.
    /// A nil bias counts as zero; a nil initial state counts as zeros.
    static func forward<S: RecurrentScalar>(
        _ shape: RecurrentShape,
        x: UnsafePointer<S>, weightIH: UnsafePointer<S>, weightHH: UnsafePointer<S>,
        biasIH: UnsafePointer<S>?, biasHH: UnsafePointer<S>?,
        h0: UnsafePointer<S>?, c0: UnsafePointer<S>?,
        output: UnsafeMutablePointer<S>, cells: UnsafeMutablePointer<S>, gates: UnsafeMutablePointer<S>,
        tanhCells: UnsafeMutablePointer<S>? = nil
    ) {
        let (T, N, I, H) = (shape.steps, shape.batch, shape.input, shape.hidden)
        let G = 4 * H
        // Pre-activations: each step computes x_t·W_ihᵀ + h_{t−1}·W_hhᵀ, and the gate loop adds b_ih + b_hh
        // (one pass over the gates less than filling them with the bias first).
        let hasBias = biasIH != nil || biasHH != nil
        let biasRow = UnsafeMutablePointer<S>.allocate(capacity: G)
        defer { biasRow.deallocate() }
        for j in 0..<G { biasRow[j] = (biasIH?[j] ?? 0) + (biasHH?[j] ?? 0) }
        // Each sample range runs every timestep (see ``RecurrenceSplit``): two gemms for its rows of
        // x_t·W_ihᵀ + h_{t−1}·W_hhᵀ, then the fused gate loop over the same rows.
        RecurrenceSplit.run(batch: N, workers: shape.workers) { rows in
            let count = rows.count, first = rows.lowerBound
            for t in 0..<T {
                let gt = gates + t * N * G
                S.gemm(.none, .transpose, m: count, n: G, k: I, alpha: 1, a: x + (t * N + first) * I, lda: I,
                       b: weightIH, ldb: I, beta: 0, c: gt + first * G, ldc: G)
                let previousH: UnsafePointer<S>? = t == 0 ? h0 : UnsafePointer(output + (t - 1) * N * H)
                let previousC: UnsafePointer<S>? = t == 0 ? c0 : UnsafePointer(cells + (t - 1) * N * H)
                if let previousH {
                    S.gemm(.none, .transpose, m: count, n: G, k: H, alpha: 1, a: previousH + first * H, lda: H,
                           b: weightHH, ldb: H, beta: 1, c: gt + first * G, ldc: G)
                }
                let ht = output + t * N * H
                let ct = cells + t * N * H
                for n in rows {
                    // Gate nonlinearities on whole blocks: σ on [i, f] (contiguous), tanh on g, σ on o.
                    let i = gt + n * G, f = i + H, g = i + 2 * H, o = i + 3 * H
                    if hasBias { for j in 0..<G { i[j] += biasRow[j] } }
                    S.sigmoid(i, i, count: 2 * H)
                    S.tanh(g, g, count: H)
                    S.sigmoid(o, o, count: H)
                    let c = ct + n * H, h = ht + n * H
                    if let previousC {
                        let cPrev = previousC + n * H
                        for j in 0..<H { c[j] = f[j] * cPrev[j] + i[j] * g[j] }
                    } else {
                        for j in 0..<H { c[j] = i[j] * g[j] }
                    }
                    if let tanhCells {
                        let tc = tanhCells + (t * N + n) * H
                        S.tanh(c, tc, count: H)
                        for j in 0..<H { h[j] = o[j] * tc[j] }
                    } else {
                        S.tanh(c, h, count: H)
                        for j in 0..<H { h[j] *= o[j] }
                    }
                }
            }
        }
    }

    /// Backpropagation through time.
    ///
    /// Inputs: the forward inputs and results (`tanhCells` optional: recomputed from `cells` when nil),
    /// `gradOutput` = ∂L/∂h_t for every step (T·N·H, nil = zero),
    /// `gradFinalHidden` / `gradFinalCell` = ∂L/∂h_T, ∂L/∂c_T (N·H, nil = zero).
    /// Results: `gradX` (T·N·I, overwritten), `gradWeightIH` (4H·I) and `gradWeightHH` (4H·H) and `gradBias`
    /// (4H; the same for b_ih and b_hh) ACCUMULATED into, `gradH0` / `gradC0` (N·H, overwritten).
    static func backward<S: RecurrentScalar>(
        _ shape: RecurrentShape,
        x: UnsafePointer<S>, weightIH: UnsafePointer<S>, weightHH: UnsafePointer<S>,
        h0: UnsafePointer<S>?, c0: UnsafePointer<S>?,
        output: UnsafePointer<S>, cells: UnsafePointer<S>, gates: UnsafePointer<S>, tanhCells: UnsafePointer<S>? = nil,
        gradOutput: UnsafePointer<S>?, gradFinalHidden: UnsafePointer<S>?, gradFinalCell: UnsafePointer<S>?,
        gradX: UnsafeMutablePointer<S>?, gradWeightIH: UnsafeMutablePointer<S>?, gradWeightHH: UnsafeMutablePointer<S>?,
        gradBias: UnsafeMutablePointer<S>?, gradH0: UnsafeMutablePointer<S>?, gradC0: UnsafeMutablePointer<S>?
    ) {
        let (T, N, H) = (shape.steps, shape.batch, shape.hidden)
        let G = 4 * H
        let dGates = UnsafeMutablePointer<S>.allocate(capacity: T * N * G)
        let dh = UnsafeMutablePointer<S>.allocate(capacity: N * H)   // ∂L/∂h_t flowing from step t+1
        let dc = UnsafeMutablePointer<S>.allocate(capacity: N * H)   // ∂L/∂c_t flowing from step t+1
        defer { dGates.deallocate(); dh.deallocate(); dc.deallocate() }
        for k in 0..<(N * H) {
            dh[k] = gradFinalHidden?[k] ?? 0
            dc[k] = gradFinalCell?[k] ?? 0
        }
        // Each sample range runs every timestep in reverse (see ``RecurrenceSplit``): the gate gradients
        // of its rows, then one gemm for its rows of ∂L/∂h_{t−1} = ∂G_t · W_hh.
        RecurrenceSplit.run(batch: N, workers: shape.workers) { rows in
            let count = rows.count, first = rows.lowerBound
            let scratch = tanhCells == nil ? UnsafeMutablePointer<S>.allocate(capacity: H) : nil
            defer { scratch?.deallocate() }
            for t in stride(from: T - 1, through: 0, by: -1) {
                let gt = gates + t * N * G
                let dgt = dGates + t * N * G
                let ct = cells + t * N * H
                let previousC: UnsafePointer<S>? = t == 0 ? c0 : cells + (t - 1) * N * H
                let dOut = gradOutput.map { $0 + t * N * H }
                for n in rows {
                    let i = gt + n * G, f = i + H, g = i + 2 * H, o = i + 3 * H
                    let di = dgt + n * G, df = di + H, dg = di + 2 * H, dO = di + 3 * H
                    let dhRow = dh + n * H, dcRow = dc + n * H
                    let tanhC: UnsafePointer<S>
                    if let tanhCells { tanhC = tanhCells + (t * N + n) * H } else {
                        S.tanh(ct + n * H, scratch!, count: H)
                        tanhC = UnsafePointer(scratch!)
                    }
                    if let dOut {
                        let d = dOut + n * H
                        for j in 0..<H { dhRow[j] += d[j] }
                    }
                    if let previousC {
                        let cPrev = previousC + n * H
                        for j in 0..<H { df[j] = cPrev[j] }
                    } else {
                        for j in 0..<H { df[j] = 0 }
                    }
                    for j in 0..<H {
                        let dhj = dhRow[j], tc = tanhC[j]
                        let ij = i[j], fj = f[j], gj = g[j], oj = o[j]
                        let dcj = dcRow[j] + dhj * oj * (1 - tc * tc)
                        di[j] = dcj * gj * ij * (1 - ij)
                        df[j] = dcj * df[j] * fj * (1 - fj)
                        dg[j] = dcj * ij * (1 - gj * gj)
                        dO[j] = dhj * tc * oj * (1 - oj)
                        dcRow[j] = dcj * fj
                    }
                }
                S.gemm(.none, .none, m: count, n: H, k: G, alpha: 1, a: dgt + first * G, lda: G, b: weightHH, ldb: H,
                       beta: 0, c: dh + first * H, ldc: H)
            }
        }
        if let gradH0 { gradH0.update(from: dh, count: N * H) }
        if let gradC0 { gradC0.update(from: dc, count: N * H) }
        finishGradients(shape: shape, gateWidth: G, x: x, weightIH: weightIH, h0: h0, output: output,
                        dInput: dGates, dHidden: dGates, gradX: gradX, gradWeightIH: gradWeightIH,
                        gradWeightHH: gradWeightHH)
        if let gradBias { accumulateColumnSums(dGates, rows: T * N, columns: G, into: gradBias) }
    }
}

/// The gemms over all timesteps that end backpropagation through time (shared by LSTM and GRU).
///
/// `dInput` = ∂L/∂(input pre-activations) (T·N·gateWidth), `dHidden` = ∂L/∂(hidden pre-activations)
/// (the same buffer for LSTM). `∂W_ih += dInputᵀ·X`, `∂W_hh += dHidden_0ᵀ·h0 + dHidden_{1..}ᵀ·h_{0..T−2}`,
/// `∂X = dInput·W_ih`.
func finishGradients<S: RecurrentScalar>(
    shape: RecurrentShape, gateWidth: Int,
    x: UnsafePointer<S>, weightIH: UnsafePointer<S>, h0: UnsafePointer<S>?, output: UnsafePointer<S>,
    dInput: UnsafePointer<S>, dHidden: UnsafePointer<S>,
    gradX: UnsafeMutablePointer<S>?, gradWeightIH: UnsafeMutablePointer<S>?, gradWeightHH: UnsafeMutablePointer<S>?
) {
    let (T, N, I, H) = (shape.steps, shape.batch, shape.input, shape.hidden)
    let G = gateWidth
    // The weight gradients split by gate rows, ∂x by its rows (see ``RecurrenceSplit``).
    if gradWeightIH != nil || gradWeightHH != nil {
        RecurrenceSplit.run(batch: G, workers: shape.workers) { rows in
            let count = rows.count, first = rows.lowerBound
            if let gradWeightIH {
                S.gemm(.transpose, .none, m: count, n: I, k: T * N, alpha: 1, a: dInput + first, lda: G, b: x, ldb: I,
                       beta: 1, c: gradWeightIH + first * I, ldc: I)
            }
            if let gradWeightHH {
                if let h0 {
                    S.gemm(.transpose, .none, m: count, n: H, k: N, alpha: 1, a: dHidden + first, lda: G, b: h0, ldb: H,
                           beta: 1, c: gradWeightHH + first * H, ldc: H)
                }
                if T > 1 {
                    S.gemm(.transpose, .none, m: count, n: H, k: (T - 1) * N, alpha: 1, a: dHidden + N * G + first,
                           lda: G, b: output, ldb: H, beta: 1, c: gradWeightHH + first * H, ldc: H)
                }
            }
        }
    }
    if let gradX {
        RecurrenceSplit.run(batch: T * N, workers: shape.workers) { rows in
            S.gemm(.none, .none, m: rows.count, n: I, k: G, alpha: 1, a: dInput + rows.lowerBound * G, lda: G,
                   b: weightIH, ldb: I, beta: 0, c: gradX + rows.lowerBound * I, ldc: I)
        }
    }
}
