// The statistics engine on plain arrays: accumulate a layer's covariance batch by batch, then its spectrum.
import Delve

var rng = SystemRandomNumberGenerator()
// One accumulator per layer: its state is the float64 D×D co-moment, whatever the number of samples.
let fc1 = CovarianceAccumulator(features: 32, name: "fc1")
for _ in 0..<10 {
    // A batch of 100 rows × 32 features, row-major, that only uses 4 directions of the 32:
    // feature j of a row is its latent value j mod 4, scaled by 1 + j / 4.
    var batch: [Float] = []
    for _ in 0..<100 {
        let latent = (0..<4).map { _ in Float.random(in: -1...1, using: &rng) }
        for j in 0..<32 { batch.append(latent[j % 4] * Float(1 + j / 4)) }
    }
    try fc1.update(batch, rows: 100)          // throws, and keeps its state, on NaN/±∞ or a bad shape
}

// Population covariance → LAPACK dsyevd (eigenvalues largest first) → the statistics asked for, with notes:
let options = StatisticsOptions(statistics: [.lsat, .idim, .erank], threshold: 0.99, convention: .paper)
let analysis = try fc1.analysis(options, keepEigenvalues: true)
let stats = analysis.statistics
print("lsat", stats[.lsat]!, "idim", stats[.idim]!, "erank", stats[.erank]!, stats.notes)
precondition(stats[.idim]! <= 4)              // at most 4 of the 32 directions carry variance

// The same statistics at another threshold, from the stored eigenvalues alone:
let again = Spectrum(eigenvalues: analysis.eigenvalues!, samples: analysis.samples)
print("idim at δ = 0.9:", again.intrinsicDimensionality(threshold: 0.9))
