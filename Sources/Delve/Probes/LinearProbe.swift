import DelveLinearAlgebra

/// A linear probe solved in closed form: the ridge least-squares map from a layer's per-sample
/// features x to centred one-hot class targets (Alain & Bengio, *Understanding intermediate layers
/// using linear classifier probes*, 2016), fitted from streaming statistics only.
///
/// With N fit samples of mean μ and covariance Σ (divided by N), class counts n_k, class means μ_k and
/// p_k = n_k / N: M = (1/N) Σ_k n_k (μ_k − μ) e_kᵀ (D × K; the centring of the targets drops out since
/// Σ_k n_k (μ_k − μ) = 0), λ = ``ProbeOptions/ridge`` or ``ProbeOptions/relativeRidge`` · tr(Σ)/D, and
/// (Σ + λI) W = M is solved by Cholesky (LAPACK `dposv`). The bias is b = p − Wᵀμ, so the scores of a
/// sample are (x − μ)ᵀW + p and the prediction is their first arg-max. The fit's
/// R² = 1 − SSE/SST with SST = Σ_k p_k (1 − p_k) and SSE = SST − 2 tr(WᵀM) + tr(WᵀΣW) (both per
/// sample), exact from the statistics.
public struct LinearProbe: Sendable, Equatable {
    /// The feature count D.
    public let features: Int
    /// The class count K.
    public let classes: Int
    /// The number of fit samples N.
    public let samples: Int
    /// W, row-major D × K.
    public let weights: [Double]
    /// The fit rows' mean μ (D values).
    public let mean: [Double]
    /// p_k = n_k / N, the class shares of the fit rows (the scores' offset at x = μ).
    public let prior: [Double]
    /// The ridge λ used.
    public let ridge: Double
    /// The training fit's R² (see the type's formula).
    public let r2: Double

    /// The bias b = p − Wᵀμ (K values): the scores are xᵀW + b.
    public var bias: [Double] {
        (0..<classes).map { k in prior[k] - (0..<features).reduce(0.0) { $0 + weights[$1 * classes + k] * mean[$1] } }
    }

    /// Solves the probe from the fit rows' statistics: `accumulator` holds their count, mean and
    /// co-moment, `sums` their per-class counts and sums (the same rows).
    public init(accumulator: CovarianceAccumulator, sums: ProbeClassSums, options: ProbeOptions = ProbeOptions()) throws(ProbeError) {
        let n = accumulator.count
        guard n > 0 else { throw .noSamples }
        guard sums.count == n else {
            throw .solveFailed("the class counts add up to \(sums.count) samples, the covariance has \(n)")
        }
        guard sums.features == accumulator.features else { throw .widthChanged(expected: accumulator.features, got: sums.features) }
        try self.init(samples: n, mean: accumulator.mean, covariance: accumulator.covariance(unbiased: false),
                      sums: sums, options: options)
    }

    /// Solves the probe from N, μ, Σ (row-major D × D, divided by N) and the class sums.
    public init(samples n: Int, mean: [Double], covariance sigma: [Double], sums: ProbeClassSums,
                options: ProbeOptions = ProbeOptions()) throws(ProbeError) {
        let d = sums.features, k = sums.classes
        guard n > 0 else { throw .noSamples }
        guard mean.count == d, sigma.count == d * d else { throw .widthChanged(expected: d, got: mean.count) }
        let total = Double(n)
        let prior = sums.counts.map { Double($0) / total }
        let sst = prior.reduce(0.0) { $0 + $1 * (1 - $1) }
        guard prior.filter({ $0 > 0 }).count >= 2 else { throw .oneClass(samples: n) }
        // M[j, c] = (S_c[j] − n_c μ[j]) / N.
        var m = [Double](repeating: 0, count: d * k)
        for c in 0..<k {
            let nc = Double(sums.counts[c])
            for j in 0..<d { m[j * k + c] = (sums.sums[c * d + j] - nc * mean[j]) / total }
        }
        var trace = 0.0
        for j in 0..<d { trace += sigma[j * d + j] }
        let lambda = options.ridge ?? options.relativeRidge * trace / Double(d)
        var w: [Double]
        if trace == 0 && lambda == 0 {
            // Constant features carry no class information: M = 0, and W = 0 is the ridge limit.
            w = [Double](repeating: 0, count: d * k)
        } else {
            var a = sigma
            for j in 0..<d { a[j * d + j] += lambda }
            do {
                w = try CholeskySolve.solve(a, dimension: d, rightHandSide: m, columns: k)
            } catch {
                throw .solveFailed("Σ + λI (λ = \(lambda)) is not positive definite: \(error)")
            }
        }
        // SSE = SST − 2 tr(WᵀM) + tr(WᵀΣW).
        var sw = [Double](repeating: 0, count: d * k)
        BLAS.gemm(.none, .none, m: d, n: k, k: d, alpha: 1, a: sigma, lda: d, b: w, ldb: k, beta: 0, c: &sw, ldc: k)
        var wm = 0.0, wsw = 0.0
        for i in 0..<(d * k) {
            wm += w[i] * m[i]
            wsw += w[i] * sw[i]
        }
        let sse = sst - 2 * wm + wsw
        self.features = d
        self.classes = k
        self.samples = n
        self.weights = w
        self.mean = mean
        self.prior = prior
        self.ridge = lambda
        self.r2 = 1 - sse / sst
    }

    /// The probe's predicted class of each of `rows` rows (row-major, D wide): the first arg-max of
    /// (x − μ)ᵀW + p. `scratch` is reused (grown to rows · max(D, K) doubles).
    public func predict(_ values: UnsafeBufferPointer<Float>, rows: Int, scratch: inout [Double]) -> [Int] {
        var result = [Int](repeating: 0, count: rows)
        predict(values, rows: rows, scratch: &scratch) { row, label in result[row] = label }
        return result
    }

    /// How many of the `rows` rows the probe classifies as their label.
    public func correctCount(_ values: UnsafeBufferPointer<Float>, rows: Int, labels: some Collection<Int>,
                             scratch: inout [Double]) -> Int {
        var correct = 0
        var label = labels.makeIterator()
        predict(values, rows: rows, scratch: &scratch) { _, p in
            if p == label.next() { correct += 1 }
        }
        return correct
    }

    /// Calls `body(row, class)` for every row in order; the scores of a block of rows come from one `dgemm`.
    private func predict(_ values: UnsafeBufferPointer<Float>, rows: Int, scratch: inout [Double],
                         _ body: (Int, Int) -> Void) {
        let d = features, k = classes
        let block = 256
        let needed = block * (d + k)
        if scratch.count < needed { scratch = [Double](repeating: 0, count: needed) }
        scratch.withUnsafeMutableBufferPointer { buffer in
            let centred = buffer.baseAddress!, scores = buffer.baseAddress! + block * d
            var start = 0
            while start < rows {
                let count = min(block, rows - start)
                for r in 0..<count {
                    for j in 0..<d { centred[r * d + j] = Double(values[(start + r) * d + j]) - mean[j] }
                    for c in 0..<k { scores[r * k + c] = prior[c] }
                }
                weights.withUnsafeBufferPointer { wp in
                    BLAS.gemm(.none, .none, m: count, n: k, k: d, alpha: 1, a: centred, lda: d,
                              b: wp.baseAddress!, ldb: k, beta: 1, c: scores, ldc: k)
                }
                for r in 0..<count {
                    var best = 0
                    for c in 1..<max(k, 1) where scores[r * k + c] > scores[r * k + best] { best = c }
                    body(start + r, best)
                }
                start += count
            }
        }
    }
}
