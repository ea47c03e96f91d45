import Foundation
import Testing
@testable import Delve

/// RankMe and α-ReQ against the numpy implementation in `scripts/spectral_reference.py` (its output is
/// pasted below): fixed spectra, a data matrix, and the edge cases.
@Suite("RankMe and alpha-ReQ")
struct RankMeAlphaReQTests {
    /// (eigenvalues, numpy rankme, numpy alphareq) from `python3 scripts/spectral_reference.py`.
    static let reference: [([Double], Double, Double)] = [
        ([4.0, 1.0, 0.25, 0.0625, 0.015625], 3.465123431254413, 3.3570117016149754),
        ([1.0, 1.0, 1.0, 1.0, 1.0, 1.0], 6.000002850333685, -0.0),
        ([3.0, 2.0, 1.0], 2.928622420994222, 0.955307917036525),
        ([10.0, 0.001, 1e-05, 1e-09, 0.0, 0.0], 1.0655078714580368, 15.581815907767059),
        ([1.0, 0.3535533905932738, 0.19245008972987526, 0.125, 0.08944271909999159, 0.06804138174397717, 0.05399492471560389, 0.04419417382415922, 0.037037037037037035, 0.03162277660168379, 0.02741012223434215, 0.024056261216234408, 0.021334622931739582, 0.019090088708030313, 0.01721325931647741, 0.015625, 0.014266801472725469, 0.013094570021973102, 0.012074512308976935, 0.011180339887498949, 0.010391328106475828, 0.009690941652527747, 0.009065844089438033, 0.008505172717997146, 0.008, 0.00754292827454554, 0.007127781101106491, 0.006749365589450486, 0.006403287523346616, 0.006085806194501846, 0.005793719420218545, 0.005524271728019903, 0.005275080483505995, 0.005044076033603201, 0.004829452884162952, 0.004629629629629629, 0.004443215873117764, 0.004268984766599014, 0.004105850097566336, 0.003952847075210474, 0.003809116143624538, 0.003673889284811712, 0.0035464783798280154, 0.0034262652792927686, 0.0033126932999996885, 0.0032052599164108073, 0.003103510457402012, 0.003007032652029301, 0.0029154518950437317, 0.00282842712474619, 0.002745647223584333, 0.002666827866467448, 0.0025917087537488497, 0.0025200511757028582, 0.0024516358635026984, 0.002386261088503789, 0.0023237409773070945, 0.002263904014822803, 0.0022065917115393877, 0.002151657414559676, 0.0020989652448015735, 0.002048389145164363, 0.001999812026503848, 0.001953125], 42.88778649059216, 1.5),
        ([5.0, 0.0, 0.0, 0.0], 1.0000047354399024, Double.nan),
        ([2.0, 1.0, 1e-13, 0.0], 1.9706444149055276, Double.nan),
    ]

    /// |a − b| ≤ 1e-10 · max(1, |b|), and NaN only where numpy has NaN.
    static func close(_ a: Double, _ b: Double) -> Bool {
        if b.isNaN { return a.isNaN }
        return abs(a - b) <= 1e-10 * max(1, abs(b))
    }

    @Test("fixed spectra match numpy within 1e-10 relative", arguments: reference)
    func fixedSpectra(eigenvalues: [Double], rankme: Double, alphareq: Double) {
        for order in [eigenvalues, eigenvalues.reversed()] {
            let stats = Spectrum(eigenvalues: order, samples: 1000).statistics([.rankme, .alphareq])
            #expect(Self.close(stats[.rankme]!, rankme), "rankme \(stats[.rankme]!) vs numpy \(rankme)")
            #expect(Self.close(stats[.alphareq]!, alphareq), "alphareq \(stats[.alphareq]!) vs numpy \(alphareq)")
        }
    }

    @Test("from data through the accumulator: numpy's values on the same rows")
    func fromData() throws {
        let rows = 300, cols = 12
        var x = [Double](repeating: 0, count: rows * cols)
        for i in 0..<rows {
            for j in 0..<cols {
                let (di, dj) = (Double(i), Double(j))
                x[i * cols + j] = (sin(0.37 * di * (dj + 1) + 0.11 * dj) + 0.3 * cos(1.3 * di + dj * dj)) / (dj + 1)
            }
        }
        let accumulator = CovarianceAccumulator(features: cols)
        try accumulator.update(Array(x[0..<(100 * cols)]), rows: 100)
        try accumulator.update(Array(x[(100 * cols)...]), rows: 200)
        let analysis = try accumulator.analysis(StatisticsOptions(statistics: [.lsat, .rankme, .alphareq]))
        // numpy: np.cov(x, rowvar=False, bias=True) → eigvalsh → the formulas.
        #expect(Self.close(analysis.statistics[.rankme]!, 8.011279906477988))
        #expect(Self.close(analysis.statistics[.alphareq]!, 2.379961668550663))
        #expect(analysis.statistics.notes.isEmpty)
    }

    @Test("edge cases: zero variance, rank 1, fewer than three ranks, non-finite")
    func edgeCases() {
        let zero = Spectrum(eigenvalues: [0, 0, 0, 0], samples: 10).statistics([.rankme, .alphareq])
        #expect(zero[.rankme] == 0)
        #expect(zero[.alphareq]!.isNaN)
        #expect(zero.notes.contains { $0.contains("all-zero variance") && $0.contains("rankme") })
        #expect(zero.notes.contains { $0.contains("alphareq is NaN: only 0 eigenvalue(s)") })

        // Rank 1: every pₖ but one is ε, so RankMe is 1 + O(D·ε·log(1/ε)).
        let one = Spectrum(eigenvalues: [5, 0, 0, 0], samples: 10)
        #expect(abs(one.rankMe - 1) < 1e-5 && one.rankMe > 1)
        #expect(one.alphaReQRanks == 1 && one.alphaReQ.isNaN)

        // Two ranks above λ₁·1e-12 (1e-13 is below the floor 2e-12): NaN and a note naming the count.
        let two = Spectrum(eigenvalues: [2, 1, 1e-13, 0], samples: 10).statistics([.alphareq])
        #expect(two[.alphareq]!.isNaN)
        #expect(two.notes == ["alphareq is NaN: only 2 eigenvalue(s) above λ₁·1e-12, the fit log λₖ = c − α log k "
                              + "needs at least 3"])
        // Three ranks: a fit; a flat spectrum has α = 0.
        #expect(Spectrum(eigenvalues: [1, 1, 1], samples: 10).alphaReQ == 0)
        // No note about alphareq unless it is asked for.
        #expect(Spectrum(eigenvalues: [2, 1], samples: 10).statistics([.rankme]).notes.isEmpty)

        let bad = Spectrum(eigenvalues: [1, .infinity, 2], samples: 10).statistics([.rankme, .alphareq])
        #expect(bad[.rankme]!.isNaN && bad[.alphareq]!.isNaN)
    }

    @Test("a power law λₖ = k^(−α) gives α exactly; RankMe sits between 1 and D and falls as α grows")
    func powerLaw() {
        var previous = Double.infinity
        for alpha in [0.5, 1.0, 2.0, 3.0] {
            let s = Spectrum(eigenvalues: (1...50).map { pow(Double($0), -alpha) }, samples: 1000)
            #expect(abs(s.alphaReQ - alpha) < 1e-12)
            #expect(s.rankMe > 1 && s.rankMe < 50 && s.rankMe < previous)
            previous = s.rankMe
        }
    }

    @Test("output keys")
    func keys() {
        #expect(delveKey(phase: .eval, statistic: .rankme, layer: "fc1") == "eval-rankme_fc1")
        #expect(delveKey(phase: .train, statistic: .alphareq, layer: "fc1") == "train-alpha-req_fc1")
        #expect(try! Statistic.parseList("lsat,rankme,alphareq") == [.lsat, .rankme, .alphareq])
    }
}
