import Delve
import DelveOutputs
import Foundation
import Testing
@testable import DelveTraining

@Suite("Training runs with a PCA evaluation")
struct TrainingRunPCAEvaluationTests {
    func configuration(_ output: URL) -> TrainingConfiguration {
        var configuration = TrainingConfiguration()
        configuration.model = "cnn"
        configuration.modelOptions = "depth=2,width=8"
        configuration.dataset = "digits"
        configuration.epochs = 2
        configuration.seed = 3
        configuration.writers = [.jsonl]
        configuration.output = output.path
        return configuration
    }

    @Test("pca-eval.csv: k at δ 0.99 is the last epoch's train idim of every layer; δ = 1 gives the unprojected test loss")
    func evaluation() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("delve-pca-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let lines = SaidLines()
        let record: EpochRecord
        do {
            let run = try TrainingRun(configuration(root), say: lines.say)
            run.pcaEvalThresholds = [0.99, 1]
            record = try run.trainAll()
        }
        let evaluation = try #require(try PCAEvaluation.read(from: try RunDirectory(existing: root.path)))
        let train = record.layers.filter { $0.phase == .train }
        #expect(evaluation.layers == train.map(\.layer))
        #expect(evaluation.features == train.map(\.features))
        #expect(evaluation.rows.map(\.delta) == [0.99, 1])
        #expect(evaluation.rows[0].kept == train.map { Int($0.statistics[.idim]!) })
        let scalars = Dictionary(record.scalars.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
        let loss = try #require(scalars["test-loss"]), accuracy = try #require(scalars["test-accuracy"])
        #expect(abs(evaluation.rows[1].loss - loss) <= 1e-5 * loss)
        #expect(abs(evaluation.rows[1].accuracy! - accuracy) <= 0.01)
        #expect(evaluation.rows[0].kept.enumerated().allSatisfy { $1 <= evaluation.rows[1].kept[$0] })
        #expect(lines.all.contains { $0.hasPrefix("PCA evaluation δ = 0.99: test accuracy ") })
    }

    @Test("the random-directions control: at δ = 1 (k = D) it equals the unprojected model; below, it loses more than the eigenvectors")
    func randomControl() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("delve-pca-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let lines = SaidLines()
        do {
            let run = try TrainingRun(configuration(root), say: lines.say)
            run.pcaEvalThresholds = [0.9, 1]
            run.pcaEvalRandom = true
            try run.trainAll()
        }
        let evaluation = try #require(try PCAEvaluation.read(from: try RunDirectory(existing: root.path)))
        #expect(evaluation.hasRandomControl)
        let (low, full) = (evaluation.rows[0], evaluation.rows[1])
        // k = D: any orthonormal basis spans the whole space, so the projection is the identity.
        #expect(full.kept == evaluation.features)
        #expect(abs(full.randomLoss! - full.loss) <= 1e-4 * full.loss)
        #expect(full.randomAccuracy == full.accuracy)
        // k < D somewhere: the leading eigenvectors keep more of what the network uses than random ones.
        #expect(zip(low.kept, evaluation.features).contains { $0 < $1 })
        #expect(low.randomLoss! > low.loss)
        #expect(low.randomAccuracy! < low.accuracy!)
        #expect(lines.all.contains { $0.hasPrefix("  random directions, same k: test accuracy ") })
    }

    @Test("a δ outside (0, 1] is refused before any epoch, naming the option")
    func badThreshold() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("delve-pca-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let run = try TrainingRun(configuration(root), say: SaidLines().say)
        run.pcaEvalThresholds = [0.9, 1.5]
        #expect(throws: TrainingError.invalid("--pca-eval: δ must be in (0, 1], got 1.5")) { try run.trainAll() }
        #expect(try RunDirectory(existing: root.path).readRecords().isEmpty)
    }
}
