import Foundation
import Testing
@testable import DelveNN

@Suite("Optimizer state keyed by parameter path")
struct OptimizerStateNamesTests {
    func makeModel() -> Sequential {
        var rng = SeededGenerator(seed: 7)
        return Sequential(Linear(3, 4, rng: &rng), ReLU(), Linear(4, 2, rng: &rng))
    }

    /// Sets each parameter's gradient from its name (not its position) and step `k`, then steps.
    func step(_ optimizer: any Optimizer, _ named: [(path: String, tensor: Tensor)], _ k: Int) {
        for (path, p) in named {
            let salt = path.utf8.reduce(0) { $0 &* 31 &+ Int($1) } % 1000
            p.grad = Tensor(shape: p.shape, data: (0..<p.count).map { Float(Foundation.sin(Double(k * 31 + salt + $0))) })
        }
        optimizer.step()
    }

    func weights(_ model: Module) -> [String: [UInt32]] {
        Dictionary(uniqueKeysWithValues: model.namedParameters().map { ($0.path, $0.tensor.scalars.map(\.bitPattern)) })
    }

    typealias Make = ([(path: String, tensor: Tensor)]) -> any CheckpointableOptimizer
    var makers: [(String, Make)] { [
        ("sgd", { SGD(namedParameters: $0, learningRate: 0.05, momentum: 0.9, weightDecay: 1e-3) }),
        ("adam", { Adam(namedParameters: $0, learningRate: 0.01) }),
        ("adamw", { AdamW(namedParameters: $0, learningRate: 0.01) }),
    ] }

    @Test("arrays are named <buffer>.<module path> and shaped like the parameter")
    func keys() {
        let model = makeModel()
        let sgd = SGD(namedParameters: model.namedParameters(), learningRate: 0.1, momentum: 0.9)
        step(sgd, model.namedParameters(), 0)
        let state = sgd.exportState()
        #expect(state.arrays.keys.sorted() == ["momentum_buffer.0.bias", "momentum_buffer.0.weight",
                                               "momentum_buffer.2.bias", "momentum_buffer.2.weight"])
        #expect(state.arrays["momentum_buffer.0.weight"]?.shape == [4, 3])
        #expect(sgd.parameterNames == ["0.weight", "0.bias", "2.weight", "2.bias"])

        let adam = Adam(namedParameters: model.namedParameters())
        step(adam, model.namedParameters(), 0)
        #expect(adam.exportState().arrays.keys.sorted() == ["exp_avg.0.bias", "exp_avg.0.weight", "exp_avg.2.bias", "exp_avg.2.weight",
                                                            "exp_avg_sq.0.bias", "exp_avg_sq.0.weight", "exp_avg_sq.2.bias", "exp_avg_sq.2.weight"])
        #expect(adam.exportState().arrays["exp_avg_sq.2.weight"]?.shape == [2, 4])
    }

    @Test("a state exported with the parameters in one order and imported with them in another gives identical next steps")
    func orderIndependent() throws {
        for (name, make) in makers {
            let straight = makeModel()
            let a = make(straight.namedParameters())
            for k in 0..<2 { step(a, straight.namedParameters(), k) }
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("delve-order-\(UUID().uuidString).safetensors")
            defer { try? FileManager.default.removeItem(at: url) }
            try a.exportState().write(to: url)
            let saved = straight.stateArrays()
            for k in 2..<5 { step(a, straight.namedParameters(), k) }

            let resumed = makeModel()
            try resumed.loadState(saved)
            let reversed = Array(resumed.namedParameters().reversed())
            let b = make(reversed)
            try b.importState(try OptimizerState.read(from: url), source: url.path)
            for k in 2..<5 { step(b, reversed, k) }
            #expect(weights(resumed) == weights(straight), "\(name)")

            // Without the imported state the steps differ, so the comparison above can fail.
            let fresh = makeModel()
            try fresh.loadState(saved)
            let c = make(Array(fresh.namedParameters().reversed()))
            for k in 2..<5 { step(c, Array(fresh.namedParameters().reversed()), k) }
            #expect(weights(fresh) != weights(straight), "\(name)")
        }
    }

    @Test("import refuses an unknown path or a different shape, naming the path and the file, and changes nothing")
    func refusals() throws {
        let model = makeModel()
        let sgd = SGD(namedParameters: model.namedParameters(), learningRate: 0.05, momentum: 0.9)
        step(sgd, model.namedParameters(), 0)
        let state = sgd.exportState()

        var renamed = state
        renamed.arrays["momentum_buffer.classifier.weight"] = renamed.arrays.removeValue(forKey: "momentum_buffer.2.weight")
        let target = SGD(namedParameters: model.namedParameters(), learningRate: 0.05, momentum: 0.9)
        do {
            try target.importState(renamed, source: "run/optimizer.safetensors")
            Issue.record("an unknown parameter path was accepted")
        } catch {
            #expect(error.description.contains("run/optimizer.safetensors"))
            #expect(error.description.contains("'classifier.weight'"))
        }
        var reshaped = state
        reshaped.arrays["momentum_buffer.0.weight"] = ([3, 4], state.arrays["momentum_buffer.0.weight"]!.values)
        do {
            try target.importState(reshaped, source: "run/optimizer.safetensors")
            Issue.record("a transposed shape was accepted")
        } catch {
            #expect(error.description.contains("run/optimizer.safetensors"))
            #expect(error.description.contains("momentum_buffer.0.weight has shape [3, 4]"))
            #expect(error.description.contains("[4, 3]"))
        }
        #expect(target.exportState().arrays.isEmpty)

        // Renamed parameters (another model) do not fit either.
        let prefixed = model.namedParameters().map { ("net." + $0.path, $0.tensor) }
        let other = SGD(namedParameters: prefixed, learningRate: 0.05, momentum: 0.9)
        #expect(throws: TrainingStateError.self) { try other.importState(state, source: "x") }
        try SGD(namedParameters: model.namedParameters(), learningRate: 0.05, momentum: 0.9).importState(state, source: "x")
    }
}
