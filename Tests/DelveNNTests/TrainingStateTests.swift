import Foundation
import Testing
@testable import DelveNN

@Suite("Training state: optimizer and random generator checkpoints")
struct TrainingStateTests {
    /// A small model and the same gradients for every run: `steps` updates with gradient k·sin(i).
    func makeModel() -> Sequential {
        var rng = SeededGenerator(seed: 7)
        return Sequential(Linear(3, 4, rng: &rng), ReLU(), Linear(4, 2, rng: &rng))
    }

    func step(_ optimizer: any Optimizer, _ parameters: [Tensor], _ k: Int) {
        for (index, p) in parameters.enumerated() {
            p.grad = Tensor(shape: p.shape, data: (0..<p.count).map { Float(Foundation.sin(Double(k * 31 + index * 7 + $0))) })
        }
        optimizer.step()
    }

    func temporaryURL(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("delve-state-\(UUID().uuidString)-\(name)")
    }

    /// Runs 5 steps straight, and 2 steps + save/load into a fresh model and optimizer + 3 steps; the
    /// weights must be bit-equal.
    func roundTrip(_ make: ([Tensor]) -> any CheckpointableOptimizer) throws {
        let straight = makeModel()
        let a = make(straight.parameters())
        for k in 0..<5 { step(a, straight.parameters(), k) }

        let first = makeModel()
        let b = make(first.parameters())
        for k in 0..<2 { step(b, first.parameters(), k) }
        let url = temporaryURL("optimizer.safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try b.exportState().write(to: url)
        let second = makeModel()
        try second.loadState(first.stateArrays())
        let c = make(second.parameters())
        try c.importState(try OptimizerState.read(from: url), source: url.path)
        for k in 2..<5 { step(c, second.parameters(), k) }

        let expected = straight.parameters().flatMap(\.scalars).map(\.bitPattern)
        let resumed = second.parameters().flatMap(\.scalars).map(\.bitPattern)
        #expect(resumed == expected)
        // Without the restored state (fresh momentum) the result differs, so the check can fail.
        let third = makeModel()
        try third.loadState(first.stateArrays())
        let d = make(third.parameters())
        for k in 2..<5 { step(d, third.parameters(), k) }
        #expect(third.parameters().flatMap(\.scalars).map(\.bitPattern) != expected)
    }

    @Test("SGD with momentum: 2 steps + save + load + 3 steps equals 5 steps bit for bit")
    func sgdRoundTrip() throws {
        try roundTrip { SGD(parameters: $0, learningRate: 0.05, momentum: 0.9, weightDecay: 1e-3) }
    }

    @Test("Adam: moments and step count survive a save and load")
    func adamRoundTrip() throws {
        try roundTrip { Adam(parameters: $0, learningRate: 0.01) }
    }

    @Test("AdamW: moments and step count survive a save and load")
    func adamWRoundTrip() throws {
        try roundTrip { AdamW(parameters: $0, learningRate: 0.01) }
    }

    @Test("the exported state holds the step count, learning rate and one array per moment")
    func stateContent() {
        let model = makeModel()
        let adam = Adam(parameters: model.parameters(), learningRate: 0.01)
        for k in 0..<3 { step(adam, model.parameters(), k) }
        adam.learningRate = 0.005
        let state = adam.exportState()
        #expect(state.kind == "adam")
        #expect(state.scalars["step"] == "3")
        #expect(state.scalars["lr"] == "0.005")
        #expect(state.arrays.count == 2 * model.parameters().count)
        #expect(state.arrays["exp_avg.0"]?.shape == model.parameters()[0].shape)
    }

    @Test("a state of another optimizer, other hyper-parameters or another model is refused and changes nothing")
    func mismatches() throws {
        let model = makeModel()
        let sgd = SGD(parameters: model.parameters(), learningRate: 0.05, momentum: 0.9)
        step(sgd, model.parameters(), 0)
        let state = sgd.exportState()

        let adam = Adam(parameters: model.parameters())
        #expect(throws: TrainingStateError.self) { try adam.importState(state, source: "x.safetensors") }

        let other = SGD(parameters: model.parameters(), learningRate: 0.05, momentum: 0.5)
        do {
            try other.importState(state, source: "opt.safetensors")
            Issue.record("a different momentum was accepted")
        } catch {
            #expect(error.description.contains("opt.safetensors"))
            #expect(error.description.contains("momentum"))
        }
        #expect(other.exportState().arrays.isEmpty)

        var rng = SeededGenerator(seed: 1)
        let smaller = Linear(3, 4, rng: &rng)
        let fewer = SGD(parameters: smaller.parameters(), learningRate: 0.05, momentum: 0.9)
        #expect(throws: TrainingStateError.self) { try fewer.importState(state, source: "opt.safetensors") }

        var resized = state
        resized.arrays["momentum_buffer.0"] = ([2], [1, 2])
        let same = SGD(parameters: model.parameters(), learningRate: 0.05, momentum: 0.9)
        #expect(throws: TrainingStateError.self) { try same.importState(resized, source: "opt.safetensors") }
    }

    @Test("a truncated optimizer file is an error naming the file")
    func truncatedFile() throws {
        let model = makeModel()
        let sgd = SGD(parameters: model.parameters(), learningRate: 0.05, momentum: 0.9)
        step(sgd, model.parameters(), 0)
        let url = temporaryURL("cut.safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try sgd.exportState().write(to: url)
        let bytes = try Data(contentsOf: url)
        try bytes.prefix(bytes.count - 10).write(to: url)
        do {
            _ = try OptimizerState.read(from: url)
            Issue.record("a truncated file was read")
        } catch {
            #expect(error.description.contains(url.lastPathComponent))
        }
    }

    @Test("a generator continues its stream from a saved state; invalid states are refused")
    func generatorState() {
        var a = SeededGenerator(seed: 42)
        for _ in 0..<10 { _ = a.next() }
        var b = SeededGenerator(state: a.state)!
        #expect((0..<5).map { _ in a.next() } == (0..<5).map { _ in b.next() })
        #expect(SeededGenerator(state: [0, 0, 0, 0]) == nil)
        #expect(SeededGenerator(state: [1, 2, 3]) == nil)
    }

    @Test("Dropout masks after restoring the generator states equal the uninterrupted masks")
    func dropoutState() throws {
        func model() -> Sequential { Sequential(Dropout(p: 0.5, seed: 3), Dropout(p: 0.25, seed: 4)) }
        let input = Tensor(shape: [4, 8], data: (0..<32).map { Float($0 + 1) })
        let straight = model()
        _ = straight(input)
        let saved = straight.randomGeneratorStates()
        #expect(saved.keys.sorted() == ["0", "1"])
        let expected = straight(input).scalars

        let restored = model()
        try restored.restoreRandomGeneratorStates(saved, source: "manifest.json")
        #expect(restored(input).scalars == expected)
        #expect(model()(input).scalars != expected)   // a fresh generator draws other masks

        do {
            try restored.restoreRandomGeneratorStates(["0": saved["0"]!], source: "manifest.json")
            Issue.record("a missing generator state was accepted")
        } catch {
            #expect(error.description.contains("manifest.json"))
            #expect(error.description.contains("'1'"))
        }
    }
}
