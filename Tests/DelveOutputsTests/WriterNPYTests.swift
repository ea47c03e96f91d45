import Foundation
import Testing
@testable import Delve
@testable import DelveOutputs

@Suite("NPY writer")
struct WriterNPYTests {
    @Test("covariance and eigenvalues per layer, phase and epoch read back exactly")
    func roundTrip() throws {
        let run = try RunDirectory(path: WriterFixture.temporaryDirectory().path)
        let writer = try NPYEpochWriter(directory: run.npyDirectory)
        let covariance: [Double] = [2, 0.5, 0.5, 1]
        let record = EpochRecord(epoch: 3, layers: [
            LayerEpochValues(layer: "block/fc", phase: .eval, features: 2, samples: 9, statistics: [.lsat: 1],
                             eigenvalues: [2.2071067811865475, 0.7928932188134524], covariance: covariance),
            LayerEpochValues(layer: "nothing", phase: .train, features: 2, samples: 9, statistics: [.lsat: 1]),
        ])
        try writer.write(record)
        let folder = run.npyDirectory.appendingPathComponent("eval/block_fc")
        let cov = try NPYReader(path: folder.appendingPathComponent("epoch3-covariance.npy").path)
        #expect(cov.shape == [2, 2])
        #expect(try cov.readAllDoubles() == covariance)
        let eig = try NPYReader(path: folder.appendingPathComponent("epoch3-eigenvalues.npy").path)
        #expect(eig.shape == [2])
        #expect(try eig.readAllDoubles() == [2.2071067811865475, 0.7928932188134524])
        #expect(!FileManager.default.fileExists(atPath: run.npyDirectory.appendingPathComponent("train/nothing").path))
    }

    @Test("a covariance of the wrong size is rejected with the layer's name")
    func wrongSize() throws {
        let writer = try NPYEpochWriter(directory: WriterFixture.temporaryDirectory())
        let record = EpochRecord(epoch: 0, layers: [
            LayerEpochValues(layer: "fc1", phase: .train, features: 3, samples: 1, statistics: [:], covariance: [1, 2]),
        ])
        do {
            try writer.write(record)
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("fc1"))
        }
    }
}
