import Foundation
import Testing
@testable import Delve
@testable import DelveOutputs

/// `delve rethreshold` must not leave a value of the old δ behind: `average-<phase>-sat` is the mean of
/// the layers' recomputed lsat, per phase.
@Suite("Rethreshold: averages at the new δ")
struct RethresholdAverageTests {
    @Test("average-<phase>-sat equals the mean of the recomputed layer values", arguments: [0.5, 0.8, 0.95, 0.99])
    func averagesFollowTheNewThreshold(threshold: Double) throws {
        // Three layers per phase with different spectra, so that the average moves with δ.
        let spectra: [[Double]] = [[50, 30, 19, 1], [90, 5, 3, 2], [25, 25, 25, 25]]
        var layers: [LayerEpochValues] = []
        for phase in [Phase.train, .eval] {
            for (i, eigenvalues) in spectra.enumerated() {
                let stats = Spectrum(eigenvalues: eigenvalues, samples: 100).statistics([.lsat, .idim])
                layers.append(LayerEpochValues(layer: "fc\(i)", phase: phase, features: 4, samples: 100,
                                               statistics: stats.values, eigenvalues: phase == .train ? eigenvalues : eigenvalues.reversed()))
            }
        }
        let old = EpochRecord.averageSaturations(of: layers)
        let record = EpochRecord(epoch: 0, layers: layers, scalars: old + [("test-accuracy", 0.5)], threshold: 0.99)
        let run = try RunDirectory(path: WriterFixture.temporaryDirectory().path)
        let writers = try makeWriters([.jsonl], run: run)
        try writers.write(record)
        try writers.close()

        let result = try Rethreshold.records(run: run, threshold: threshold)[0]
        for phase in [Phase.train, .eval] {
            let lsats = result.layers.filter { $0.phase == phase }.map { $0.statistics[.lsat]! }
            #expect(lsats.count == 3)
            let expected = Spectrum(eigenvalues: spectra[0], samples: 100).statistics([.lsat], threshold: threshold).values[.lsat]!
            #expect(lsats[0] == expected)
            let mean = lsats.reduce(0, +) / Double(lsats.count)
            #expect(result.scalar(named: EpochRecord.averageSaturationName(phase)) == mean, "δ = \(threshold), \(phase)")
        }
        #expect(result.scalars.map(\.name) == ["average-train-sat", "average-eval-sat", "test-accuracy"])
        if threshold != 0.99 {
            #expect(result.scalar(named: "average-train-sat") != record.scalar(named: "average-train-sat"))
        }
    }
}
