import Foundation
import Testing
@testable import Delve

@Suite("Spectrum and layer statistics")
struct SpectrumTests {
    /// (eigenvalues, paper idim, delve idim) at δ = 0.99; the delve values were obtained by running
    /// delve 0.1.50's compute_intrinsic_dimensionality on diagonal covariances.
    static let oracles: [([Double], Int, Int)] = [
        ([Double](repeating: 1, count: 10), 10, 9),
        ((0..<10).map { Foundation.pow(0.5, Double($0)) }, 7, 6),
        ([100, 1, 1, 1, 1], 4, 3),
        ([5, 0, 0, 0], 1, 0),
        ([99, 1], 1, 0),
        ([0.97, 0.011, 0.01, 0.009], 3, 2),
    ]

    @Test("intrinsic dimensionality oracles, paper and delve conventions", arguments: oracles)
    func idimOracles(eigenvalues: [Double], paper: Int, delve: Int) {
        for order in [eigenvalues, eigenvalues.reversed()] {   // input order does not matter
            let s = Spectrum(eigenvalues: order, samples: 1000)
            #expect(s.intrinsicDimensionality(threshold: 0.99, convention: .paper) == paper)
            #expect(s.intrinsicDimensionality(threshold: 0.99, convention: .delve) == delve)
            #expect(s.saturation(convention: .paper) == Double(paper) / Double(eigenvalues.count))
            #expect(s.saturation(convention: .delve) == Double(delve) / Double(eigenvalues.count))
        }
    }

    @Test("a cumulative share that rounds just below δ still counts as reaching it")
    func roundingTolerance() {
        // 99 of 100 equal eigenvalues 1/3 explain exactly 0.99, but the float64 sums give 0.9899999999999999.
        let thirds = [Double](repeating: 1.0 / 3, count: 100)
        let s = Spectrum(eigenvalues: thirds, samples: 1000)
        #expect(s.intrinsicDimensionality(convention: .paper) == 99)
        #expect(s.intrinsicDimensionality(convention: .delve) == 98)
        // Other thresholds.
        let four = Spectrum(eigenvalues: [4, 3, 2, 1], samples: 100)
        #expect(four.intrinsicDimensionality(threshold: 0.7) == 2)   // 7/10 = 0.7 reaches 0.7
        #expect(four.intrinsicDimensionality(threshold: 0.5) == 2)
        #expect(four.intrinsicDimensionality(threshold: 0.4) == 1)
        #expect(four.intrinsicDimensionality(threshold: 1.0) == 4)
    }

    @Test("known answers for det, logdet, trace, dtrc, erank, pr, srank")
    func knownAnswers() {
        let ones = Spectrum(eigenvalues: [Double](repeating: 1, count: 10), samples: 100)
        #expect(abs(ones.effectiveRank - 10) < 1e-12)
        #expect(abs(ones.participationRatio - 10) < 1e-12)
        #expect(ones.stableRank == 10)
        #expect(ones.determinant == 1 && ones.logDeterminant == 0)
        #expect(ones.trace == 10 && ones.clippedTrace == 10)

        let s = Spectrum(eigenvalues: [1, 4], samples: 100)
        #expect(s.eigenvalues == [4, 1])
        #expect(s.determinant == 4)
        #expect(abs(s.logDeterminant - Foundation.log(4)) < 1e-15)
        #expect(abs(s.participationRatio - 25.0 / 17.0) < 1e-14)
        #expect(s.stableRank == 1.25)
        let h = -(0.8 * Foundation.log(0.8) + 0.2 * Foundation.log(0.2))
        #expect(abs(s.effectiveRank - Foundation.exp(h)) < 1e-14)
        #expect(s.largestEigenvalue == 4)
    }

    @Test("from a covariance matrix: eigenvalues via LAPACK, trace from the diagonal")
    func fromCovariance() throws {
        // [[2, 1], [1, 2]] has eigenvalues 3 and 1.
        let s = try Spectrum(covariance: [2, 1, 1, 2], features: 2, samples: 10)
        #expect(abs(s.eigenvalues[0] - 3) < 1e-14 && abs(s.eigenvalues[1] - 1) < 1e-14)
        #expect(s.trace == 4)
        #expect(throws: SpectrumError.shape(features: 3, count: 4)) {
            _ = try Spectrum(covariance: [2, 1, 1, 2], features: 3, samples: 10)
        }
        #expect(throws: SpectrumError.nonFinite) {
            _ = try Spectrum(covariance: [2, .nan, .nan, 2], features: 2, samples: 10)
        }
        // Through an accumulator: x = (t, 2t) → rank one, idim 1 of 2.
        let acc = CovarianceAccumulator(features: 2)
        try acc.update([1, 2, 2, 4, 3, 6, 4, 8] as [Double], rows: 4)
        let spectrum = try acc.spectrum()
        #expect(spectrum.samples == 4 && spectrum.features == 2)
        #expect(abs(spectrum.trace - 6.25) < 1e-14)   // var t = 1.25, var 2t = 5
        #expect(spectrum.intrinsicDimensionality() == 1)
        #expect(spectrum.saturation() == 0.5)
    }

    @Test("statistics() collects the requested values; trc can be passed in; cov is skipped")
    func statisticsCollects() {
        let s = Spectrum(eigenvalues: [4, 1], samples: 100)
        let stats = s.statistics(Statistic.allCases, threshold: 0.99, convention: .paper, covarianceTrace: 5.5)
        #expect(stats.values.count == Statistic.spectral.count - 1, "every spectral scalar; not cov, not the probe statistics")
        #expect(stats[.cov] == nil)
        #expect(stats[.idim] == 2 && stats[.lsat] == 1)
        #expect(stats[.trc] == 5.5 && stats[.dtrc] == 5)
        #expect(stats[.det] == 4 && stats[.srank] == 1.25)
        #expect(stats[.erank] == s.effectiveRank && stats[.pr] == s.participationRatio)
        #expect(stats[.rankme] == s.rankMe && stats[.alphareq]!.isNaN)   // two ranks: too few for the α-ReQ fit
        #expect(stats.notes.count == 1 && stats.notes[0].hasPrefix("alphareq is NaN"))
        let delve = s.statistics([.idim, .lsat], threshold: 0.8, convention: .delve, covarianceTrace: nil)
        #expect(delve.values == [.idim: 0, .lsat: 0])
        #expect(s.statistics([.trc], threshold: 0.99, convention: .paper, covarianceTrace: nil)[.trc] == 5)
    }

    @Test("all-zero variance: zeros, not NaN, and a note")
    func allZero() throws {
        let s = Spectrum(eigenvalues: [0, 0, 0], samples: 50)
        let stats = s.statistics(Statistic.allCases, threshold: 0.99, convention: .paper, covarianceTrace: nil)
        for stat in [Statistic.idim, .lsat, .erank, .rankme, .pr, .srank, .det, .trc, .dtrc] { #expect(stats[stat] == 0, "\(stat)") }
        #expect(stats[.logdet] == -.infinity)
        #expect(stats[.alphareq]!.isNaN)   // the one documented NaN: no ranks to fit, with its note
        #expect(stats.values.filter { $0.key != .alphareq }.values.allSatisfy { !$0.isNaN })
        #expect(stats.notes.contains { $0.contains("all-zero variance") })
        #expect(s.intrinsicDimensionality(convention: .delve) == 0)
    }

    @Test("one sample: zero covariance, notes say why")
    func oneSample() throws {
        let acc = CovarianceAccumulator(features: 4)
        try acc.update([1, 2, 3, 4] as [Float], rows: 1)
        let stats = try acc.spectrum().statistics([.lsat, .idim, .erank], threshold: 0.99, convention: .paper,
                                                  covarianceTrace: acc.covarianceTrace())
        #expect(stats.values == [.lsat: 0, .idim: 0, .erank: 0])
        #expect(stats.notes.contains { $0.contains("one sample") })
        #expect(stats.notes.contains { $0.contains("all-zero variance") })
        let none = try CovarianceAccumulator(features: 2).spectrum()
        #expect(none.statistics([.lsat], threshold: 0.99, convention: .paper, covarianceTrace: nil).notes
            .contains { $0.contains("no samples") })
    }

    @Test("D = 1")
    func singleFeature() {
        let s = Spectrum(eigenvalues: [3], samples: 10)
        let stats = s.statistics([.idim, .lsat, .erank, .pr, .srank, .det, .logdet], threshold: 0.99,
                                 convention: .paper, covarianceTrace: nil)
        #expect(stats.values == [.idim: 1, .lsat: 1, .erank: 1, .pr: 1, .srank: 1, .det: 3, .logdet: Foundation.log(3)])
        #expect(s.intrinsicDimensionality(convention: .delve) == 0)
    }

    @Test("N < D: a note that at most N−1 directions carry variance")
    func fewerSamplesThanFeatures() throws {
        var rng = CovarianceTestRandom(seed: 9)
        let acc = CovarianceAccumulator(features: 8)
        try acc.update(rng.batch(rows: 3, features: 8), rows: 3)
        let s = try acc.spectrum()
        #expect(s.intrinsicDimensionality() <= 2)
        let stats = s.statistics([.lsat], threshold: 0.99, convention: .paper, covarianceTrace: nil)
        #expect(stats.notes.contains { $0.contains("at most N−1 = 2 of D = 8 directions can carry variance") })
    }

    @Test("negative eigenvalues are clipped, non-finite ones give NaN with a note, det underflow is noted")
    func clippingAndWarnings() {
        let s = Spectrum(eigenvalues: [1, -0.001, 2], samples: 100)
        #expect(s.eigenvalues == [2, 1, 0])
        #expect(s.mostNegativeEigenvalue == -0.001)
        #expect(s.trace == 2.999 && s.clippedTrace == 3)
        let notes = s.statistics([.det], threshold: 0.99, convention: .paper, covarianceTrace: nil).notes
        #expect(notes.contains { $0.contains("clipped") })
        #expect(notes.contains { $0.contains("singular") })

        let bad = Spectrum(eigenvalues: [1, .nan], samples: 10)
        let badStats = bad.statistics([.lsat, .erank], threshold: 0.99, convention: .paper, covarianceTrace: nil)
        #expect(badStats[.lsat]!.isNaN && badStats[.erank]!.isNaN)
        #expect(badStats.notes.contains { $0.contains("NaN or infinite") })

        let tiny = Spectrum(eigenvalues: [Double](repeating: 1e-200, count: 3), samples: 10)
        let tinyStats = tiny.statistics([.det, .logdet], threshold: 0.99, convention: .paper, covarianceTrace: nil)
        #expect(tinyStats[.det] == 0)
        #expect(abs(tinyStats[.logdet]! - 3 * Foundation.log(1e-200)) < 1e-9)
        #expect(tinyStats.notes.contains { $0.contains("underflows") })
        #expect(tiny.effectiveRank > 2.999 && tiny.participationRatio > 2.999)
    }
}
