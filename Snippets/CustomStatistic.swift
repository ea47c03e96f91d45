// A statistic of your own, computed from a spectrum's eigenvalues next to the built-in ones.
import Delve

extension Spectrum {
    /// The number of eigenvalues above `relative` × the largest one (a numerical rank).
    func numericalRank(relative: Double = 1e-6) -> Int {
        eigenvalues.filter { $0 > relative * largestEigenvalue }.count
    }
}

// Eigenvalues stored in statistics.jsonl or npy/…-eigenvalues.npy give the same Spectrum again.
let spectrum = Spectrum(eigenvalues: [4, 2, 1, 0.5, 1e-9, 0], samples: 1000)
let builtIn = spectrum.statistics(Statistic.spectral, threshold: 0.99)
for statistic in Statistic.spectral where statistic.isScalar {
    print(statistic.rawValue, statistic.delveKey, builtIn[statistic]!)
}
print("numerical rank", spectrum.numericalRank())
precondition(spectrum.numericalRank() == 4 && builtIn[.idim] == 4)
