import Foundation
import Testing
@testable import Delve
@testable import DelveOutputs

@Suite("Rethreshold")
struct WriterRethresholdTests {
    /// One layer with the spectrum [50, 30, 19, 1]: cumulative shares 0.5, 0.8, 0.99, 1.
    static func record(eigenvalues: Bool) -> EpochRecord {
        EpochRecord(epoch: 0, layers: [
            LayerEpochValues(layer: "fc1", phase: .train, features: 4, samples: 10, statistics: [.lsat: 0.75, .idim: 3],
                             eigenvalues: eigenvalues ? [50, 30, 19, 1] : nil, covariance: [50, 0, 0, 0, 0, 30, 0, 0, 0, 0, 19, 0, 0, 0, 0, 1]),
        ], scalars: [("test-accuracy", 0.5)], threshold: 0.99)
    }

    @Test("idim and lsat at new thresholds from the spectra in statistics.jsonl")
    func fromJSONL() throws {
        let run = try RunDirectory(path: WriterFixture.temporaryDirectory().path)
        try writeRun(run, kinds: [.jsonl], record: Self.record(eigenvalues: true))
        for (threshold, idim) in [(0.5, 1.0), (0.8, 2.0), (0.81, 3.0), (0.99, 3.0), (1.0, 4.0)] {
            let records = try Rethreshold.records(run: run, threshold: threshold)
            #expect(records[0].layers[0].statistics == [.idim: idim, .lsat: idim / 4], "δ = \(threshold)")
            #expect(records[0].threshold == threshold)
            #expect(records[0].scalars.map(\.name) == ["test-accuracy"])
        }
        #expect(try Rethreshold.records(run: run, threshold: 0.8, convention: .delve)[0].layers[0].statistics[.idim] == 1)
        #expect(throws: WriterError.self) { _ = try Rethreshold.records(run: run, threshold: 1.5) }
    }

    @Test("falls back to the npy writer's eigenvalue files; fails clearly without any spectrum")
    func fromNPY() throws {
        let run = try RunDirectory(path: WriterFixture.temporaryDirectory().path)
        let writers = try makeWriters([.jsonl], run: run)
        try writers.write(Self.record(eigenvalues: false))
        try writers.close()
        do {
            _ = try Rethreshold.records(run: run, threshold: 0.8)
            Issue.record("expected an error without spectra")
        } catch {
            #expect(error.description.contains("no eigenvalues saved"))
        }
        try NPYEpochWriter(directory: run.npyDirectory).write(Self.record(eigenvalues: true))
        #expect(try Rethreshold.records(run: run, threshold: 0.8)[0].layers[0].statistics[.idim] == 2)
    }

    func writeRun(_ run: RunDirectory, kinds: [WriterKind], record: EpochRecord) throws {
        let writers = try makeWriters(kinds, run: run)
        try writers.write(record)
        try writers.close()
    }
}
